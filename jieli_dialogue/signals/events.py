"""Reading the tracker's events: the applied events, customer turns, the session and the window,
and the names of the intents, actions and slots the signals look for (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jieli_nlu.nonsense import garbled, nonsense, only_fillers
from jieli_nlu.normalize import normalize_text
from jieli_nlu.problem_kinds import PROBLEM_ENTITY, PROBLEM_LABELS

# intents
HUMAN = "request_human"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
COMPLAIN = "complain"
INSULT = "insult"
THANK = "thank"
REQUEST_RATING = "request_rating"
RATE = "rate"
SMALLTALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"})
# intents that say nothing about the customer's problem
UNINFORMATIVE = SMALLTALK | {HUMAN, INSULT, REQUEST_RATING, RATE}
# intents that are not a question the bot answers (for the repeated-question signal)
NOT_A_QUESTION = UNINFORMATIVE | {COMPLAIN, FALLBACK, "inform_order_id", "inform_phone_last4"}
# intents of a message that may say "your last answer did not help" ("重置了也不行")
FOLLOW_UPS = frozenset({COMPLAIN, FALLBACK, "out_of_scope"})

# intents customers use for one question: "能退吗" is a refund and a return at once ("退款被拒了
# 还能退吗" → refund, "那到底能不能退" → return_exchange); asked again with an explicit "到底" /
# "我就问一句" (lexicon `asking_again`), one is the other asked again
RELATED_INTENTS = (frozenset({"refund", "return_exchange"}),)


def related(a: str | None, b: str | None) -> bool:
    return a == b or any(a in group and b in group for group in RELATED_INTENTS)


# actions
ACTION_LISTEN = "action_listen"
HANDOVER_ACTION = "action_handover"
ASK_ACTION = "action_ask_handover_problem"
OFFER_ACTION = "action_offer_handover"
PROBLEM_ACTION = "action_problem_report"  # a reported problem named, one policy line, a person offered
CLARIFY_ACTION = "action_clarify"  # "您是想问…还是…？": the bot is not sure what the customer means
ESCALATION_ACTIONS = frozenset({HANDOVER_ACTION, ASK_ACTION, OFFER_ACTION, CLARIFY_ACTION, PROBLEM_ACTION})
# A message answered with one of these was not understood: it counts for fallback_limit and miss_limit.
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "utter_default", CLARIFY_ACTION})
# key an action sets on a bot message that asks the customer something (actions/common.py)
CLARIFY = "clarify"
COMPLAINT_REPLY = "utter_complain"
# intents that answer a question of the bot's whatever the topic
ANSWERS = frozenset({"inform_order_id", "inform_phone_last4", "affirm", "deny"})

# slots
PENDING_SLOT = "handover_pending"
ESCALATION_SLOT = "escalation"

REPHRASE_SIMILARITY = 0.5  # char-bigram cosine at or above which two messages ask the same thing
REPEAT_WINDOW = 6  # earlier customer messages compared with the newest one
DESCRIPTION_MIN_CHARS = 4  # content characters left after removing request words
MAX_TEXT = 2000  # characters of a message looked at

_EXTERNAL_PREFIX = "EXTERNAL: "


# ---------------------------------------------------------------------------------------------
# reading events


@dataclass
class Turn:
    """One customer message and what the bot did after it."""

    index: int  # position in the applied events
    text: str  # as the customer typed it (or the button payload)
    intent: str | None
    confidence: float | None
    entities: list[dict]
    timestamp: float | None
    metadata: dict
    message_id: str | None
    payload: bool  # a button payload such as /request_human
    actions: list[str] = field(default_factory=list)  # actions run after it (not action_listen)
    replies: list[str] = field(default_factory=list)  # texts the bot said after it
    asked: bool = False  # the bot answered with a question of its own (metadata clarify)
    _normalized: str | None = field(default=None, repr=False, compare=False)

    @property
    def normalized(self) -> str:
        """normalize_text(text), computed on first use ("" for a button payload)."""
        if self._normalized is None:
            self._normalized = "" if self.payload else normalize_text(self.text)
        return self._normalized

    @property
    def informative(self) -> bool:
        return self.intent not in UNINFORMATIVE

    @property
    def answered(self) -> bool:
        """An informative message the bot understood and answered (what "didn't help" after
        two answers counts)."""
        return self.informative and bool(self.replies) and not self.fell_back

    @property
    def understood(self) -> bool:
        """An informative message the bot understood, not a complaint: a question it could answer
        (a problem reported after one is a problem its answer did not solve)."""
        return self.informative and not self.fell_back and self.intent != COMPLAIN

    @property
    def fell_back(self) -> bool:
        """Not understood: nlu_fallback, answered with a fallback or a clarifying question, read as
        out of scope though it says nothing at all ("kjhkjh", "？？", "😂😂😂"), or voice input that
        is only filler words ("那个 嗯 就是说 喂喂"), whatever intent it was given."""
        return (
            self.intent == FALLBACK
            or any(a in FALLBACK_ACTIONS for a in self.actions)
            or (self.intent == OUT_OF_SCOPE and nonsense(self.normalized))
            or only_fillers(self.normalized)
        )

    @property
    def unreadable(self) -> bool:
        """Nothing the bot could even guess at — not a question it was unsure about, nor a short
        follow-up the NLU had no confident intent for: text broken on the way ("锟斤拷", "æˆ‘è¦"),
        a message with nothing in it ("kjhkjh", "😂😂😂", "？？"), or voice input that is only filler
        words. A clarifying question cannot help with these; two in a row go to a person."""
        if self.payload or not (self.text or "").strip():
            return False  # a button, or an intent with no text (trigger_intent, a test story)
        return garbled(self.text) or nonsense(self.normalized) or only_fillers(self.normalized)


def problem_of(turn: Turn) -> str | None:
    """The kind of problem the message reports (the NLU's entity `problem`), or None."""
    for entity in turn.entities:
        if entity.get("entity") == PROBLEM_ENTITY and entity.get("value") in PROBLEM_LABELS:
            return entity["value"]
    return None


def applied_events(events: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The events that count: `restart` clears what came before, `undo` drops the last action,
    `rewind` drops the last user message (as rasa_sdk's `Tracker.applied_events`)."""
    applied: list[dict] = []

    def undo_till(kind: str) -> None:
        while applied:
            if applied.pop().get("event") == kind:
                break

    for event in events or []:
        if not isinstance(event, Mapping):
            continue
        kind = event.get("event")
        if kind == "restart":
            applied = []
        elif kind == "undo":
            undo_till("action")
        elif kind == "rewind":
            undo_till("user")
            undo_till("action")
        else:
            applied.append(dict(event))
    return applied


def is_external(event: Mapping[str, Any]) -> bool:
    """A message the bridge triggered (trigger_intent), not one the customer typed."""
    metadata = event.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("is_external"):
        return True
    text = event.get("text")
    return isinstance(text, str) and text.startswith(_EXTERNAL_PREFIX)


def _intent(event: Mapping[str, Any]) -> tuple[str | None, float | None]:
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), Mapping) else {}
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    # a retrieval intent (faq): which question, from the ResponseSelector ("faq/service_hours"),
    # so that two different FAQ questions are not taken for one question asked twice
    selector = parse.get("response_selector") if isinstance(parse.get("response_selector"), Mapping) else {}
    picked = selector.get(name) if name and isinstance(selector.get(name), Mapping) else {}
    response = picked.get("response") if isinstance(picked.get("response"), Mapping) else {}
    key = response.get("intent_response_key")
    if isinstance(key, str) and key.startswith(f"{name}/"):
        name = key
    confidence = intent.get("confidence")
    try:
        confidence = None if confidence is None else round(float(confidence), 4)
    except (TypeError, ValueError):
        confidence = None
    return name, confidence


def _entities(event: Mapping[str, Any]) -> list[dict]:
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
    found = []
    for entity in parse.get("entities") or []:
        if isinstance(entity, Mapping) and entity.get("entity"):
            found.append({"entity": str(entity["entity"]), "value": entity.get("value")})
    return found


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def customer_turns(events: Sequence[Mapping[str, Any]], start: int = 0) -> list[Turn]:
    """Every customer message in `events[start:]` (applied events), with the bot's actions and
    replies that followed it. External messages are skipped (and end the previous turn)."""
    turns: list[Turn] = []
    current: Turn | None = None
    for index in range(start, len(events)):
        event = events[index]
        kind = event.get("event")
        if kind == "user":
            if is_external(event):
                current = None
                continue
            text = event.get("text") if isinstance(event.get("text"), str) else ""
            text = text[:MAX_TEXT]
            intent, confidence = _intent(event)
            payload = text.lstrip().startswith("/")
            current = Turn(
                index=index,
                text=text,
                intent=intent,
                confidence=confidence,
                entities=_entities(event),
                timestamp=_float(event.get("timestamp")),
                metadata=dict(event["metadata"]) if isinstance(event.get("metadata"), Mapping) else {},
                message_id=event.get("message_id") if isinstance(event.get("message_id"), str) else None,
                payload=payload,
            )
            turns.append(current)
        elif kind == "action" and current is not None:
            name = event.get("name")
            if isinstance(name, str) and name != ACTION_LISTEN:
                current.actions.append(name)
        elif kind == "bot" and current is not None:
            metadata = event.get("metadata")
            if isinstance(metadata, Mapping) and metadata.get(CLARIFY):
                current.asked = True
            text = event.get("text")
            if isinstance(text, str) and text.strip():
                current.replies.append(text.strip())
        elif kind in ("session_started", "resume"):
            current = None
    return turns


def session_start(events: Sequence[Mapping[str, Any]]) -> int:
    """Index of the first event of the current session."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return index
    return 0


def window_start(events: Sequence[Mapping[str, Any]]) -> int:
    """Index where the escalation counters start: after the last handover attempt or resume,
    within the current session."""
    start = session_start(events)
    for index in range(len(events) - 1, start - 1, -1):
        event = events[index]
        if event.get("event") == "resume" or (event.get("event") == "action" and event.get("name") == HANDOVER_ACTION):
            return index + 1
    return start


def last_resume(events: Sequence[Mapping[str, Any]]) -> int:
    """Index of the last `resume` event (an agent handed the conversation back), or -1."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "resume":
            return index
    return -1


def slot_value(events: Sequence[Mapping[str, Any]], name: str, default: Any = None) -> Any:
    """The value of a slot after these events (the last `slot` event for it)."""
    value = default
    for event in events:
        if event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
        elif event.get("event") == "reset_slots":
            value = default
    return value


def awaiting_reply(events: Sequence[Mapping[str, Any]]) -> int | None:
    """Index of the newest user event if the bot has not acted on it yet, else None."""
    for index in range(len(events) - 1, -1, -1):
        kind = events[index].get("event")
        if kind == "user":
            return index
        if kind in ("action", "bot", "pause", "resume", "session_started", "restart"):
            return None
    return None


def last_action(events: Sequence[Mapping[str, Any]]) -> str | None:
    """Name of the newest action when no customer message came after it."""
    for index in range(len(events) - 1, -1, -1):
        kind = events[index].get("event")
        if kind == "user":
            return None
        if kind == "action":
            name = events[index].get("name")
            return name if isinstance(name, str) else None
    return None
