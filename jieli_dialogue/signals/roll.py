"""Rolling a long session: the carry of the session being closed (`make_carry`) and the events that
start the session going on with it (`roll_events`). See carry.py for what is carried and why;
`jieli_dialogue/tracker_store.py` decides when to roll and writes these events through Rasa."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .carry import CARRY_KEY, CARRY_TURNS, Carry, Counts, continued, trimmed
from .events import HANDOVER_ACTION, HUMAN, customer_turns, session_start

SESSION_START_ACTION = "action_session_start"
LISTEN_ACTION = "action_listen"


def _begin(applied: list[dict]) -> int:
    """Index of the session's first event after its `session_started` (0 when there is none)."""
    start = session_start(applied)
    return start + 1 if applied and applied[start].get("event") == "session_started" else start


def make_carry(events: Iterable[Mapping[str, Any]], expires_after: float = 0.0) -> Carry:
    """What the session of these events (raw tracker events; it may itself be a rolled one) hands
    on to the session that goes on with it."""
    applied, previous = continued(events)
    previous = previous or Carry()
    begin = _begin(applied)
    session = customer_turns(applied, begin)
    cut = session[-CARRY_TURNS].index if len(session) > CARRY_TURNS else begin
    older = [t for t in session if t.index < cut]

    # the escalation window and the time since the last resume, as they stand where the carried
    # events begin: restarted by a handover attempt or a resume among the older events
    window_reset = resume = None
    for index in range(begin, cut):
        event = applied[index]
        if event.get("event") == "resume":
            window_reset = resume = index
        elif event.get("event") == "action" and event.get("name") == HANDOVER_ACTION:
            window_reset = index
    if window_reset is None:
        window = previous.window.then(Counts.of(older))
    else:
        window = Counts.of([t for t in older if t.index > window_reset])
    since_resume = older if resume is None else [t for t in older if t.index > resume]
    streak = 0
    for turn in reversed(since_resume):
        if turn.intent != HUMAN:
            break
        streak += 1
    if resume is None:
        resume_requests = previous.resume_requests + sum(1 for t in since_resume if t.intent == HUMAN)
        if streak == len(since_resume):
            streak += previous.resume_streak
    else:
        resume_requests = sum(1 for t in since_resume if t.intent == HUMAN)

    last_user = next((e for e in reversed(applied) if e.get("event") == "user"), None)
    return Carry(
        events=tuple(kept for kept in map(trimmed, applied[cut:]) if kept is not None),
        turns=previous.turns + len(older),
        window=window,
        resume_requests=resume_requests,
        resume_streak=streak,
        informative=previous.informative or any(t.informative for t in older),
        handover=previous.handover
        or any(e.get("event") == "action" and e.get("name") == HANDOVER_ACTION for e in applied[begin:cut]),
        last_user_at=(last_user or {}).get("timestamp", previous.last_user_at),
        expires_after=float(expires_after or 0.0),
    )


def roll_events(
    events: Iterable[Mapping[str, Any]], now: float, slots: Mapping[str, Any], expires_after: float = 0.0
) -> list[dict]:
    """The events that roll the session of `events` into one that goes on with it: Rasa's own
    session start (`action_session_start`, `session_started` — carrying `make_carry` — the slots'
    values, `action_listen`). `now` must be later than every event of the session: Rasa's SQL
    tracker store reads a session from its `session_started` timestamp on."""
    carry = make_carry(events, expires_after)
    return [
        {"event": "action", "name": SESSION_START_ACTION, "policy": None, "confidence": None, "timestamp": now - 1e-3},
        {"event": "session_started", "timestamp": now, "metadata": {CARRY_KEY: carry.as_dict()}},
        *({"event": "slot", "name": name, "value": value, "timestamp": now} for name, value in slots.items()),
        {"event": "action", "name": LISTEN_ACTION, "policy": None, "confidence": None, "timestamp": now},
    ]
