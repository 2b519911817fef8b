"""The repeated question: text similarity, insistence, and which earlier messages the newest
one asks again (`repeat_count` in the package docstring)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from jieli_nlu.order_ids import find_order_ids

from .events import FALLBACK, FOLLOW_UPS, NOT_A_QUESTION, REPEAT_WINDOW, REPHRASE_SIMILARITY, Turn, related
from .lexicon import Lexicon

_CJK_OR_LATIN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffa-z]")


# ---------------------------------------------------------------------------------------------
# text measures


def content(text: str) -> str:
    """Chinese characters and Latin letters of a normalised text (digits, spaces, punctuation
    and emoji removed): what similarity and "does it describe anything" look at."""
    return "".join(_CJK_OR_LATIN.findall(text or ""))


def _grams(text: str) -> Counter:
    chars = content(text)
    if len(chars) < 2:
        return Counter([chars]) if chars else Counter()
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of the character-bigram counts of two normalised texts (0..1)."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    dot = sum(count * gb[gram] for gram, count in ga.items())
    return dot / math.sqrt(sum(c * c for c in ga.values()) * sum(c * c for c in gb.values()))


def order_numbers(text: str) -> set[str]:
    """The order numbers a normalised text names."""
    return {m.value for m in find_order_ids(text)}


def about_other_orders(ours: set[str], text: str) -> bool:
    """A message naming the orders `ours` and `text` both name order numbers, none in common:
    "查一下订单 …01" and "查一下订单 …02" are two questions, not one asked twice."""
    theirs = order_numbers(text) if ours else set()
    return bool(theirs and not ours & theirs)


def insists(text: str, lexicon: Lexicon) -> bool:
    return lexicon.marks(lexicon.insistence, text)


def asks_again(text: str, lexicon: Lexicon) -> bool:
    """ "到底能不能退", "我就问一句": the message says outright that it asks a question again."""
    return lexicon.marks(lexicon.asking_again, text)


def _repeats(latest: Turn, earlier: Sequence[Turn], lexicon: Lexicon) -> list[Turn]:
    """The earlier messages the newest one asks again (see the module docstring)."""
    again = asks_again(latest.normalized, lexicon)
    insisting = insists(latest.normalized, lexicon)
    candidates = [
        t
        for t in earlier[-REPEAT_WINDOW:]
        if not t.payload or t.intent == latest.intent or (again and related(t.intent, latest.intent))
    ]
    candidates = [t for t in candidates if t.intent not in NOT_A_QUESTION or t.intent == FALLBACK]
    asked_orders = order_numbers(latest.normalized)
    candidates = [t for t in candidates if not about_other_orders(asked_orders, t.normalized)]
    if latest.intent in FOLLOW_UPS and insisting:
        # "重置了也不行" — a complaint (or a message the bot did not understand) saying the last
        # answer did not help asks the last topic again
        topic = next((t.intent for t in reversed(candidates) if t.intent not in NOT_A_QUESTION), None)
        return [t for t in candidates if topic and t.intent == topic]
    if latest.intent in NOT_A_QUESTION and latest.intent != FALLBACK:
        return []
    # intents the bot answered with the same words twice: it is going round in circles
    seen: dict[str, set] = {}
    looping: set[str] = set()
    for turn in candidates:
        if turn.intent and turn.replies:
            signature = tuple(turn.replies)
            if signature in seen.setdefault(turn.intent, set()):
                looping.add(turn.intent)
            seen[turn.intent].add(signature)
    same_topic = latest.intent not in NOT_A_QUESTION
    matched = []
    for turn in candidates:
        if (
            latest.normalized
            and turn.normalized
            and similarity(turn.normalized, latest.normalized) >= REPHRASE_SIMILARITY
        ):
            matched.append(turn)
        elif same_topic and turn.intent == latest.intent and (insisting or latest.intent in looping):
            matched.append(turn)
        elif same_topic and again and related(turn.intent, latest.intent):
            matched.append(turn)
    if matched:
        # between two askings of the same question, a message that insists ("我问的是什么时候到账"
        # read as another intent) is that question asked once more, misread
        first = next(i for i, t in enumerate(candidates) if t is matched[0])
        matched += [
            t
            for t in candidates[first + 1 :]
            if not any(t is m for m in matched) and t.intent not in NOT_A_QUESTION and insists(t.normalized, lexicon)
        ]
    return matched
