"""A realistic demo week, so the dashboard and the review queue are not empty on first look.

`python -m handover_bridge seed-demo-week` (and `make demo`, through scripts/demo.py) fills the
store with seven days of conversations ending now, in the shop's time zone: bot-only chats,
handovers of every reason and category with waits, handling times and ratings, a few abusive
customers, customers who gave up waiting, tickets (most answered), and pending review
candidates. Everything is marked: conversation ids start with `de40de40`, conversation metadata
says {"demo": true}, handover contexts say "demo": true, review candidates have demo=True (so
the training export skips them), and the dashboard shows a 演示数据 badge.

Refused outside demo mode. Idempotent: a second run on the same day changes nothing; on a later
day the old demo week is replaced by a fresh one that ends today (so "近7天" stays full); `force`
replaces it anyway. Real conversations are never touched. The content is the same for the same
dates (random numbers seeded by the date): week_builder.py makes the rows in memory, this module
checks, replaces and stores them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ...config import DEMO_AGENTS
from ...domain.errors import Forbidden, ServiceError
from ...models import ReviewCandidate, utcnow
from ...repositories import agents as agents_repo
from ...repositories import append as append_path
from ...repositories import demo as demo_repo
from ..wiring.context import Context
from .week_builder import WeekBuilder

log = logging.getLogger("handover_bridge.demo")

DAYS = 7
DEMO_PREFIX = demo_repo.DEMO_PREFIX


@dataclass(frozen=True)
class SeedResult:
    seeded: bool  # False: today's demo week was already there
    conversations: int = 0
    messages: int = 0
    handovers: int = 0
    tickets: int = 0
    review_candidates: int = 0
    replaced: int = 0  # demo conversations of an older demo week removed first
    first_day: str = ""
    last_day: str = ""

    def describe(self) -> str:
        if not self.seeded:
            return "demo week already seeded today: nothing to do"
        return (
            f"demo week {self.first_day} … {self.last_day}: {self.conversations} conversations, "
            f"{self.messages} messages, {self.handovers} handovers, {self.tickets} tickets, "
            f"{self.review_candidates} review candidates"
            + (f" (replaced {self.replaced} older demo conversations)" if self.replaced else "")
        )


class DemoWeek:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    async def seed(self, *, now: datetime | None = None, force: bool = False) -> SeedResult:
        settings = self.ctx.settings
        if not settings.demo_mode:
            raise Forbidden(
                "demo data is only seeded in demo mode (JIELI_DEMO_MODE=true), never in production", "demo_mode_only"
            )
        zone = ZoneInfo(settings.timezone)
        now = (now or utcnow()).astimezone(timezone.utc)
        today = now.astimezone(zone).date()
        async with self.ctx.db.read() as session:
            existing = await demo_repo.demo_conversations(session)
            agents = [await agents_repo.by_username(session, name) for name in DEMO_AGENTS]
        if existing and not force and all(meta.get("demo_week") == today.isoformat() for _, meta in existing):
            return SeedResult(False)
        agents = [a for a in agents if a is not None]
        if not agents:
            raise ServiceError("the demo agents are missing (start the bridge in demo mode once)", "no_demo_agents")
        builder = WeekBuilder(settings, zone, today, now, agents)
        for offset in range(DAYS - 1, -1, -1):
            builder.day(today - timedelta(days=offset))
        async with self.ctx.db.write() as session:
            if existing:
                await demo_repo.delete_conversations(session, [cid for cid, _ in existing])
            session.add_all(builder.conversations)
            await session.flush()
            await _append_messages(session, builder)
            session.add_all(builder.tickets + [h for h, _ in builder.handovers])
            await session.flush()
            session.add_all(
                [ReviewCandidate(handover_id=h.id, **fields) for h, fields in builder.handovers if fields is not None]
            )
        result = SeedResult(
            True,
            len(builder.conversations),
            len(builder.messages),
            len(builder.handovers),
            len(builder.tickets),
            sum(1 for _, f in builder.handovers if f is not None),
            len(existing),
            (today - timedelta(days=DAYS - 1)).isoformat(),
            today.isoformat(),
        )
        log.warning("demo data: %s", result.describe())
        return result


async def _append_messages(session, builder: WeekBuilder) -> None:
    """Each demo conversation's messages, through the one append path (seqs 1, 2, 3 …); the
    conversation's last activity stays that of its last message."""
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    for conversation_id, item in builder.messages:
        by_conversation.setdefault(conversation_id, []).append(item)
    tx = append_path.in_session(session)
    for conversation in builder.conversations:
        items = by_conversation.get(conversation.id, [])
        if items:
            await append_path.append(tx, conversation.id, items, at=conversation.updated_at)
