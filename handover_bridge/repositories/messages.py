"""Messages with a per-conversation sequence number.

`append` stores one message in the caller's unit of work through the one append path
(repositories/append.py), which assigns every message's seq.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Conversation, Message
from . import append as append_path


async def append(
    session: AsyncSession,
    conversation_id: str,
    sender: str,
    text: str,
    *,
    payload: dict[str, Any] | None = None,
    client_msg_id: str | None = None,
    reply_to: int | None = None,
    status: str | None = None,
) -> Message:
    counter, stored = await append_path.append(
        append_path.in_session(session),
        conversation_id,
        [
            {
                "sender": sender,
                "text": text,
                "payload": payload,
                "client_msg_id": client_msg_id,
                "reply_to": reply_to,
                "status": status,
            }
        ],
    )
    if counter is None:
        raise LookupError(conversation_id)
    return stored[0]


async def by_client_id(session: AsyncSession, conversation_id: str, client_msg_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.conversation_id == conversation_id, Message.client_msg_id == client_msg_id)
    )


async def after(session: AsyncSession, conversation_id: str, after_seq: int = 0, limit: int = 500) -> list[Message]:
    result = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(result)


async def produced_by(session: AsyncSession, conversation_id: str, seq: int) -> list[Message]:
    result = await session.scalars(
        select(Message).where(Message.conversation_id == conversation_id, Message.reply_to == seq).order_by(Message.seq)
    )
    return list(result)


async def set_status(
    session: AsyncSession, conversation_id: str, seq: int, status: str, *, only_if: str | None = None
) -> bool:
    statement = (
        update(Message)
        .where(Message.conversation_id == conversation_id, Message.seq == seq)
        .values(status=status)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    if only_if is not None:
        statement = statement.where(Message.status == only_if)
    return (await session.execute(statement)).first() is not None


async def last_seq(session: AsyncSession, conversation_id: str) -> int:
    return await session.scalar(select(Conversation.next_seq).where(Conversation.id == conversation_id)) or 0


async def turn_in_flight(session: AsyncSession, conversation_id: str) -> int | None:
    """The seq of the customer message whose bot turn is running, if any."""
    return await session.scalar(
        select(Message.seq)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender == "customer",
            Message.status.in_(("pending", "retrying")),
        )
        .order_by(Message.seq.desc())
        .limit(1)
    )


async def bot_payloads(session: AsyncSession, conversation_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The payloads of the conversation's newest bot messages that carry one (their buttons)."""
    result = await session.scalars(
        select(Message.payload)
        .where(Message.conversation_id == conversation_id, Message.sender == "bot", Message.payload.is_not(None))
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return [payload for payload in result if isinstance(payload, dict)]


async def from_customer(session: AsyncSession, conversation_id: str, limit: int = 1000) -> list[Message]:
    """The conversation's customer messages, oldest first (the newest `limit`)."""
    result = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.sender == "customer")
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    return list(reversed(list(result)))


async def latest_reply(session: AsyncSession, conversation_id: str) -> Message | None:
    """The newest message the customer got (from the bot, an agent or the system)."""
    return await session.scalar(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.sender != "customer")
        .order_by(Message.seq.desc())
        .limit(1)
    )
