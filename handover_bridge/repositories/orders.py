"""The audit of agents' actions on orders (the order panel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import OrderAction


async def add_action(
    session: AsyncSession,
    *,
    conversation_id: str,
    agent_id: int,
    order_id: str,
    action: str,
    result: str,
    detail: dict[str, Any] | None = None,
) -> OrderAction:
    row = OrderAction(
        conversation_id=conversation_id,
        agent_id=agent_id,
        order_id=order_id,
        action=action,
        result=result,
        detail=detail or {},
    )
    session.add(row)
    await session.flush()
    return row


async def actions_of(session: AsyncSession, conversation_id: str) -> list[OrderAction]:
    return list(
        await session.scalars(
            select(OrderAction).where(OrderAction.conversation_id == conversation_id).order_by(OrderAction.id)
        )
    )
