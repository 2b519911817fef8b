"""Rasa's endpoints file for one node: the action server, where trackers are kept, the lock store.

Rasa keeps a conversation's tracker (slots, pending question, history) in its tracker store. The
default in-memory store forgets every conversation when Rasa restarts, so Jieli always names one:

- `sqlite:////abs/path/trackers.db` or `sqlite:///var/rasa/trackers.db` (the embedded default:
  `make demo`, the tests);
- `postgresql://user[:password]@host:port/db` (production, several Rasa nodes sharing one store);
- `memory` (only for a benchmark that compares against Rasa's default).

The SQL stores are `jieli_dialogue.tracker_store.RollingSQLTrackerStore`: Rasa's SQL tracker store
that starts a new Rasa session, going on with the conversation, every `roll_after` customer
messages (default 20; 0: never), so that a bot turn costs the same at turn 200 as at turn 10.

Several Rasa nodes also need a shared lock store (`redis://host:port/db`), else two nodes could
work on one conversation at once; the bridge still sends each conversation to one node at a time
(Rasa's Redis lock is not atomic across servers, rasa#9213). Standard library only.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit


def _quoted(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid YAML scalar


STORE_CLASS = "jieli_dialogue.tracker_store.RollingSQLTrackerStore"
ROLL_AFTER = 20  # jieli_dialogue/tracker_store.py ROLL_AFTER (this module runs without Rasa installed)


def tracker_store_yaml(url: str, roll_after: int = ROLL_AFTER) -> str:
    """The `tracker_store:` block for `url` ('' for Rasa's in-memory store)."""
    if url == "memory":
        return ""
    parts = urlsplit(url)
    head = f"tracker_store:\n  type: {STORE_CLASS}\n  roll_after: {int(roll_after)}\n"
    if parts.scheme == "sqlite":  # SQLAlchemy's form: sqlite:///relative/path or sqlite:////absolute/path
        if not url.startswith("sqlite:///"):
            raise ValueError(f"unsupported tracker store {url!r}: use sqlite:///path")
        path = Path(unquote(url.removeprefix("sqlite:///")))
        path.parent.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder
        return f"{head}  dialect: sqlite\n  db: {_quoted(path)}\n"
    if parts.scheme in ("postgresql", "postgres"):
        lines = [
            head.rstrip("\n"),
            "  dialect: postgresql",
            f"  url: {_quoted(parts.hostname or '127.0.0.1')}",
            f"  port: {parts.port or 5432}",
            f"  db: {_quoted(parts.path.lstrip('/') or 'jieli_rasa')}",
            # Rasa creates the database from this one when it is missing
            "  login_db: postgres",
        ]
        if parts.username:
            lines.append(f"  username: {_quoted(unquote(parts.username))}")
        if parts.password:
            lines.append(f"  password: {_quoted(unquote(parts.password))}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"unsupported tracker store {url!r}: use sqlite:///path, postgresql://… or memory")


def lock_store_yaml(url: str | None) -> str:
    """The `lock_store:` block for `redis://host:port/db` ('' for Rasa's in-process lock)."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError(f"unsupported lock store {url!r}: use redis://host:port/db")
    lines = [
        "lock_store:",
        "  type: redis",
        f"  url: {_quoted(parts.hostname or '127.0.0.1')}",
        f"  port: {parts.port or 6379}",
        f"  db: {int(parts.path.lstrip('/') or 0)}",
        '  key_prefix: "jieli"',
    ]
    if parts.password:
        lines.append(f"  password: {_quoted(unquote(parts.password))}")
    return "\n".join(lines) + "\n"


def endpoints_yaml(
    action_url: str, webhook_token: str, tracker_store: str, lock_store: str | None = None, roll_after: int = ROLL_AFTER
) -> str:
    """The whole endpoints file of one Rasa node."""
    return (
        f"action_endpoint:\n  url: {_quoted(action_url)}\n  token: {_quoted(webhook_token)}\n"
        + tracker_store_yaml(tracker_store, roll_after)
        + lock_store_yaml(lock_store)
    )
