"""Review candidates: what closed handovers can teach the bot (models.ReviewCandidate)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Agent, Handover, Message, ReviewCandidate


async def create(session: AsyncSession, **fields: Any) -> ReviewCandidate:
    candidate = ReviewCandidate(**fields)
    session.add(candidate)
    await session.flush()
    return candidate


async def get(session: AsyncSession, candidate_id: int) -> ReviewCandidate | None:
    return await session.get(ReviewCandidate, candidate_id)


async def by_handover(session: AsyncSession, handover_id: int) -> ReviewCandidate | None:
    return await session.scalar(select(ReviewCandidate).where(ReviewCandidate.handover_id == handover_id))


async def listing(
    session: AsyncSession, statuses: list[str] | None, *, limit: int, offset: int = 0
) -> list[tuple[ReviewCandidate, Handover]]:
    """Candidates with their handover; pending first by age (oldest first), others newest first."""
    statement = select(ReviewCandidate, Handover).join(Handover, Handover.id == ReviewCandidate.handover_id)
    if statuses:
        statement = statement.where(ReviewCandidate.status.in_(statuses))
    if statuses == ["pending"]:
        statement = statement.order_by(ReviewCandidate.created_at.asc(), ReviewCandidate.id.asc())
    else:
        statement = statement.order_by(ReviewCandidate.created_at.desc(), ReviewCandidate.id.desc())
    rows = await session.execute(statement.limit(limit).offset(offset))
    return [(c, h) for c, h in rows.all()]


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(ReviewCandidate.status, func.count()).group_by(ReviewCandidate.status))
    return {status: count for status, count in rows.all()}


async def for_export(session: AsyncSession) -> list[ReviewCandidate]:
    """Accepted and exported candidates (not the demo's), oldest review first."""
    result = await session.scalars(
        select(ReviewCandidate)
        .where(ReviewCandidate.status.in_(("accepted", "exported")), ReviewCandidate.demo.is_(False))
        .order_by(ReviewCandidate.reviewed_at.asc(), ReviewCandidate.id.asc())
    )
    return list(result)


async def origins(session: AsyncSession) -> list[tuple[str, int]]:
    """(conversation_id, handover_id) of every non-demo candidate, whatever its status."""
    rows = await session.execute(
        select(ReviewCandidate.conversation_id, ReviewCandidate.handover_id).where(ReviewCandidate.demo.is_(False))
    )
    return [(c, h) for c, h in rows.all()]


async def update_fields(session: AsyncSession, candidate_id: int, **values: Any) -> None:
    await session.execute(update(ReviewCandidate).where(ReviewCandidate.id == candidate_id).values(**values))


async def mark_exported(session: AsyncSession, ids: list[int], at: datetime, reviewed_before: datetime) -> int:
    """accepted → exported for these ids, unless a designer changed one since the export read it."""
    if not ids:
        return 0
    result = await session.execute(
        update(ReviewCandidate)
        .where(
            ReviewCandidate.id.in_(ids),
            ReviewCandidate.status == "accepted",
            ReviewCandidate.reviewed_at <= reviewed_before,
        )
        .values(status="exported", exported_at=at)
        .returning(ReviewCandidate.id)
    )
    return len(result.all())


async def conversation_messages(session: AsyncSession, conversation_id: str, limit: int = 5000) -> list[Message]:
    result = await session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq).limit(limit)
    )
    return list(result)


async def previous_closed(session: AsyncSession, conversation_id: str, before_id: int) -> Handover | None:
    """The conversation's handover closed before this one (its close starts this one's window)."""
    return await session.scalar(
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.id < before_id, Handover.closed_at.is_not(None))
        .order_by(Handover.id.desc())
        .limit(1)
    )


async def agent_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = await session.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(ids)))
    return dict(rows.all())
