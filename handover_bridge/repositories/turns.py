"""The bot-turn hot path, in plain driver SQL (see Database.raw): open a conversation, store a
customer message, and store the bot's replies. Each is one short transaction; the messages get
their seqs from the one append path (repositories/append.py), which on PostgreSQL sends the whole
transaction as ONE statement (run with `db.raw(single_statement=True)`): one round trip instead of
five (BEGIN, UPDATE, INSERT, UPDATE, COMMIT), each of which waits for the server process to be
scheduled on a busy machine. SQLite runs the statements one by one, in microseconds (db.py).
"""

from __future__ import annotations

from typing import Any

from ..db import RawTransaction
from ..domain import states
from ..models import Message, utcnow
from .append import BOT_TURN, Counter, append

__all__ = ["Counter", "create_conversation", "mark_first_reply", "store_customer_message", "store_replies"]

_FIRST_REPLY = (
    "UPDATE handovers SET first_reply_at = $1 WHERE first_reply_at IS NULL AND id = "
    "(SELECT handover_id FROM conversations WHERE id = $2) RETURNING id"
)
_CREATE = (
    "INSERT INTO conversations (id, token_hash, state, metadata, next_seq, created_at, updated_at, channel) "
    f"VALUES ($1, $2, '{states.INITIAL.value}', $3, 0, $4, $5, $6)"
)
_AUDIT = (
    "INSERT INTO audit (conversation_id, from_state, to_state, actor, at, detail) "
    f"VALUES ($1, NULL, '{states.INITIAL.value}', 'customer', $2, $3)"
)


async def store_customer_message(
    tx: RawTransaction,
    conversation_id: str,
    text: str,
    client_msg_id: str | None,
    abusive: bool,
    payload: dict[str, Any] | None = None,
) -> tuple[Counter | None, Message | None]:
    """The customer's message with the next seq, unless the conversation is closed (None, None).
    Status `pending` while the bot answers it (bot mode: states.goes_to_bot). `payload`: the
    button it was (widget quick replies). A duplicate client_msg_id raises db.DuplicateKey and
    stores nothing."""
    counter, stored = await append(
        tx,
        conversation_id,
        [
            {
                "sender": "customer",
                "text": text,
                "client_msg_id": client_msg_id,
                "payload": payload,
                "status": BOT_TURN,
                "abusive": abusive,
            }
        ],
        open_only=True,
    )
    return (None, None) if counter is None else (counter, stored[0])


async def store_replies(
    tx: RawTransaction, conversation_id: str, replies: list[tuple[str, dict | None]], reply_to: int | None
) -> tuple[Counter | None, list[Message]]:
    """The bot's replies (text, payload) with the next seqs; the customer message they answer
    (`reply_to`) is done. (None, []) when the conversation does not exist."""
    return await append(
        tx,
        conversation_id,
        [{"sender": "bot", "text": text, "payload": payload, "reply_to": reply_to} for text, payload in replies],
        done=reply_to,
    )


async def create_conversation(
    tx: RawTransaction, conversation_id: str, token_hash: str, meta: dict[str, Any], channel: str = "web"
) -> None:
    """A new conversation in bot mode (states.INITIAL) on `channel`, and its first audit entry."""
    stamp = tx.timestamp(utcnow())
    await tx.executemany(_CREATE, [(conversation_id, token_hash, tx.dumps(meta), stamp, stamp, channel)])
    await tx.executemany(_AUDIT, [(conversation_id, stamp, tx.dumps({}))])


async def mark_first_reply(tx: RawTransaction, conversation_id: str) -> None:
    """The open handover's first agent reply (wait-to-first-reply analytics); later replies no-op."""
    await tx.fetchrow(_FIRST_REPLY, tx.timestamp(utcnow()), conversation_id)
