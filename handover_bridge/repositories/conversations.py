"""Conversations and their state transitions: `transition` and `reassign` are the only writers of
conversations.state; each checks the move against domain/states.py first and writes an audit row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import states
from ..domain.states import State
from ..models import Audit, Conversation, Handover, ReviewCandidate, utcnow

_UNSET: Any = object()


async def get(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def set_identity(session: AsyncSession, conversation_id: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """Store a verified identity record in the conversation's metadata (key "identity"), unless it
    is verified as another customer already. Returns `record` when stored, the record already
    there when it names another customer, None when there is no such conversation."""
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None:
        return None
    meta = dict(conversation.meta or {})
    current = meta.get("identity")
    if (
        isinstance(current, dict)
        and current.get("verified") is True
        and current.get("customer_id") != record.get("customer_id")
    ):
        return current
    meta["identity"] = record
    conversation.meta = meta
    conversation.updated_at = utcnow()
    return record


async def merge_claims(session: AsyncSession, conversation_id: str, values: dict[str, Any]) -> bool:
    """Set top-level keys of a conversation's metadata (a channel's claims, never identity: the
    identity keys are the bridge's own and are not touched here). False: no such conversation."""
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None:
        return False
    meta = dict(conversation.meta or {})
    if all(meta.get(key) == value for key, value in values.items()):
        return True
    meta.update({key: value for key, value in values.items() if key not in ("identity", "jieli_identity")})
    conversation.meta = meta
    return True


async def raise_mark(session: AsyncSession, conversation_id: str, key: str, field: str, value: int) -> None:
    """metadata[key][field] = value unless it is already at least that (a cursor only moves on).
    Not activity: the conversation's updated_at (its idle clock) is left alone."""
    conversation = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None:
        return
    meta = dict(conversation.meta or {})
    mark = dict(meta.get(key) or {}) if isinstance(meta.get(key), dict) else {}
    current = mark.get(field)
    if isinstance(current, int) and current >= value:
        return
    mark[field] = value
    meta[key] = mark
    conversation.meta = meta


async def token_hash(session: AsyncSession, conversation_id: str) -> str | None:
    return await session.scalar(select(Conversation.token_hash).where(Conversation.id == conversation_id))


async def credentials(session: AsyncSession, conversation_id: str) -> tuple[str, datetime] | None:
    """The customer token's hash and the time of the conversation's last activity (any message or
    state change), or None."""
    row = (
        await session.execute(
            select(Conversation.token_hash, Conversation.updated_at).where(Conversation.id == conversation_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def transition(
    session: AsyncSession,
    conversation_id: str,
    from_states: Iterable[str],
    to_state: str,
    *,
    actor: str,
    detail: dict[str, Any] | None = None,
    agent_id: int | None = _UNSET,
    expect_agent: int | None = _UNSET,
    handover_id: int | None = _UNSET,
) -> bool:
    """Move a conversation between states with one conditional UPDATE; False if it was not in
    one of `from_states` (someone else won). Each `from → to` must be allowed by the transition
    table (states.check: InvalidTransition otherwise, and nothing is written). The audit row is
    written in the same transaction."""
    from_states = tuple(states.parse(f) for f in from_states)
    if not from_states:
        raise ValueError("transition: no state to leave")
    for leaving in from_states:
        to_state = states.check(leaving, to_state)
    now = utcnow()
    values: dict[str, Any] = {"state": to_state.value, "updated_at": now}
    if agent_id is not _UNSET:
        values["agent_id"] = agent_id
    if handover_id is not _UNSET:
        values["handover_id"] = handover_id
    statement = (
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.state.in_([f.value for f in from_states]))
        .values(**values)
        .returning(Conversation.id)
    )
    if expect_agent is not _UNSET:
        statement = statement.where(Conversation.agent_id == expect_agent)
    # Which state did we leave? With one from-state we know; otherwise read it first (the row
    # is ours to change in this transaction either way).
    previous = (
        from_states[0].value
        if len(from_states) == 1
        else await session.scalar(select(Conversation.state).where(Conversation.id == conversation_id))
    )
    if (await session.execute(statement)).first() is None:
        return False
    session.add(
        Audit(
            conversation_id=conversation_id,
            from_state=previous,
            to_state=to_state.value,
            actor=actor,
            at=now,
            detail=detail or {},
        )
    )
    return True


async def reassign(
    session: AsyncSession, conversation_id: str, from_agent: int, to_agent: int, *, actor: str, detail: dict[str, Any]
) -> bool:
    """Transfer an assigned conversation from one agent to another (conditional, audited)."""
    states.check(State.ASSIGNED, State.ASSIGNED)
    now = utcnow()
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.state == State.ASSIGNED.value,
            Conversation.agent_id == from_agent,
        )
        .values(agent_id=to_agent, updated_at=now)
        .returning(Conversation.id)
    )
    if result.first() is None:
        return False
    session.add(
        Audit(
            conversation_id=conversation_id,
            from_state=State.ASSIGNED.value,
            to_state=State.ASSIGNED.value,
            actor=actor,
            at=now,
            detail=detail,
        )
    )
    return True


async def lock_if_queued(session: AsyncSession, conversation_id: str) -> bool:
    """PostgreSQL: lock the row if it is still queued and nobody else holds it (SKIP LOCKED)."""
    found = await session.scalar(
        select(Conversation.id)
        .where(Conversation.id == conversation_id, Conversation.state == State.QUEUED.value)
        .with_for_update(skip_locked=True)
    )
    return found is not None


async def load_by_agent(session: AsyncSession, agent_ids: Iterable[int] | None = None) -> dict[int, int]:
    """How many assigned conversations each agent has."""
    statement = (
        select(Conversation.agent_id, func.count())
        .where(Conversation.state == State.ASSIGNED.value, Conversation.agent_id.is_not(None))
        .group_by(Conversation.agent_id)
    )
    if agent_ids is not None:
        statement = statement.where(Conversation.agent_id.in_(list(agent_ids)))
    return {agent_id: count for agent_id, count in (await session.execute(statement)).all()}


async def assigned_to(session: AsyncSession, agent_id: int) -> list[Conversation]:
    result = await session.scalars(
        select(Conversation)
        .where(Conversation.state == State.ASSIGNED.value, Conversation.agent_id == agent_id)
        .order_by(Conversation.updated_at)
    )
    return list(result)


async def count_in_state(session: AsyncSession, state: str) -> int:
    return await session.scalar(select(func.count()).select_from(Conversation).where(Conversation.state == state)) or 0


async def audit_trail(session: AsyncSession, conversation_id: str) -> list[Audit]:
    result = await session.scalars(select(Audit).where(Audit.conversation_id == conversation_id).order_by(Audit.id))
    return list(result)


async def handled_by(session: AsyncSession, conversation_id: str, agent_id: int, username: str) -> bool:
    """Whether this agent served the conversation: a handover of it is theirs, or the audit trail
    names them (they accepted, transferred or closed it; it was assigned or transferred to them)."""
    served = await session.scalar(
        select(Handover.id).where(Handover.conversation_id == conversation_id, Handover.agent_id == agent_id).limit(1)
    )
    if served is not None:
        return True
    named = await session.scalar(
        select(Audit.id)
        .where(
            Audit.conversation_id == conversation_id,
            or_(
                Audit.actor == f"agent:{username}",
                and_(
                    Audit.to_state == State.ASSIGNED.value,
                    or_(
                        Audit.detail["agent"].as_string() == username,
                        Audit.detail["transfer_to"].as_string() == username,
                    ),
                ),
            ),
        )
        .limit(1)
    )
    return named is not None


async def has_review_candidate(session: AsyncSession, conversation_id: str) -> bool:
    found = await session.scalar(
        select(ReviewCandidate.id).where(ReviewCandidate.conversation_id == conversation_id).limit(1)
    )
    return found is not None
