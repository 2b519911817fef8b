"""The demo week (services/demo/demo_week.py, `python -m handover_bridge seed-demo-week`): refused
outside demo mode, idempotent, replaced by a fresh week on a later day, never touching real
conversations, and consistent with itself (seqs, times, states)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from handover_bridge.domain.errors import Forbidden
from handover_bridge.models import Conversation, Handover, Message, ReviewCandidate, Ticket
from handover_bridge.services.demo.demo_week import DEMO_PREFIX, DemoWeek

from .conftest import ROOT

NOW = datetime(2024, 3, 6, 12, 0, tzinfo=timezone.utc)  # 20:00 in Shanghai


async def counts(h) -> dict[str, int]:
    async with h.bridge.ctx.db.read() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Conversation, Message, Handover, Ticket, ReviewCandidate)
        }


@pytest.mark.asyncio
async def test_refused_outside_demo_mode(harness):
    with pytest.raises(Forbidden):
        await DemoWeek(harness.bridge.ctx).seed(now=NOW)
    assert (await counts(harness))["conversations"] == 0


def test_command_line_refuses_outside_demo_mode_and_seeds_once_in_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIELI_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "JIELI_DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}",
            "JIELI_LOG_LEVEL": "ERROR",
            "JIELI_SECRET_KEY": "AtfIaOWmPRJ7DHfFjEC3PltN4oTvM5SB",
            "JIELI_ACTION_TOKEN": "lqtyOzoJZXO661CgbyZhYvsWJNxzeFd-",
        }
    )
    command = [sys.executable, "-m", "handover_bridge", "seed-demo-week"]
    refused = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "only seeded in demo mode" in refused.stderr
    assert not (tmp_path / "bridge.db").exists()
    env["JIELI_DEMO_MODE"] = "true"
    seeded = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert seeded.returncode == 0, seeded.stderr
    assert "conversations" in seeded.stdout and "review candidates" in seeded.stdout
    again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already seeded today" in again.stdout


@pytest.mark.asyncio
@pytest.mark.bridge_settings(demo_mode=True)
async def test_seeding_is_idempotent_and_marked(harness):
    h = harness
    real = await h.customer({"customer_id": "u-real"})
    await h.say(real, "你好")
    before = await counts(h)
    week = DemoWeek(h.bridge.ctx)
    first = await week.seed(now=NOW)
    assert first.seeded and first.first_day == "2024-02-29" and first.last_day == "2024-03-06"
    assert 150 <= first.conversations <= 300 and first.handovers >= 50 and first.review_candidates >= 10
    after = await counts(h)
    assert after["conversations"] == before["conversations"] + first.conversations
    assert after["messages"] == before["messages"] + first.messages

    # the same day again: nothing doubles
    again = await week.seed(now=NOW + timedelta(hours=3))
    assert not again.seeded
    assert await counts(h) == after

    # everything is marked and consistent
    async with h.bridge.ctx.db.read() as session:
        demo = list(await session.scalars(select(Conversation).where(Conversation.id.like(f"{DEMO_PREFIX}%"))))
        assert len(demo) == first.conversations
        assert all(c.meta["demo"] is True and c.state in ("bot", "closed", "ticket") for c in demo)
        assert all(c.created_at < NOW for c in demo)
        for c in demo[:40]:
            seqs = list(
                await session.scalars(select(Message.seq).where(Message.conversation_id == c.id).order_by(Message.seq))
            )
            assert seqs == list(range(1, c.next_seq + 1))
        latest = await session.scalar(
            select(func.max(Message.created_at)).where(Message.conversation_id.like(f"{DEMO_PREFIX}%"))
        )
        assert latest < NOW
        handovers = list(await session.scalars(select(Handover)))
        assert {h_.reason for h_ in handovers} >= {"request_human", "frustration", "complaint"}
        assert len({h_.category for h_ in handovers}) == 5
        assert all(h_.context.get("demo") is True for h_ in handovers)
        answered = [h_ for h_ in handovers if h_.accepted_at]
        assert all(h_.queued_at < h_.accepted_at <= h_.first_reply_at < h_.closed_at for h_ in answered)
        assert any(h_.rating for h_ in handovers)
        candidates = list(await session.scalars(select(ReviewCandidate)))
        assert candidates and all(c.demo and c.status == "pending" and c.examples for c in candidates)
        abusive = await session.scalar(select(func.count()).select_from(Message).where(Message.abusive.is_(True)))
        assert abusive > 0

    # the dashboard sees it, with the demo badge
    lead = await h.http.post("/api/agent/login", json={"username": "agent1", "password": h.settings.demo_password})
    token = lead.json()["token"]
    data = (
        await h.http.get(
            "/api/agent/analytics",
            params={"from": "2024-02-29", "to": "2024-03-06"},
            headers={"Authorization": f"Bearer {token}"},
        )
    ).json()
    assert data["demo"] == {"present": True, "conversations": first.conversations}
    assert data["handovers"]["total"] == first.handovers
    assert 0.4 < data["conversations"]["containment_rate"] < 0.8

    # a day later the old week is replaced by one ending that day; the real conversation stays
    later = await week.seed(now=NOW + timedelta(days=1))
    assert later.seeded and later.replaced == first.conversations and later.last_day == "2024-03-07"
    final = await counts(h)
    assert final["conversations"] == before["conversations"] + later.conversations
    assert final["review_candidates"] == later.review_candidates
    async with h.bridge.ctx.db.read() as session:
        assert await session.get(Conversation, real.conversation_id) is not None
