"""Suggested replies: the past answers they draw on, and which suggestion each agent reply used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Conversation, Handover, Message, ReviewCandidate, SuggestionUse


async def customer_texts(session: AsyncSession, conversation_id: str, limit: int) -> list[str]:
    """The customer's last ``limit`` messages, oldest first."""
    rows = await session.scalars(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.sender == "customer")
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return list(reversed([t for t in rows.all() if t]))


async def past_answers(session: AsyncSession, min_rating: int) -> list[tuple[ReviewCandidate, int | None]]:
    """Candidates with an answer that designers accepted, or whose handover the customer rated at
    least ``min_rating`` (with that rating). Demo rows count: they are the demo's history."""
    rows = await session.execute(
        select(ReviewCandidate, Handover.rating)
        .join(Handover, Handover.id == ReviewCandidate.handover_id)
        .where(
            ReviewCandidate.answer.is_not(None),
            ReviewCandidate.status != "rejected",
            or_(ReviewCandidate.status.in_(("accepted", "exported")), Handover.rating >= min_rating),
        )
        .order_by(ReviewCandidate.id)
    )
    return [(c, r) for c, r in rows.all()]


async def past_answers_signature(session: AsyncSession, min_rating: int) -> tuple[Any, ...]:
    """Changes whenever `past_answers` may have: rows, their last review, the rated handovers."""
    candidates = await session.execute(
        select(func.count(), func.max(ReviewCandidate.id), func.max(ReviewCandidate.reviewed_at)).where(
            ReviewCandidate.answer.is_not(None)
        )
    )
    rated = await session.execute(select(func.count(), func.sum(Handover.rating)).where(Handover.rating >= min_rating))
    return (*candidates.one(), *rated.one())


async def conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def handover(session: AsyncSession, handover_id: int | None) -> Handover | None:
    return await session.get(Handover, handover_id) if handover_id else None


async def add_use(session: AsyncSession, **fields: Any) -> SuggestionUse:
    use = SuggestionUse(**fields)
    session.add(use)
    await session.flush()
    return use


async def uses_of_handovers(session: AsyncSession, handover_ids: list[int]) -> list[SuggestionUse]:
    if not handover_ids:
        return []
    rows = await session.scalars(
        select(SuggestionUse).where(SuggestionUse.handover_id.in_(handover_ids)).order_by(SuggestionUse.id)
    )
    return list(rows.all())


async def last_used(session: AsyncSession, handover_id: int) -> SuggestionUse | None:
    """The last reply of this handover that used a suggestion (as is or edited)."""
    return await session.scalar(
        select(SuggestionUse)
        .where(SuggestionUse.handover_id == handover_id, SuggestionUse.how != "none")
        .order_by(SuggestionUse.id.desc())
        .limit(1)
    )


async def last_agent_text(session: AsyncSession, conversation_id: str, since_seq: int = 0) -> str | None:
    return await session.scalar(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.sender == "agent", Message.seq > since_seq)
        .order_by(Message.seq.desc())
        .limit(1)
    )


async def use_counts(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(SuggestionUse.how, func.count())
        .where(SuggestionUse.created_at >= start, SuggestionUse.created_at < end)
        .group_by(SuggestionUse.how)
    )
    return {how: int(n) for how, n in rows.all()}


async def use_counts_by_source(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(SuggestionUse.source, func.count())
        .where(
            SuggestionUse.created_at >= start,
            SuggestionUse.created_at < end,
            SuggestionUse.how != "none",
        )
        .group_by(SuggestionUse.source)
    )
    return {str(source): int(n) for source, n in rows.all()}
