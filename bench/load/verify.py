"""After the run, from the bridge's own database: was every message a client saw acknowledged
stored exactly once, with the seq its acknowledgement gave, in the order it was sent?

The swarm kept a log of every message it sent (client_msg_id, text, sender) and of the seq each
acknowledgement carried (record.py). Here that log is set against the `messages` table:

- lost: acknowledged, yet no stored row has its client_msg_id;
- doubled: more than one row for one client_msg_id, or a row from a customer of these
  conversations whose client_msg_id no client ever sent (a retry stored under a new id);
- moved: stored under another seq than the acknowledgement said, or text not as sent;
- out of order: two acknowledged messages of one sender whose stored seqs run against the order
  they were sent in;
- bot turns answered twice: one customer message with the same bot reply stored twice.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

Row = tuple[int, str, str | None, str, int | None]  # seq, sender, client_msg_id, text, reply_to


def read_messages(database_url: str, conversation_ids: list[str]) -> dict[str, list[Row]]:
    """Every stored message of these conversations, by conversation, in seq order."""
    if not conversation_ids:
        return {}
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+")[0]
    query = (
        "SELECT conversation_id, seq, sender, client_msg_id, text, reply_to FROM messages "
        "WHERE conversation_id = {} ORDER BY conversation_id, seq"
    )
    rows: list[tuple] = []
    if scheme == "sqlite":
        path = database_url.split(":///", 1)[1]
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            for start in range(0, len(conversation_ids), 500):
                chunk = conversation_ids[start : start + 500]
                rows += connection.execute(
                    query.replace("= {}", f"IN ({','.join('?' * len(chunk))})"), chunk
                ).fetchall()
    elif scheme in ("postgresql", "postgres"):
        import asyncpg

        url = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))

        async def fetch() -> list:
            connection = await asyncpg.connect(url, timeout=10)
            try:
                return await connection.fetch(query.format("ANY($1::text[])"), conversation_ids)
            finally:
                await connection.close()

        rows = [tuple(r) for r in asyncio.run(fetch())]
    else:
        raise ValueError(f"cannot read messages from {scheme}")
    result: dict[str, list[Row]] = defaultdict(list)
    for conversation_id, seq, sender, client_msg_id, text, reply_to in rows:
        result[conversation_id].append((seq, sender, client_msg_id, text, reply_to))
    return result


@dataclass
class Check:
    conversations: int = 0
    acked: Counter = field(default_factory=Counter)  # sender → acknowledged messages
    stored_once: Counter = field(default_factory=Counter)
    lost: Counter = field(default_factory=Counter)
    doubled: Counter = field(default_factory=Counter)
    moved: Counter = field(default_factory=Counter)
    out_of_order: Counter = field(default_factory=Counter)
    unacked_sent: int = 0  # sent, never acknowledged (the run ended, or the client gave up)
    unacked_stored: int = 0  # … of which the bridge stored anyway (once each)
    bot_doubled: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            sum(self.lost.values())
            or sum(self.doubled.values())
            or sum(self.moved.values())
            or sum(self.out_of_order.values())
            or self.bot_doubled
        )

    def example(self, text: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(text)


def check(sent: dict[str, list[dict]], stored: dict[str, list[Row]]) -> Check:
    """`sent`: conversation → the swarm's log of what was sent in it (record.Sent as dicts)."""
    result = Check(conversations=len(sent))
    for conversation_id, items in sent.items():
        rows = stored.get(conversation_id, [])
        by_id: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            if row[2] is not None:
                by_id[row[2]].append(row)
        known = {item["client_msg_id"] for item in items}
        for row in rows:
            if row[1] == "customer" and row[2] is not None and row[2] not in known:
                result.doubled["customer"] += 1
                result.example(f"{conversation_id} seq {row[0]}: a customer message no client sent: {row[3]!r}")
        for sender in ("customer", "agent"):
            mine = sorted((i for i in items if i["sender"] == sender), key=lambda i: i["at"])
            last_seq = 0
            for item in mine:
                found = by_id.get(item["client_msg_id"], [])
                if item["acked_seq"] is None:
                    result.unacked_sent += 1
                    result.unacked_stored += bool(found)
                    if len(found) > 1:
                        result.doubled[sender] += len(found) - 1
                    continue
                result.acked[sender] += 1
                if not found:
                    result.lost[sender] += 1
                    result.example(
                        f"{conversation_id}: acknowledged seq {item['acked_seq']} not stored: {item['text']!r}"
                    )
                    continue
                if len(found) > 1:
                    result.doubled[sender] += len(found) - 1
                    result.example(f"{conversation_id}: {item['text']!r} stored {len(found)} times")
                    continue
                seq, _, _, text, _ = found[0]
                if seq != item["acked_seq"] or text != item["text"] or any(s != seq for s in item["ack_seqs"]):
                    result.moved[sender] += 1
                    result.example(f"{conversation_id}: acknowledged as seq {item['ack_seqs']}, stored as {seq}")
                    continue
                if seq <= last_seq:
                    result.out_of_order[sender] += 1
                    result.example(f"{conversation_id}: {item['text']!r} (seq {seq}) stored before seq {last_seq}")
                last_seq = max(last_seq, seq)
                result.stored_once[sender] += 1
        replies: Counter = Counter((row[4], row[3]) for row in rows if row[1] == "bot" and row[4] is not None)
        for (reply_to, text), count in replies.items():
            if count > 1:
                result.bot_doubled += count - 1
                result.example(f"{conversation_id}: the reply to seq {reply_to} stored {count} times: {text[:40]!r}")
    return result
