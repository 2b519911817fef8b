"""The one append path (repositories/append.py) gives every message its seq: concurrent appends
from the hot path (db.raw) and from ORM units of work (db.write) get 1, 2, 3 … with no gap and no
double, on both databases; a customer message is `pending` only in bot mode."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from handover_bridge.models import Message
from handover_bridge.repositories import append as append_path
from handover_bridge.repositories import messages as messages_repo


@pytest.mark.asyncio
async def test_concurrent_appends_on_both_paths_get_consecutive_seqs(harness):
    customer = await harness.customer()
    db, cid = harness.bridge.ctx.db, customer.conversation_id

    async def raw(n: int) -> None:
        async with db.raw(single_statement=True) as tx:
            await append_path.append(
                tx, cid, [{"sender": "bot", "text": f"raw {n}"}, {"sender": "bot", "text": f"raw {n}b"}]
            )

    async def orm(n: int) -> None:
        async with db.write() as session:
            await messages_repo.append(session, cid, "system", f"orm {n}")

    await asyncio.gather(*[raw(n) if n % 2 else orm(n) for n in range(20)])
    async with db.read() as session:
        seqs = list(
            await session.scalars(select(Message.seq).where(Message.conversation_id == cid).order_by(Message.seq))
        )
        last = await messages_repo.last_seq(session, cid)
    assert seqs == list(range(1, 31)) and last == 30


@pytest.mark.asyncio
async def test_a_customer_message_waits_for_the_bot_only_in_bot_mode(harness):
    customer = await harness.customer()
    db, cid = harness.bridge.ctx.db, customer.conversation_id
    item = {"sender": "customer", "text": "在吗", "status": append_path.BOT_TURN}
    async with db.raw(single_statement=True) as tx:
        _counter, [first] = await append_path.append(tx, cid, [item], open_only=True)
    await harness.handover(customer, reason="request_human")
    async with db.raw(single_statement=True) as tx:
        counter, [second] = await append_path.append(tx, cid, [item], open_only=True)
    async with db.read() as session:
        stored = {m.seq: m.status for m in await messages_repo.after(session, cid)}
    assert (first.status, stored[first.seq]) == ("pending", "pending")
    assert counter.state == "queued" and (second.status, stored[second.seq]) == (None, None)
