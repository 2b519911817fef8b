"""Which Rasa node a conversation goes to: rendezvous (highest random weight) hashing on the
conversation id, and the back-off of a node that stopped answering. No I/O, no clock of its own.

Why rendezvous hashing: every bridge process computes the same ranking of the nodes for a
conversation from nothing but the node list and the id, so one conversation goes to one Rasa node
at a time whichever bridge (or worker) handles its message — Rasa's Redis lock is not atomic
across servers (rasa#9213), the bridge's routing is the real fence. A node that goes away moves
only its own conversations, each to the next node in that conversation's ranking; when it comes
back they return to it, and nobody else moves. The score is a keyed hash from hashlib, never
Python's `hash()`, which is salted per process (PYTHONHASHSEED) and would make two bridges
disagree. The order of the nodes in the setting does not matter; their spelling does: give every
bridge the same URLs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# A down node is tried again after FIRST_WAIT seconds, then after twice as long each time it
# still does not answer, at most LONGEST_WAIT.
FIRST_WAIT = 1.0
LONGEST_WAIT = 10.0


def score(node: str, conversation_id: str) -> int:
    """The node's weight for the conversation: 64 bits of BLAKE2b over both (stable everywhere)."""
    digest = hashlib.blake2b(f"{node}\n{conversation_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def ranking(conversation_id: str, nodes: Iterable[str]) -> list[str]:
    """Every node, the conversation's first choice first (ties, which 64 bits make unlikely, by
    name, so the order never depends on the list's order)."""
    return sorted(nodes, key=lambda node: (-score(node, conversation_id), node))


def route(conversation_id: str, nodes: Iterable[str], down: Collection[str] = ()) -> list[str]:
    """The order a conversation's call tries the nodes in: the nodes that are up in the
    conversation's ranking, then the ones marked down (a last resort when nothing else answers:
    one may be back already)."""
    ranked = ranking(conversation_id, nodes)
    return [n for n in ranked if n not in down] + [n for n in ranked if n in down]


def label(url: str) -> str:
    """How a node is named in /healthz, /metrics and logs: its URL without any user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class NodeHealth:
    """What one bridge process believes of one node. `retry_at` is on the caller's monotonic clock."""

    up: bool = True
    failures: int = 0  # in a row
    retry_at: float = 0.0

    def failed(self, now: float, first_wait: float = FIRST_WAIT, longest_wait: float = LONGEST_WAIT) -> NodeHealth:
        """Marked down; tried again after a wait that doubles with every failure in a row."""
        failures = self.failures + 1
        wait = min(longest_wait, first_wait * 2 ** (failures - 1))
        return NodeHealth(up=False, failures=failures, retry_at=now + wait)

    def answered(self) -> NodeHealth:
        return NodeHealth()

    def due(self, now: float) -> bool:
        """A down node whose wait is over: time to ask it again."""
        return not self.up and now >= self.retry_at
