"""Emotion in one customer message — negative words, profanity, shouting — and the frustration
score over the recent ones (see `Lexicon` and the package docstring)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .events import MAX_TEXT, Turn
from .lexicon import Lexicon

_EXCLAIM_RUN = re.compile(r"!{2,}")
_QUESTION_RUN = re.compile(r"\?{2,}")
_MIXED_RUN = re.compile(r"[!?]*(?:!\?|\?!)[!?]*")
_REPEATED_CHAR = re.compile(r"([\u4e00-\u9fffA-Za-z])\1{2,}")
_REPEATED_WORD = re.compile(r"([^\s!?.,~。、…]{2,6}?)\1{2,}")
_CAPS_RUN = re.compile(r"[A-Z]{4,}")
_LATIN = re.compile(r"[A-Za-z]")


def shouting(original: str) -> tuple[float, list[str]]:
    """(score, marks) for shouting in the ORIGINAL text (only full-width folded to half-width)."""
    text = unicodedata.normalize("NFKC", original or "")[:MAX_TEXT]
    score, marks = 0.0, []
    mixed = _MIXED_RUN.search(text)
    if mixed:
        score += 0.2
        marks.append(mixed.group(0))
    for run_pattern in (_EXCLAIM_RUN, _QUESTION_RUN):
        longest = max((m.group(0) for m in run_pattern.finditer(text)), key=len, default="")
        if longest and not (mixed and longest in mixed.group(0)):
            score += 0.2 if len(longest) >= 3 else 0.1
            marks.append(longest)
    repeated = _REPEATED_CHAR.search(text) or _REPEATED_WORD.search(text)
    if repeated:
        score += 0.15
        marks.append(repeated.group(0))
    letters = _LATIN.findall(text)
    caps = _CAPS_RUN.search(text)
    if caps and len(letters) >= 4 and all(ch.isupper() for ch in letters):
        score += 0.15
        marks.append(caps.group(0))
    return min(score, 0.35), marks


def _hits(entries: Iterable[tuple[str, Any]], text: str, patterns: dict[str, re.Pattern | None]) -> list[str]:
    found = []
    for word, *_ in entries:
        pattern = patterns.get(word)
        if pattern.search(text) if pattern is not None else word in text:
            found.append(word)
    # a word inside a longer hit is not counted again (气死 inside 气死我了)
    return [w for w in found if not any(w != other and w in other for other in found)]


@dataclass(frozen=True)
class TurnEmotion:
    negative_words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    profanity: tuple[str, ...] = ()
    shouting: tuple[str, ...] = ()
    shouting_score: float = 0.0
    score: float = 0.0


def turn_emotion(turn: Turn, lexicon: Lexicon) -> TurnEmotion:
    """Negative emotion, profanity and shouting in one customer message."""
    if turn.payload:
        return TurnEmotion()
    text = lexicon.without_neutral(turn.normalized)
    weights = {w: wt for w, wt, _ in lexicon.negative}
    pattern_hits = [(p.pattern, w, m.group(0)) for p, w in lexicon.patterns for m in [p.search(text)] if m]
    # a word inside a pattern's hit is counted once, by the pattern (还没 inside 还没发货)
    negative = [
        w
        for w in _hits([(w, wt) for w, wt, _ in lexicon.negative], text, {w: p for w, _, p in lexicon.negative})
        if not any(w in hit for _, _, hit in pattern_hits)
    ]
    profanity = lexicon.profanity.matches(turn.text[:MAX_TEXT])
    shout_score, marks = shouting(turn.text)
    raw = (
        sum(weights[w] for w in negative)
        + sum(w for _, w, _ in pattern_hits)
        + lexicon.profanity_weight * len(profanity)
        + shout_score
        + lexicon.intent_bonus.get(turn.intent or "", 0.0)
    )
    return TurnEmotion(
        tuple(negative),
        tuple(m for _, _, m in pattern_hits),
        tuple(profanity),
        tuple(marks),
        round(shout_score, 3),
        round(min(lexicon.turn_cap, raw), 3),
    )


def abusive_words(text: str, lexicon: Lexicon) -> list[str]:
    """The profane words in a customer message (jieli_contract.profanity); none in a button payload."""
    if not text or text.lstrip().startswith("/"):
        return []
    return lexicon.profanity.matches(text[:MAX_TEXT])


def mask_profanity(text: str, lexicon: Lexicon, mask: str = "*") -> str:
    """The text with every profane word (as `abusive_words` finds them) replaced by `mask`
    characters, in the ORIGINAL text: Traditional, spaced or full-width profanity is masked too."""
    return lexicon.profanity.mask(text, mask)


def frustration_of(emotions: Sequence[TurnEmotion], lexicon: Lexicon) -> float:
    """Noisy-OR of the newest `lexicon.turns` message scores, older ones decayed."""
    remaining = 1.0
    for k, emotion in enumerate(reversed(list(emotions)[-lexicon.turns :])):
        remaining *= 1.0 - (lexicon.decay**k) * emotion.score
    return round(1.0 - remaining, 3)


def upset_streak(emotions: Sequence[TurnEmotion], lexicon: Lexicon) -> int:
    """Customer messages in a row, newest first, that are each negative themselves (score > 0)
    while the frustration up to them is at 不满 (upset_level) or more: "都一个星期了还没动静",
    "你们到底怎么回事", "每次都这样 服了" — none of them anger alone, together a customer who needs
    a person. A calm message breaks the run, whatever the frustration carried over."""
    streak = 0
    for end in range(len(emotions), 0, -1):
        if emotions[end - 1].score <= 0 or frustration_of(emotions[:end], lexicon) < lexicon.upset_level:
            break
        streak += 1
    return streak
