"""Protecting agents: protection events, cool-downs, the live chats a lead can move."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.states import State
from ..models import Agent, Conversation, Handover, ProtectionEvent, utcnow


async def add_event(
    session: AsyncSession,
    *,
    kind: str,
    conversation_id: str,
    agent_id: int | None,
    handover_id: int | None,
    actor: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ProtectionEvent:
    event = ProtectionEvent(
        kind=kind,
        conversation_id=conversation_id,
        agent_id=agent_id,
        handover_id=handover_id,
        actor=actor,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    await session.flush()
    return event


async def lock_conversation(session: AsyncSession, conversation_id: str) -> None:
    """PostgreSQL: one abusive message at a time per conversation (the warning is said once);
    SQLite's write transactions are one at a time already."""
    await session.execute(select(Conversation.id).where(Conversation.id == conversation_id).with_for_update())


async def count(session: AsyncSession, handover_id: int, kinds: tuple[str, ...], agent_id: int | None = None) -> int:
    """How many events of these kinds one handover has had (for one agent, when given)."""
    statement = select(func.count(ProtectionEvent.id)).where(
        ProtectionEvent.handover_id == handover_id, ProtectionEvent.kind.in_(kinds)
    )
    if agent_id is not None:
        statement = statement.where(ProtectionEvent.agent_id == agent_id)
    return int(await session.scalar(statement) or 0)


async def events_of(session: AsyncSession, conversation_id: str) -> list[ProtectionEvent]:
    return list(
        await session.scalars(
            select(ProtectionEvent)
            .where(ProtectionEvent.conversation_id == conversation_id)
            .order_by(ProtectionEvent.id)
        )
    )


async def set_cooldown(session: AsyncSession, agent_id: int, until: datetime) -> None:
    """Start (or lengthen) an agent's cool-down; an earlier end never shortens a running one."""
    await session.execute(
        update(Agent)
        .where(Agent.id == agent_id, (Agent.cooldown_until.is_(None)) | (Agent.cooldown_until < until))
        .values(cooldown_until=until)
    )


async def end_cooldown(session: AsyncSession, agent_id: int) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(cooldown_until=None))


async def live_chats(session: AsyncSession) -> list[tuple[Conversation, Handover | None, Agent | None]]:
    """Every conversation an agent holds now, oldest first (what a lead may take over)."""
    rows = await session.execute(
        select(Conversation, Handover, Agent)
        .outerjoin(Handover, Handover.id == Conversation.handover_id)
        .outerjoin(Agent, Agent.id == Conversation.agent_id)
        .where(Conversation.state == State.ASSIGNED.value)
        .order_by(Conversation.updated_at, Conversation.id)
    )
    return [(c, h, a) for c, h, a in rows.all()]


async def day_by_agent(session: AsyncSession, start: datetime, end: datetime) -> dict[int, dict[str, Any]]:
    """Per agent, in [start, end): events of each kind and the chats with abusive messages."""
    rows = await session.execute(
        select(
            ProtectionEvent.agent_id,
            ProtectionEvent.kind,
            func.count(ProtectionEvent.id),
            func.count(func.distinct(ProtectionEvent.conversation_id)),
        )
        .where(ProtectionEvent.at >= start, ProtectionEvent.at < end, ProtectionEvent.agent_id.is_not(None))
        .group_by(ProtectionEvent.agent_id, ProtectionEvent.kind)
    )
    result: dict[int, dict[str, Any]] = {}
    for agent_id, kind, n, chats in rows.all():
        entry = result.setdefault(agent_id, {"kinds": {}, "abusive_chats": 0})
        entry["kinds"][kind] = int(n)
        if kind == "abusive_message":
            entry["abusive_chats"] = int(chats)
    return result


async def agents_by_id(session: AsyncSession, ids: list[int]) -> dict[int, Agent]:
    if not ids:
        return {}
    return {a.id: a for a in await session.scalars(select(Agent).where(Agent.id.in_(ids)))}
