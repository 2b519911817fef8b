"""Long conversations in short Rasa sessions: what the signals carry over a session roll.

Rasa's cost per bot turn grows with the length of the tracker's current session: it replays,
copies, featurises and serialises every event of it several times a turn. The tracker store
(`jieli_dialogue/tracker_store.py`) therefore *rolls* a long session at a quiet point — after
`roll_after` customer messages, once the bot listens again — into a new Rasa session that goes on
with the conversation (the events Rasa writes when a session expires: `action_session_start`,
`session_started`, the slots, `action_listen`; `roll.py` makes them). Its `session_started` event
carries, under the metadata key `jieli_carry`, what the escalation signals and the handover
context need from before it:

* `events` — the last `CARRY_TURNS` customer messages with what the bot did after each, trimmed
  to what the signals and the handover context read;
* `window` — counters over the older messages of the escalation window (since the last handover
  attempt or resume): messages, requests for a person, complaints, insults, messages the bot
  answered, the last problem it named (`Counts`);
* `resume_requests`, `resume_streak` — requests for a person among the older messages since the
  last resume, and the run of them at the end;
* `informative`, `handover` — something informative said, a handover attempted, in the session;
* `turns` — customer messages of the session before `events` (turn numbers for the agent);
* `last_user_at`, `expires_after` — when the customer last wrote before the roll, and the
  session expiry (domain.yml `session_config`): a first message later than that after a roll
  starts afresh, as the session Rasa would have started then.

`continued(events)` gives the signals the session as if it had never been rolled: the carried
events, then the rolled session's own, and the `Carry` for the counters. The counted rules
(requests, complaints, insults, "didn't help" after answers, a reported problem) see the whole
session; the rules that look at runs of messages or at the recent ones (fallbacks, unreadable,
unhelped: limits of 3 or less, and a run that reaches its limit hands over and starts a new window;
repetition: `REPEAT_WINDOW`; frustration: the lexicon's `turns`) see at least `CARRY_TURNS`
messages, more than any of them looks back. Requests in a row are carried as a counter too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .events import (
    COMPLAIN,
    HUMAN,
    INSULT,
    MAX_TEXT,
    PROBLEM_ACTION,
    REPEAT_WINDOW,
    Turn,
    applied_events,
    is_external,
    problem_of,
    session_start,
)

CARRY_KEY = "jieli_carry"
CARRY_VERSION = 1
# customer messages carried as events: more than the repetition signal compares (REPEAT_WINDOW
# earlier ones plus the newest), the frustration score reads (4) or any run limit (3)
CARRY_TURNS = 8
assert CARRY_TURNS > REPEAT_WINDOW


@dataclass(frozen=True)
class Counts:
    """Counters over customer messages that do not depend on their neighbours: what the older
    messages of the escalation window add to the signals."""

    turns: int = 0
    requests: int = 0  # explicit requests for a person
    complaints: int = 0  # complain intents (a sarcastic thanks counts only while it is recent)
    insults: int = 0  # insult intents (profanity inside another message counts only while recent)
    answered: int = 0  # informative messages the bot understood and answered (Turn.answered)
    understood: int = 0  # informative messages the bot understood, not complaints (Turn.understood)
    reported: bool = False  # the bot named a reported problem (action_problem_report)
    problem: str | None = None  # the kind of the last problem named, if the NLU gave one

    @classmethod
    def of(cls, turns: Sequence[Turn]) -> Counts:
        reported = [t for t in turns if PROBLEM_ACTION in t.actions]
        return cls(
            turns=len(turns),
            requests=sum(1 for t in turns if t.intent == HUMAN),
            complaints=sum(1 for t in turns if t.intent == COMPLAIN),
            insults=sum(1 for t in turns if t.intent == INSULT),
            answered=sum(1 for t in turns if t.answered),
            understood=sum(1 for t in turns if t.understood),
            reported=bool(reported),
            problem=problem_of(reported[-1]) if reported else None,
        )

    def then(self, later: Counts) -> Counts:
        """These counts followed by `later`'s."""
        return Counts(
            turns=self.turns + later.turns,
            requests=self.requests + later.requests,
            complaints=self.complaints + later.complaints,
            insults=self.insults + later.insults,
            answered=self.answered + later.answered,
            understood=self.understood + later.understood,
            reported=self.reported or later.reported,
            problem=later.problem if later.reported else self.problem,
        )


@dataclass(frozen=True)
class Carry:
    """What a rolled session's `session_started` event carries (see the module docstring)."""

    events: tuple[dict, ...] = ()
    turns: int = 0
    window: Counts = field(default_factory=Counts)
    resume_requests: int = 0
    resume_streak: int = 0
    informative: bool = False
    handover: bool = False
    last_user_at: float | None = None
    expires_after: float = 0.0  # seconds; 0: sessions never expire

    def as_dict(self) -> dict:
        data = asdict(self)
        data["events"] = list(self.events)
        data["version"] = CARRY_VERSION
        return data

    @classmethod
    def from_marker(cls, event: Mapping[str, Any]) -> Carry | None:
        """The carry of a `session_started` event, or None (a session Rasa started, or a carry
        this code cannot read: the session then counts as new)."""
        metadata = event.get("metadata")
        data = metadata.get(CARRY_KEY) if isinstance(metadata, Mapping) else None
        if not isinstance(data, Mapping) or data.get("version") != CARRY_VERSION:
            return None
        try:
            window = data.get("window") or {}
            return cls(
                events=tuple(dict(e) for e in data.get("events") or [] if isinstance(e, Mapping)),
                turns=int(data.get("turns") or 0),
                window=Counts(**{k: window[k] for k in Counts.__dataclass_fields__ if k in window}),
                resume_requests=int(data.get("resume_requests") or 0),
                resume_streak=int(data.get("resume_streak") or 0),
                informative=bool(data.get("informative")),
                handover=bool(data.get("handover")),
                last_user_at=None if data.get("last_user_at") is None else float(data["last_user_at"]),
                expires_after=float(data.get("expires_after") or 0.0),
            )
        except (TypeError, ValueError):
            return None

    def expired_by(self, event: Mapping[str, Any]) -> bool:
        """Whether this message came after the session would have expired (see the module docstring)."""
        try:
            gap = float(event.get("timestamp")) - float(self.last_user_at)
        except (TypeError, ValueError):
            return False
        return bool(self.expires_after) and gap > self.expires_after


def continued(events: Iterable[Mapping[str, Any]]) -> tuple[list[dict], Carry | None]:
    """The applied events of the current session as if it had never been rolled — the carried
    events, then the rolled session's own — and its carry; or the applied events as they are and
    None when the session was not rolled (or expired since)."""
    applied = applied_events(events)
    start = session_start(applied)
    if not applied or applied[start].get("event") != "session_started":
        return applied, None
    carry = Carry.from_marker(applied[start])
    if carry is None:
        return applied, None
    rest = applied[start + 1 :]
    first = next((e for e in rest if e.get("event") == "user"), None)
    if first is not None and carry.expired_by(first):
        return applied, None
    return [dict(e) for e in carry.events] + rest, carry


# ---------------------------------------------------------------------------------------------
# trimming events for the carry

_USER_KEYS = ("text", "timestamp", "message_id", "input_channel")


def trimmed(event: Mapping[str, Any]) -> dict | None:
    """An event as the carry keeps it (None: not kept): customer and bot messages (their first
    MAX_TEXT characters), actions other than action_listen, pause and resume, with only the fields
    the signals and the handover context read."""
    kind = event.get("event")
    if kind == "user":
        kept = {"event": "user", **{k: event.get(k) for k in _USER_KEYS if event.get(k) is not None}}
        if isinstance(kept.get("text"), str):
            kept["text"] = kept["text"][:MAX_TEXT]  # all the signals read of a message
        if is_external(event):
            kept["metadata"] = {"is_external": True}
        parse = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
        intent = parse.get("intent") if isinstance(parse.get("intent"), Mapping) else {}
        data: dict[str, Any] = {
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "entities": [
                {"entity": e.get("entity"), "value": e.get("value")}
                for e in parse.get("entities") or []
                if isinstance(e, Mapping) and e.get("entity")
            ],
        }
        selector = parse.get("response_selector") if isinstance(parse.get("response_selector"), Mapping) else {}
        picked = selector.get(intent.get("name")) if isinstance(selector.get(intent.get("name")), Mapping) else {}
        response = picked.get("response") if isinstance(picked.get("response"), Mapping) else {}
        if response.get("intent_response_key"):
            data["response_selector"] = {
                intent["name"]: {"response": {"intent_response_key": response["intent_response_key"]}}
            }
        kept["parse_data"] = data
        return kept
    if kind == "bot":
        text = event.get("text")
        kept = {
            "event": "bot",
            "text": text[:MAX_TEXT] if isinstance(text, str) else text,
            "timestamp": event.get("timestamp"),
        }
        data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
        buttons = [
            {"title": b.get("title"), "payload": b.get("payload")}
            for b in data.get("buttons") or []
            if isinstance(b, Mapping)
        ]
        if buttons:
            kept["data"] = {"buttons": buttons}
        metadata = event.get("metadata") if isinstance(event.get("metadata"), Mapping) else {}
        kept["metadata"] = {k: v for k, v in metadata.items() if k in ("clarify", "utter_action")}
        return kept
    if kind == "action" and event.get("name") != "action_listen":
        return {"event": "action", "name": event.get("name"), "timestamp": event.get("timestamp")}
    if kind in ("pause", "resume"):
        return {"event": kind, "timestamp": event.get("timestamp")}
    return None
