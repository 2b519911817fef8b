"""200 simulated WeChat customers at once, two messages each: every message stored once, every
answer sent once, in order, to the right customer (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from handover_bridge.models import Message

from .conftest import wait_for

CUSTOMERS = 200


@pytest.mark.asyncio
async def test_two_hundred_customers_nothing_lost_or_doubled(wechat):
    sim = wechat.sim
    users = [f"wmMANY{n:04d}" for n in range(CUSTOMERS)]

    async def customer(user: str, round_: int) -> None:
        assert await sim.say(user, f"{user} 第{round_}句") == 200

    for round_ in (1, 2):
        await asyncio.gather(*(customer(u, round_) for u in users))
        await wait_for(
            lambda r=round_: all(len(sim.sent[u]) >= r for u in users),
            timeout=120,
            interval=0.2,
            message=f"every customer's answer to message {round_}",
        )
    await asyncio.sleep(0.5)  # anything doubled would arrive now
    for user in users:
        assert sim.texts_to(user) == [f"收到:{user} 第1句", f"收到:{user} 第2句"], user
    async with wechat.bridge.ctx.db.read() as session:
        stored = (
            await session.execute(
                select(func.count(), func.count(func.distinct(Message.client_msg_id))).where(
                    Message.sender == "customer"
                )
            )
        ).one()
    assert tuple(stored) == (2 * CUSTOMERS, 2 * CUSTOMERS)
    assert not sim.refused
