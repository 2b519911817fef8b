"""Tickets: a message and a contact left when no agent could take the conversation."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Conversation, Ticket, utcnow


async def create(session: AsyncSession, conversation_id: str, message: str, contact: str) -> Ticket:
    ticket = Ticket(
        conversation_id=conversation_id, message=message, contact=contact, status="open", created_at=utcnow()
    )
    session.add(ticket)
    await session.flush()
    return ticket


async def get(session: AsyncSession, ticket_id: int) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


async def listing(session: AsyncSession, status: str | None, limit: int = 200) -> list[tuple[Ticket, Conversation]]:
    statement = (
        select(Ticket, Conversation)
        .join(Conversation, Conversation.id == Ticket.conversation_id)
        .order_by(Ticket.id)
        .limit(limit)
    )
    if status:
        statement = statement.where(Ticket.status == status)
    return [(t, c) for t, c in (await session.execute(statement)).all()]


async def set_status(
    session: AsyncSession, ticket_id: int, status: str, *, agent_id: int | None = None, reply: str | None = None
) -> bool:
    values = {"status": status}
    if status == "answered":
        values.update(answered_at=utcnow(), answered_by=agent_id, reply=reply)
    result = await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values).returning(Ticket.id))
    return result.first() is not None
