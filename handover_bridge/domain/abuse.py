"""Abusive customer messages: the bridge's side of the one profanity matcher.

The rules live in `jieli_contract/profanity.py` (the escalation signals and the agent console follow
the same ones); the words in `lexicon/profanity.yml` (JIELI_PROFANITY_LEXICON overrides the path).
The bridge loads the list when it starts (`configure`, called by the container) and flags every
stored customer message that matches (`Message.abusive`); the console gets the list and the folding
table from `GET /api/lexicon/profanity`. Nothing is read at import time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jieli_contract.profanity import LexiconError
from jieli_contract.profanity import ProfanityLexicon as Lexicon

__all__ = ["Lexicon", "LexiconError", "configure", "cooling", "is_abusive", "lexicon"]

_current: Lexicon | None = None


def configure(path: str | Path | None = None) -> Lexicon:
    """Load the lexicon (the container calls this at start) and make it the one `is_abusive` uses."""
    global _current
    _current = Lexicon.load(path)
    return _current


def lexicon() -> Lexicon:
    """The configured lexicon; the default file on first use if nothing configured it."""
    return _current or configure()


def is_abusive(text: Any) -> bool:
    """True when a customer's text contains a word of the profanity lexicon."""
    return lexicon().is_abusive(text)


def cooling(cooldown_until: datetime | None, now: datetime | None = None) -> bool:
    """True while an agent's cool-down after an abusive chat runs: no auto-assignment until then
    (services/queue/assignment.py; set by services/queue/protection.py)."""
    return cooldown_until is not None and cooldown_until > (now or datetime.now(timezone.utc))
