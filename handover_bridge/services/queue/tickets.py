"""Tickets: when nobody can take the conversation the customer leaves a message and a contact;
agents list them and answer."""

from __future__ import annotations

from typing import Any

from ...domain import states, texts
from ...domain.errors import Conflict, Invalid, NotFound
from ...domain.states import State
from ...models import Agent, Ticket, utcnow
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ...repositories import tickets as tickets_repo
from ..customer.conversations import ConversationService
from ..infra.frames import AGENTS, message_events, state_frame, topics
from ..wiring.context import Context
from .queue import QueueService

MAX_CONTACT = 100
STATUSES = ("open", "answered", "closed")


def ticket_dict(ticket: Ticket, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {
        "id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "message": ticket.message,
        "contact": ticket.contact,
        "status": ticket.status,
        "reply": ticket.reply,
        "created_at": ticket.created_at.isoformat(),
        "answered_at": ticket.answered_at.isoformat() if ticket.answered_at else None,
    }
    if metadata is not None:
        data["metadata"] = metadata
    return data


class TicketService:
    def __init__(self, ctx: Context, queue: QueueService, conversations: ConversationService):
        self.ctx = ctx
        self.queue = queue
        self.conversations = conversations

    async def leave(self, conversation_id: str, message: Any, contact: Any) -> dict[str, Any]:
        message = self.conversations.validate_text(message)
        if not isinstance(contact, str) or not contact.strip():
            raise Invalid("请留下您的联系方式(电话或邮箱)。", "missing_contact")
        if len(contact) > MAX_CONTACT:
            raise Invalid(f"contact must be at most {MAX_CONTACT} characters", "invalid_contact")
        contact = contact.strip()
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            states.transition(conversation, State.TICKET)  # from bot or queued (409 bad_state)
            handover_id = conversation.handover_id
            if not await conversations_repo.transition(
                session,
                conversation_id,
                [conversation.state],
                State.TICKET,
                actor="customer",
                handover_id=None,
                detail={"contact_given": True},
            ):
                raise Conflict("the conversation changed meanwhile, please retry", "bad_state")
            if handover_id:
                await handovers_repo.update_fields(session, handover_id, closed_at=utcnow(), resolution="ticket")
            ticket = await tickets_repo.create(session, conversation_id, message, contact)
            notice = await messages_repo.append(
                session,
                conversation_id,
                "system",
                texts.TICKET_RECEIVED.format(contact=contact),
                payload={"type": "ticket", "ticket_id": ticket.id},
            )
        self.ctx.metrics.messages.labels("system").inc()
        await self.ctx.publish(
            [
                *message_events(conversation_id, None, [notice]),
                (topics(conversation_id, agents=True), state_frame(conversation_id, State.TICKET)),
                ((AGENTS,), {"type": "ticket", "ticket": ticket_dict(ticket)}),
            ]
        )
        await self.queue.maintain()
        return ticket_dict(ticket)

    async def listing(self, status: str | None) -> list[dict[str, Any]]:
        if status is not None and status not in STATUSES:
            raise Invalid("status must be open, answered or closed", "invalid_status")
        async with self.ctx.db.read() as session:
            rows = await tickets_repo.listing(session, status)
        return [ticket_dict(t, c.meta) for t, c in rows]

    async def answer(self, agent: Agent, ticket_id: int, reply: Any = None) -> dict[str, Any]:
        if reply is not None:
            reply = self.conversations.validate_text(reply)
        async with self.ctx.db.write() as session:
            ticket = await tickets_repo.get(session, ticket_id)
            if ticket is None:
                raise NotFound("ticket not found")
            await tickets_repo.set_status(session, ticket_id, "answered", agent_id=agent.id, reply=reply)
            stored = []
            if reply:
                stored.append(
                    await messages_repo.append(
                        session,
                        ticket.conversation_id,
                        "agent",
                        texts.TICKET_ANSWERED.format(reply=reply),
                        payload={
                            "type": "ticket_reply",
                            "ticket_id": ticket_id,
                            "agent": {"id": agent.id, "display_name": agent.display_name},
                        },
                    )
                )
            await session.refresh(ticket)
        await self.ctx.publish(message_events(ticket.conversation_id, None, stored))
        return ticket_dict(ticket)

    async def close(self, ticket_id: int) -> dict[str, Any]:
        async with self.ctx.db.write() as session:
            if not await tickets_repo.set_status(session, ticket_id, "closed"):
                raise NotFound("ticket not found")
            ticket = await tickets_repo.get(session, ticket_id)
            await session.refresh(ticket)
        return ticket_dict(ticket)
