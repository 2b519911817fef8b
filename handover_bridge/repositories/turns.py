"""The bot-turn hot path, in plain driver SQL (see Database.raw): open a conversation, store a
customer message, and store the bot's replies. Each is one short transaction:

    UPDATE conversations SET next_seq = next_seq + :n … RETURNING next_seq, state, agent_id, metadata
    INSERT INTO messages …                       (the n messages, seqs from that counter)
    UPDATE messages SET status = 'done' …        (replies only: the turn is finished)

The counter row is locked by the UPDATE (PostgreSQL) or the single writer (SQLite), so seqs are
race-free; the same UPDATE tells the conversation's state, so no separate read is needed.

On PostgreSQL, `store_customer_message` and `store_replies` send the whole transaction as ONE
statement (data-modifying CTEs, run with `db.raw(single_statement=True)`): one round trip instead
of five (BEGIN, UPDATE, INSERT, UPDATE, COMMIT), each of which waits for the server process to be
scheduled on a busy machine. SQLite runs the statements one by one, in microseconds (db.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..db import RawTransaction
from ..models import Message, utcnow

_RESERVE = ("UPDATE conversations SET next_seq = next_seq + $1, updated_at = $2 WHERE id = $3 "
            "RETURNING next_seq, state, agent_id, metadata")
_RESERVE_OPEN = ("UPDATE conversations SET next_seq = next_seq + $1, updated_at = $2 WHERE id = $3 "
                 "AND state != 'closed' RETURNING next_seq, state, agent_id, metadata")
_INSERT = ("INSERT INTO messages (conversation_id, seq, client_msg_id, sender, text, payload, reply_to, "
           "status, abusive, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
_FIRST_REPLY = ("UPDATE handovers SET first_reply_at = $1 WHERE first_reply_at IS NULL AND id = "
                "(SELECT handover_id FROM conversations WHERE id = $2) RETURNING id")
_CREATE = ("INSERT INTO conversations (id, token_hash, state, metadata, next_seq, created_at, updated_at) "
           "VALUES ($1, $2, 'bot', $3, 0, $4, $5)")
_AUDIT = ("INSERT INTO audit (conversation_id, from_state, to_state, actor, at, detail) "
          "VALUES ($1, NULL, 'bot', 'customer', $2, $3)")
_DONE = "UPDATE messages SET status = 'done' WHERE conversation_id = $1 AND seq = $2 RETURNING id"


@dataclass(frozen=True)
class Counter:
    next_seq: int     # the last seq now taken
    state: str
    agent_id: int | None
    metadata: dict[str, Any]


_PG_CUSTOMER = (
    "WITH c AS (UPDATE conversations SET next_seq = next_seq + 1, updated_at = $1 "
    "  WHERE id = $2 AND state != 'closed' RETURNING next_seq, state, agent_id, metadata), "
    "m AS (INSERT INTO messages (conversation_id, seq, client_msg_id, sender, text, payload, reply_to, status, "
    "  abusive, created_at) SELECT $3::text, c.next_seq, $4::text, 'customer', $5::text, $6::json, NULL, "
    "  CASE WHEN c.state = 'bot' THEN 'pending' END, $7::boolean, $8::timestamptz FROM c RETURNING seq) "
    "SELECT c.next_seq, c.state, c.agent_id, c.metadata FROM c")
_PG_REPLIES = (
    "WITH c AS (UPDATE conversations SET next_seq = next_seq + $1 , updated_at = $2 WHERE id = $3 "
    "  RETURNING next_seq, state, agent_id, metadata), "
    "m AS (INSERT INTO messages (conversation_id, seq, sender, text, payload, reply_to, abusive, created_at) "
    "  SELECT $4::text, c.next_seq - $5::integer + r.n, 'bot', r.text, r.payload::json, $6::integer, false, "
    "  $7::timestamptz "
    "  FROM c, unnest($8::text[], $9::text[]) WITH ORDINALITY AS r(text, payload, n) RETURNING seq), "
    "d AS (UPDATE messages SET status = 'done' WHERE conversation_id = $10 AND seq = $11::integer) "
    "SELECT c.next_seq, c.state, c.agent_id, c.metadata FROM c")


def _counter(tx: RawTransaction, row) -> Counter | None:
    return None if row is None else Counter(row[0], row[1], row[2], tx.loads(row[3]) or {})


async def store_customer_message(tx: RawTransaction, conversation_id: str, text: str, client_msg_id: str | None,
                                 abusive: bool, payload: dict[str, Any] | None = None
                                 ) -> tuple[Counter | None, Message | None]:
    """The customer's message with the next seq, unless the conversation is closed (None, None).
    Status `pending` while the bot answers it (bot mode). `payload`: the button it was (widget
    quick replies). A duplicate client_msg_id raises db.DuplicateKey and stores nothing."""
    if tx.is_postgres:
        now = utcnow()
        row = await tx.fetchrow(_PG_CUSTOMER, now, conversation_id, conversation_id, client_msg_id, text,
                                tx.dumps(payload), abusive, now)
        counter = _counter(tx, row)
        if counter is None:
            return None, None
        return counter, Message(conversation_id=conversation_id, seq=counter.next_seq, sender="customer",
                                text=text, payload=payload, client_msg_id=client_msg_id, reply_to=None,
                                status="pending" if counter.state == "bot" else None, abusive=abusive,
                                created_at=now)
    counter = await reserve(tx, conversation_id, 1, open_only=True)
    if counter is None:
        return None, None
    [message] = await insert(tx, conversation_id, counter.next_seq, [{
        "sender": "customer", "text": text, "client_msg_id": client_msg_id, "payload": payload,
        "status": "pending" if counter.state == "bot" else None, "abusive": abusive}])
    return counter, message


async def store_replies(tx: RawTransaction, conversation_id: str, replies: list[tuple[str, dict | None]],
                        reply_to: int | None) -> tuple[Counter | None, list[Message]]:
    """The bot's replies (text, payload) with the next seqs; the customer message they answer
    (`reply_to`) is done. (None, []) when the conversation does not exist."""
    count = len(replies)
    if tx.is_postgres:
        now = utcnow()
        row = await tx.fetchrow(_PG_REPLIES, count, now, conversation_id, conversation_id, count, reply_to, now,
                                [text for text, _ in replies], [tx.dumps(payload) for _, payload in replies],
                                conversation_id, reply_to)
        counter = _counter(tx, row)
        if counter is None:
            return None, []
        first = counter.next_seq - count + 1
        return counter, [Message(conversation_id=conversation_id, seq=first + n, sender="bot", text=text or "",
                                 payload=payload, client_msg_id=None, reply_to=reply_to, status=None,
                                 abusive=False, created_at=now)
                         for n, (text, payload) in enumerate(replies)]
    counter = await reserve(tx, conversation_id, count)
    if counter is None:
        return None, []
    stored = await insert(tx, conversation_id, counter.next_seq - count + 1, [
        {"sender": "bot", "text": text, "payload": payload, "reply_to": reply_to} for text, payload in replies])
    if reply_to is not None:
        await mark_done(tx, conversation_id, reply_to)
    return counter, stored


async def create_conversation(tx: RawTransaction, conversation_id: str, token_hash: str,
                              meta: dict[str, Any]) -> None:
    """A new conversation in bot mode, and its first audit entry."""
    stamp = tx.timestamp(utcnow())
    await tx.executemany(_CREATE, [(conversation_id, token_hash, tx.dumps(meta), stamp, stamp)])
    await tx.executemany(_AUDIT, [(conversation_id, stamp, tx.dumps({}))])


async def reserve(tx: RawTransaction, conversation_id: str, count: int, *, open_only: bool = False) -> Counter | None:
    row = await tx.fetchrow(_RESERVE_OPEN if open_only else _RESERVE, count, tx.timestamp(utcnow()),
                            conversation_id)
    if row is None:
        return None
    return Counter(row[0], row[1], row[2], tx.loads(row[3]) or {})


async def insert(tx: RawTransaction, conversation_id: str, first_seq: int,
                 items: list[dict[str, Any]]) -> list[Message]:
    """Messages (dicts of sender, text, payload, client_msg_id, reply_to, status, abusive) with seqs from
    `first_seq`; returned as detached Message objects. A duplicate client_msg_id raises
    db.DuplicateKey."""
    now = utcnow()
    stamp = tx.timestamp(now)
    messages = [Message(conversation_id=conversation_id, seq=first_seq + n, sender=item["sender"],
                        text=item.get("text") or "", payload=item.get("payload"),
                        client_msg_id=item.get("client_msg_id"), reply_to=item.get("reply_to"),
                        status=item.get("status"), abusive=bool(item.get("abusive")), created_at=now)
                for n, item in enumerate(items)]
    if messages:
        await tx.executemany(_INSERT, [(m.conversation_id, m.seq, m.client_msg_id, m.sender, m.text,
                                        tx.dumps(m.payload), m.reply_to, m.status, m.abusive, stamp)
                                       for m in messages])
    return messages


async def mark_done(tx: RawTransaction, conversation_id: str, seq: int) -> None:
    await tx.fetchrow(_DONE, conversation_id, seq)


async def mark_first_reply(tx: RawTransaction, conversation_id: str) -> None:
    """The open handover's first agent reply (wait-to-first-reply analytics); later replies no-op."""
    await tx.fetchrow(_FIRST_REPLY, tx.timestamp(utcnow()), conversation_id)
