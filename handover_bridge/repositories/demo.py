"""The demo week's rows (services/demo/demo_week.py): find them and remove them. Demo conversations have
ids that start with DEMO_PREFIX *and* metadata {"demo": true}; nothing else is ever touched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Audit, Conversation, Handover, Message, ReviewCandidate, Ticket

DEMO_PREFIX = "de40de40"


async def demo_conversations(session: AsyncSession) -> list[tuple[str, dict[str, Any]]]:
    rows = await session.execute(
        select(Conversation.id, Conversation.meta).where(Conversation.id.like(f"{DEMO_PREFIX}%"))
    )
    return [(cid, meta or {}) for cid, meta in rows.all() if (meta or {}).get("demo") is True]


async def delete_conversations(session: AsyncSession, ids: Sequence[str]) -> None:
    """Remove these conversations and everything that hangs off them."""
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for model in (ReviewCandidate, Ticket, Message, Audit, Handover):
            await session.execute(delete(model).where(model.conversation_id.in_(chunk)))
        await session.execute(delete(Conversation).where(Conversation.id.in_(chunk)))
