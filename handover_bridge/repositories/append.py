"""The one append path: every message the bridge stores gets its `seq` here.

    UPDATE conversations SET next_seq = next_seq + n … RETURNING next_seq, state, agent_id, metadata
    INSERT INTO messages …                       (the n messages, seqs next_seq − n + 1 … next_seq)

The UPDATE locks the conversation's row (PostgreSQL) or runs under the single writer (SQLite), so
seqs are race-free and gap-free, and a rolled-back insert gives its numbers back; the same UPDATE
tells the conversation's state, so no separate read is needed. On PostgreSQL both (and marking the
answered customer message done) are ONE statement (data-modifying CTEs): one round trip.

`append` works on a raw driver transaction (db.raw(), the bot-turn hot path: repositories/turns)
and, through `in_session`, inside an ORM unit of work (db.write(): queue notices, agent joins,
closes, the demo week), so there is one way to take a seq.

A customer message's status is `pending` (its bot turn is running) only when the conversation's
state sends it to the bot: states.goes_to_bot, handed to PostgreSQL as the parameter TO_BOT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..db import RawTransaction, SessionTransaction
from ..domain import states
from ..models import Message, utcnow

BOT_TURN = object()  # an item's status: `pending` if the conversation is in bot mode, else none

_RESERVE = (
    "UPDATE conversations SET next_seq = next_seq + $1, updated_at = $2 WHERE id = $3 "
    "RETURNING next_seq, state, agent_id, metadata"
)
_ALL_STATES = [s.value for s in states.State]
_OPEN_STATES = [s.value for s in states.State if s in states.OPEN]
_TO_BOT = [s.value for s in states.TO_BOT]
_RESERVE_OPEN = (
    "UPDATE conversations SET next_seq = next_seq + $1, updated_at = $2 WHERE id = $3 "
    f"AND state IN ({', '.join(repr(s) for s in _OPEN_STATES)}) "
    "RETURNING next_seq, state, agent_id, metadata"
)
_INSERT = (
    "INSERT INTO messages (conversation_id, seq, client_msg_id, sender, text, payload, reply_to, "
    "status, abusive, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
)
_DONE = "UPDATE messages SET status = 'done' WHERE conversation_id = $1 AND seq = $2 RETURNING id"
_PG_APPEND = (
    "WITH c AS (UPDATE conversations SET next_seq = next_seq + $1, updated_at = $2 "
    "  WHERE id = $3 AND state = ANY($4::text[]) RETURNING next_seq, state, agent_id, metadata), "
    "m AS (INSERT INTO messages (conversation_id, seq, client_msg_id, sender, text, payload, reply_to, status, "
    "  abusive, created_at) "
    "  SELECT $3, c.next_seq - $1 + r.n, r.client_msg_id, r.sender, r.text, r.payload::json, r.reply_to, "
    "  CASE WHEN NOT r.bot_turn THEN r.status WHEN c.state = ANY($5::text[]) THEN 'pending' END, "
    "  r.abusive, r.created_at "
    "  FROM c, unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::integer[], $11::text[], "
    "  $12::boolean[], $13::boolean[], $14::timestamptz[]) WITH ORDINALITY "
    "  AS r(client_msg_id, sender, text, payload, reply_to, status, bot_turn, abusive, created_at, n) "
    "  RETURNING seq), "
    "d AS (UPDATE messages SET status = 'done' WHERE conversation_id = $3 AND seq = $15::integer) "
    "SELECT c.next_seq, c.state, c.agent_id, c.metadata FROM c"
)


@dataclass(frozen=True)
class Counter:
    next_seq: int  # the last seq now taken
    state: str
    agent_id: int | None
    metadata: dict[str, Any]


async def append(
    tx: RawTransaction,
    conversation_id: str,
    items: Sequence[dict[str, Any]],
    *,
    open_only: bool = False,
    done: int | None = None,
    guard: Callable[[Counter], None] | None = None,
    at: datetime | None = None,
) -> tuple[Counter | None, list[Message]]:
    """Store `items` (dicts of sender, text, and optionally payload, client_msg_id, reply_to, status
    — BOT_TURN for a customer message — abusive, created_at) as the conversation's next messages.
    Returns the counter row and the messages (detached), or (None, []) when there is no such
    conversation (or, with `open_only`, it is closed). `done`: the seq of the customer message
    these answer, marked done. `guard(counter)` may raise to refuse before anything is inserted
    (the whole transaction is rolled back). `at`: the conversation's new last activity (default
    now; the demo week's are in the past). A duplicate client_msg_id raises db.DuplicateKey."""
    now = at or utcnow()
    count = len(items)
    if tx.is_postgres and guard is None:
        when = [item.get("created_at") or now for item in items]
        row = await tx.fetchrow(
            _PG_APPEND,
            count,
            now,
            conversation_id,
            _OPEN_STATES if open_only else _ALL_STATES,
            _TO_BOT,
            [item.get("client_msg_id") for item in items],
            [item["sender"] for item in items],
            [item.get("text") or "" for item in items],
            [tx.dumps(item.get("payload")) for item in items],
            [item.get("reply_to") for item in items],
            [None if item.get("status") is BOT_TURN else item.get("status") for item in items],
            [item.get("status") is BOT_TURN for item in items],
            [bool(item.get("abusive")) for item in items],
            when,
            done,
        )
        counter = _counter(tx, row)
        return (None, []) if counter is None else (counter, _messages(conversation_id, counter, items, now))
    row = await tx.fetchrow(_RESERVE_OPEN if open_only else _RESERVE, count, tx.timestamp(now), conversation_id)
    counter = _counter(tx, row)
    if counter is None:
        return None, []
    if guard is not None:
        guard(counter)
    messages = _messages(conversation_id, counter, items, now)
    if messages:
        await tx.executemany(
            _INSERT,
            [
                (
                    m.conversation_id,
                    m.seq,
                    m.client_msg_id,
                    m.sender,
                    m.text,
                    tx.dumps(m.payload),
                    m.reply_to,
                    m.status,
                    m.abusive,
                    tx.timestamp(m.created_at),
                )
                for m in messages
            ],
        )
    if done is not None:
        await tx.fetchrow(_DONE, conversation_id, done)
    return counter, messages


def _counter(tx: RawTransaction, row) -> Counter | None:
    return None if row is None else Counter(row[0], row[1], row[2], tx.loads(row[3]) or {})


def _messages(conversation_id: str, counter: Counter, items: Sequence[dict[str, Any]], now: datetime) -> list[Message]:
    first = counter.next_seq - len(items) + 1
    pending = "pending" if states.goes_to_bot(counter.state) else None
    return [
        Message(
            conversation_id=conversation_id,
            seq=first + n,
            sender=item["sender"],
            text=item.get("text") or "",
            payload=item.get("payload"),
            client_msg_id=item.get("client_msg_id"),
            reply_to=item.get("reply_to"),
            status=pending if item.get("status") is BOT_TURN else item.get("status"),
            abusive=bool(item.get("abusive")),
            created_at=item.get("created_at") or now,
        )
        for n, item in enumerate(items)
    ]


def in_session(session: AsyncSession) -> RawTransaction:
    """`append` inside this ORM unit of work."""
    return SessionTransaction(session)
