"""Did the bot help? The messages it did not help with (`unhelped_turns`), a complaint taken up
(`explains_complaint`) and whether a message describes a problem (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence

from jieli_nlu.order_ids import find_order_ids

from .events import (
    ANSWERS,
    COMPLAIN,
    COMPLAINT_REPLY,
    DESCRIPTION_MIN_CHARS,
    HUMAN,
    INSULT,
    NOT_A_QUESTION,
    OUT_OF_SCOPE,
    REPEAT_WINDOW,
    SMALLTALK,
    Turn,
)
from .lexicon import Lexicon
from .repetition import content


def strip_request_words(text: str, lexicon: Lexicon) -> str:
    """A normalised message without the words that ask for a person, greet or plead."""
    for pattern in lexicon.request_words:
        text = pattern.sub(" ", text)
    return text


def describes_problem(turn: Turn, lexicon: Lexicon) -> bool:
    """Whether a message says more than "give me a person": an order number, or at least
    `DESCRIPTION_MIN_CHARS` Chinese characters / Latin letters once request words are removed."""
    if turn.payload or not turn.normalized:
        return False
    if find_order_ids(turn.normalized):
        return True
    return len(content(strip_request_words(turn.normalized, lexicon))) >= DESCRIPTION_MIN_CHARS


def says_not_helped(turn: Turn, lexicon: Lexicon) -> bool:
    """ "没用", "还是不行", "答非所问": the message says the bot's last answer did not help."""
    return not_helped_text(turn.normalized, lexicon)


def not_helped_text(normalized: str, lexicon: Lexicon) -> bool:
    """says_not_helped for a normalised text (normalize_text) rather than a Turn."""
    return lexicon.marks(lexicon.not_helped, normalized)


def took_up(question: Turn, answer: Turn) -> bool:
    """Whether `answer` takes up the question the bot asked after `question`: a button, an order
    number, yes/no, or more about the same intent."""
    return (
        answer.payload
        or answer.intent in ANSWERS
        or answer.intent == question.intent
        or any(e.get("entity") == "order_id" for e in answer.entities)
    )


def said_again(turn: Turn, after: Turn) -> bool:
    """The bot answered `after` with exactly what it answered `turn` (not a button clicked twice)."""
    return bool(turn.replies) and turn.replies == after.replies and not after.payload


def asks_passed_over_again(latest: Turn, earlier: Sequence[Turn]) -> bool:
    """The newest message asks, with nothing new, what one of the last `REPEAT_WINDOW` messages
    asked when the customer passed over the bot's question back: the bot is about to ask the same
    question again."""
    if latest.payload or latest.intent in NOT_A_QUESTION or latest.entities:
        return False
    recent = list(earlier[-REPEAT_WINDOW:])
    return any(
        turn.intent == latest.intent and turn.asked and not took_up(turn, after)
        for turn, after in zip(recent, recent[1:] + [latest])
    )


def unhelped(turns: Sequence[Turn], lexicon: Lexicon, next_turn: Turn | None = None) -> int:
    """Customer messages in a row, newest first, the bot did not help with (module docstring).
    `next_turn`: the message that came after the last of `turns` (whether it took up the bot's
    question), when the caller counts the newest message on its own."""
    count = 0
    for position in range(len(turns) - 1, -1, -1):
        turn = turns[position]
        after = turns[position + 1] if position + 1 < len(turns) else next_turn
        if turn.fell_back or turn.intent == OUT_OF_SCOPE:
            missed = True  # not understood, or "这个问题我暂时回答不了": either way, not helped
        elif after is None:
            missed = says_not_helped(turn, lexicon) or asks_passed_over_again(turn, turns[:position])
        else:
            missed = (
                (turn.asked and not took_up(turn, after)) or says_not_helped(after, lexicon) or said_again(turn, after)
            )
        if not missed:
            break
        count += 1
    return count


def explains_complaint(latest: Turn, earlier: Sequence[Turn], lexicon: Lexicon) -> bool:
    """The newest message takes up the bot's `utter_complain` after a complaint (module docstring)."""
    if not earlier or latest.intent in SMALLTALK or latest.intent in (HUMAN, COMPLAIN, INSULT):
        return False  # a second complaint counts as itself; a request for a person is explicit
    previous = earlier[-1]
    return previous.intent == COMPLAIN and COMPLAINT_REPLY in previous.actions and describes_problem(latest, lexicon)
