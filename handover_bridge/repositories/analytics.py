"""The dashboard's queries: counts, sums and order statistics computed in SQL, the same on SQLite
and PostgreSQL. No message is loaded into Python: a period of a year costs a few aggregate queries.

All bounds are UTC datetimes, half-open: `start <= column < end`. Durations are seconds computed
by the database (`EXTRACT(EPOCH FROM …)` on PostgreSQL, `julianday` differences on SQLite, which
are exact to the millisecond). Percentiles use the nearest-rank method: with the n values sorted
ascending, the p-th percentile is the value at rank ⌈p·n/100⌉ (1-based) — always a value that
occurred, found with ORDER BY … LIMIT 1 OFFSET rank−1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from ..models import Agent, Conversation, Handover, Message, Ticket


@dataclass(frozen=True)
class Stats:
    """Order statistics of a set of durations (seconds)."""

    count: int
    mean: float | None = None
    percentiles: dict[int, float] | None = None  # p → value (nearest rank)
    maximum: float | None = None


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def seconds_between(dialect: str, later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    """`later − earlier` in seconds, as a float, on either database."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def is_demo(dialect: str) -> ColumnElement:
    """The conversation's metadata says {"demo": true} (demo data, services/demo/demo_week.py). No cast
    that could fail on odd customer metadata: a plain text / number comparison."""
    if dialect == "postgresql":
        return func.json_extract_path_text(Conversation.meta, "demo") == "true"
    return func.json_type(Conversation.meta, "$.demo") == "true"


def day_bucket(column: ColumnElement, bounds: Sequence[datetime]) -> ColumnElement:
    """The index of the local day `column` falls in: bounds are the UTC instants at which each day
    after the first starts (so daylight saving time needs no special case)."""
    if not bounds:
        return literal(0)
    return case(*[(column < bound, index) for index, bound in enumerate(bounds)], else_=len(bounds))


def _by_day(statement, bucket: ColumnElement, bounds: Sequence[datetime]):
    """GROUP BY the day bucket; a one-day period is one aggregate row (no GROUP BY a constant)."""
    return statement.group_by(bucket) if bounds else statement


def _in(column: ColumnElement, start: datetime, end: datetime) -> ColumnElement:
    return and_(column >= start, column < end)


# ---- conversations ---------------------------------------------------------------------------------


async def conversations(
    session: AsyncSession, start: datetime, end: datetime, bounds: Sequence[datetime] = ()
) -> list[dict[str, Any]]:
    """Per local day (bucket index): conversations opened, those where the customer wrote at least
    once, those of them with no handover and no ticket (contained by the bot), with a handover,
    with a ticket but no handover, and demo conversations."""
    dialect = _dialect(session)
    spoke = exists().where(Message.conversation_id == Conversation.id, Message.sender == "customer")
    handed = exists().where(Handover.conversation_id == Conversation.id)
    ticketed = exists().where(Ticket.conversation_id == Conversation.id)
    bucket = day_bucket(Conversation.created_at, bounds).label("bucket")
    one = lambda condition: func.coalesce(func.sum(case((condition, 1), else_=0)), 0)  # noqa: E731
    statement = select(
        bucket,
        func.count().label("opened"),
        one(spoke).label("total"),
        one(and_(spoke, ~handed, ~ticketed)).label("contained"),
        one(and_(spoke, handed)).label("handed_over"),
        one(and_(spoke, ~handed, ticketed)).label("ticket_only"),
        one(is_demo(dialect)).label("demo"),
    ).where(_in(Conversation.created_at, start, end))
    return [dict(row._mapping) for row in await session.execute(_by_day(statement, bucket, bounds))]


# ---- handovers ---------------------------------------------------------------------------------------


def _handovers_in(start: datetime, end: datetime) -> ColumnElement:
    return _in(Handover.queued_at, start, end)


async def handovers_by(session: AsyncSession, column: ColumnElement, start: datetime, end: datetime) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).where(_handovers_in(start, end)).group_by(column))
    return {str(key): int(count) for key, count in rows}


OUTCOME = case(
    (Handover.accepted_at.is_not(None), "answered"),
    (Handover.resolution == "cancelled_by_customer", "cancelled"),
    (Handover.resolution == "ticket", "ticket"),
    (Handover.closed_at.is_(None), "waiting"),
    else_="other",
)


async def handovers_daily(
    session: AsyncSession, start: datetime, end: datetime, bounds: Sequence[datetime]
) -> dict[int, int]:
    bucket = day_bucket(Handover.queued_at, bounds).label("bucket")
    rows = await session.execute(_by_day(select(bucket, func.count()).where(_handovers_in(start, end)), bucket, bounds))
    return {int(b): int(n) for b, n in rows if n}


async def duration_stats(
    session: AsyncSession,
    later: ColumnElement,
    earlier: ColumnElement,
    start: datetime,
    end: datetime,
    percentiles: Sequence[int] = (50, 90),
    agent_id: int | None = None,
) -> Stats:
    """`later − earlier` over the handovers queued in [start, end) that have both times."""
    seconds = seconds_between(_dialect(session), later, earlier)
    where = and_(_handovers_in(start, end), later.is_not(None), earlier.is_not(None))
    if agent_id is not None:
        where = and_(where, Handover.agent_id == agent_id)
    count, mean, maximum = (
        await session.execute(select(func.count(), func.avg(seconds), func.max(seconds)).where(where))
    ).one()
    if not count:
        return Stats(0, None, {p: None for p in percentiles}, None)
    values: dict[int, float] = {}
    for p in percentiles:
        rank = max(1, -(-p * count // 100))  # ⌈p·n/100⌉ in integers
        values[p] = float(
            await session.scalar(select(seconds).where(where).order_by(seconds).limit(1).offset(rank - 1))
        )
    return Stats(int(count), float(mean), values, float(maximum))


async def ratings(session: AsyncSession, start: datetime, end: datetime) -> dict[int, int]:
    rows = await session.execute(
        select(Handover.rating, func.count())
        .where(_handovers_in(start, end), Handover.rating.is_not(None))
        .group_by(Handover.rating)
    )
    return {int(score): int(count) for score, count in rows}


async def per_agent(session: AsyncSession, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per agent who holds handovers queued in the period: how many, handling time (mean),
    ratings (count, mean)."""
    seconds = seconds_between(_dialect(session), Handover.closed_at, Handover.accepted_at)
    handled = and_(Handover.accepted_at.is_not(None), Handover.closed_at.is_not(None))
    statement = (
        select(
            Handover.agent_id,
            func.count().label("handovers"),
            func.coalesce(func.sum(case((handled, 1), else_=0)), 0).label("closed"),
            func.avg(case((handled, seconds), else_=None)).label("handling_mean"),
            func.count(Handover.rating).label("ratings"),
            func.avg(cast(Handover.rating, Float)).label("rating_mean"),
        )
        .where(_handovers_in(start, end), Handover.agent_id.is_not(None))
        .group_by(Handover.agent_id)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


# ---- tickets -------------------------------------------------------------------------------------------


async def tickets(
    session: AsyncSession, start: datetime, end: datetime, bounds: Sequence[datetime] = ()
) -> tuple[dict[int, int], int]:
    """Tickets opened per day bucket (created_at in the period), and tickets answered in the
    period (answered_at in it, whenever they were opened)."""
    bucket = day_bucket(Ticket.created_at, bounds).label("bucket")
    opened = {
        int(b): int(n)
        for b, n in await session.execute(
            _by_day(select(bucket, func.count()).where(_in(Ticket.created_at, start, end)), bucket, bounds)
        )
        if n
    }
    answered = (
        await session.scalar(select(func.count()).select_from(Ticket).where(_in(Ticket.answered_at, start, end))) or 0
    )
    return opened, int(answered)


async def open_tickets(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.status == "open")) or 0


# ---- abusive messages ------------------------------------------------------------------------------------


async def abusive_messages(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Customer messages flagged abusive, created in the period (bot part included)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(_in(Message.created_at, start, end), Message.sender == "customer", Message.abusive.is_(True))
        )
        or 0
    )


async def abusive_by_agent(session: AsyncSession, start: datetime, end: datetime) -> dict[int, int]:
    """Customer messages flagged abusive, created in the period while an agent held the
    conversation: at or after the handover's accepted_at and before its closed_at (or still open),
    counted for the handover's agent."""
    statement = (
        select(Handover.agent_id, func.count(Message.id))
        .select_from(Message)
        .join(
            Handover,
            and_(
                Handover.conversation_id == Message.conversation_id,
                Handover.agent_id.is_not(None),
                Handover.accepted_at.is_not(None),
                Message.created_at >= Handover.accepted_at,
                or_(Handover.closed_at.is_(None), Message.created_at < Handover.closed_at),
            ),
        )
        .where(_in(Message.created_at, start, end), Message.sender == "customer", Message.abusive.is_(True))
        .group_by(Handover.agent_id)
    )
    return {int(agent): int(count) for agent, count in await session.execute(statement)}


async def agents(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.username, Agent.display_name).where(Agent.id.in_(list(ids))))
    return {int(i): (u, d) for i, u, d in rows}
