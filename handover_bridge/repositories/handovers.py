"""Handovers: the context the bot gathered, queue order, and the times and outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.states import State
from ..models import Agent, Conversation, Handover, utcnow


async def create(session: AsyncSession, **fields: Any) -> Handover:
    handover = Handover(**fields)
    session.add(handover)
    await session.flush()
    return handover


async def get(session: AsyncSession, handover_id: int) -> Handover | None:
    return await session.get(Handover, handover_id)


async def by_idempotency_key(session: AsyncSession, key: str) -> Handover | None:
    return await session.scalar(select(Handover).where(Handover.idempotency_key == key))


async def latest(session: AsyncSession, conversation_id: str) -> Handover | None:
    return await session.scalar(
        select(Handover).where(Handover.conversation_id == conversation_id).order_by(Handover.id.desc()).limit(1)
    )


async def update_fields(session: AsyncSession, handover_id: int, **values: Any) -> None:
    await session.execute(update(Handover).where(Handover.id == handover_id).values(**values))


def queue_order():
    """Front-of-queue returns first, then the lowest rank (see models.Handover.rank)."""
    return (Handover.front.desc(), Handover.rank.asc(), Handover.id.asc())


async def queued(session: AsyncSession, skills: list[str] | None = None) -> list[tuple[Handover, Conversation]]:
    """Queued conversations with their open handover, in queue order."""
    statement = (
        select(Handover, Conversation)
        .join(Conversation, Conversation.handover_id == Handover.id)
        .where(Conversation.state == State.QUEUED.value)
        .order_by(*queue_order())
    )
    if skills is not None:
        statement = statement.where(Handover.skill.in_(skills))
    return [(h, c) for h, c in (await session.execute(statement)).all()]


async def next_queued_id(session: AsyncSession, skills: list[str] | None, *, skip_locked: bool) -> str | None:
    """The head of the queue for these skills (None = any). On PostgreSQL it is locked with
    `FOR UPDATE SKIP LOCKED`, so two bridges picking at once take different conversations."""
    statement = (
        select(Conversation.id)
        .join(Handover, Conversation.handover_id == Handover.id)
        .where(Conversation.state == State.QUEUED.value)
        .order_by(*queue_order())
        .limit(1)
    )
    if skills is not None:
        statement = statement.where(Handover.skill.in_(skills))
    if skip_locked:
        statement = statement.with_for_update(of=Conversation, skip_locked=True)
    return await session.scalar(statement)


async def set_position_if_changed(session: AsyncSession, handover_id: int, position: int, eta: int | None) -> bool:
    """Record what the customer was told; True only for the one writer that changed it."""
    eta_value = -1 if eta is None else eta
    result = await session.execute(
        update(Handover)
        .where(
            Handover.id == handover_id,
            (
                (Handover.last_position.is_(None))
                | (Handover.last_position != position)
                | (Handover.last_eta.is_(None))
                | (Handover.last_eta != eta_value)
            ),
        )
        .values(last_position=position, last_eta=eta_value)
        .returning(Handover.id)
    )
    return result.first() is not None


async def mark_ticket_offered(session: AsyncSession, handover_id: int) -> bool:
    result = await session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.ticket_offered_at.is_(None))
        .values(ticket_offered_at=utcnow())
        .returning(Handover.id)
    )
    return result.first() is not None


async def waiting_longer_than(session: AsyncSession, cutoff: datetime) -> list[Handover]:
    result = await session.scalars(
        select(Handover)
        .join(Conversation, Conversation.handover_id == Handover.id)
        .where(
            Conversation.state == State.QUEUED.value, Handover.queued_at < cutoff, Handover.ticket_offered_at.is_(None)
        )
    )
    return list(result)


async def recent_handling_seconds(session: AsyncSession, since: datetime, limit: int = 50) -> list[float]:
    """accepted→closed durations of the most recent finished chats."""
    rows = (
        await session.execute(
            select(Handover.accepted_at, Handover.closed_at)
            .where(Handover.closed_at.is_not(None), Handover.accepted_at.is_not(None), Handover.closed_at >= since)
            .order_by(Handover.closed_at.desc())
            .limit(limit)
        )
    ).all()
    return [(closed - accepted).total_seconds() for accepted, closed in rows]


async def latest_closed(session: AsyncSession, conversation_id: str) -> Handover | None:
    return await session.scalar(
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.closed_at.is_not(None))
        .order_by(Handover.id.desc())
        .limit(1)
    )


async def count_queued(session: AsyncSession) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.state == State.QUEUED.value)
        )
        or 0
    )


async def agent_names(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(ids)))
    return dict(rows.all())
