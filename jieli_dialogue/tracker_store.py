"""RollingSQLTrackerStore: Rasa's SQL tracker store (SQLite, PostgreSQL) with short sessions.

Rasa's cost per bot turn grows with the tracker's current session: every turn it loads and replays
the session's events, copies the tracker for each action, featurises its whole history for each
policy and sends all of it to the action server with every action call. Measured here
(`make bench-long`, SQLite): a turn's p50 went from 88 ms over turns 1–20 of a conversation to
230 ms over turns 181–200 in one session; rolled every 20 messages, 89 and 92 ms. Rasa's SQL store
loads only the events since the last `session_started`; this
store starts a new session — Rasa's own session start, with the slots carried over — every
`roll_after` customer messages, at a quiet point: the turn is over (the bot listens), the
conversation is not paused (a person has it) and no form is active. The new session goes on with
the conversation: its `session_started` event carries the last messages and the escalation
counters (jieli_dialogue/signals/carry.py), so that the escalation policy and the handover context
see the conversation as before. Every event stays in the store (`GET /conversations/{id}/tracker`
shows them all); the bridge keeps the full transcript too.

A rule or story that needs the bot's previous action would not see it across a roll; Jieli's
rules are "intent → action" and pending questions live in slots, which carry over.

endpoints.yml (scripts/rasa_endpoints.py writes it):

    tracker_store:
      type: jieli_dialogue.tracker_store.RollingSQLTrackerStore
      dialect: sqlite            # or postgresql, with url/port/db/username/password/login_db
      db: var/rasa/trackers.db
      roll_after: 20             # customer messages per Rasa session; 0: never roll
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from jieli_dialogue.signals import CARRY_TURNS, roll_events

logger = logging.getLogger(__name__)

ROLL_AFTER = 20  # customer messages per Rasa session (bench/long_conversation.py measures the effect)
# Every read of a tracker looks for the conversation's latest session_started; with only Rasa's
# index on sender_id that reads all its rows, twice a turn: 3.4 ms at 1,800 events of one
# conversation among 300 on SQLite, 0.5 ms with this index.
SESSION_INDEX = "jieli_events_session_start"


class RollingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that rolls a long session at a quiet point (see the module docstring)."""

    def __init__(self, *args: Any, roll_after: int | str = ROLL_AFTER, **kwargs: Any) -> None:
        roll_after = int(roll_after)
        if roll_after and roll_after < CARRY_TURNS:
            raise ValueError(f"roll_after must be 0 (never roll) or at least {CARRY_TURNS}, not {roll_after}")
        self.roll_after = roll_after
        super().__init__(*args, **kwargs)
        self.index_session_starts()

    def index_session_starts(self) -> None:
        """The index that finds a conversation's latest session start without reading all its
        events (see SESSION_INDEX). Several nodes may start at once: a failure is only logged."""
        table = self.SQLEvent.__tablename__
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    sa.text(f"CREATE INDEX IF NOT EXISTS {SESSION_INDEX} ON {table} (sender_id, type_name, timestamp)")
                )
        except sa.exc.SQLAlchemyError as error:
            logger.warning("Could not create the index %s: %s", SESSION_INDEX, error)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.roll_after and self.due(tracker):
            self.roll(tracker)
        await super().save(tracker)

    def due(self, tracker: DialogueStateTracker) -> bool:
        """A quiet point after `roll_after` customer messages in the current session."""
        events = tracker.events
        if not events:
            return False
        last = events[-1]
        if not isinstance(last, ActionExecuted) or last.action_name != ACTION_LISTEN_NAME:
            return False  # the turn is not over
        if tracker.is_paused() or tracker.active_loop_name:
            return False  # a person has the conversation (a new session would resume it), or a form runs
        messages = 0
        for event in reversed(events):
            if isinstance(event, SessionStarted):
                break
            if isinstance(event, UserUttered):
                messages += 1
        return messages >= self.roll_after

    def roll(self, tracker: DialogueStateTracker) -> None:
        """Append the events that start the session going on with this one (signals/roll.py)."""
        events = list(tracker.events)
        start = next((i for i in range(len(events) - 1, -1, -1) if isinstance(events[i], SessionStarted)), 0)
        session = [event.as_dict() for event in events[start:]]
        latest = max((e.timestamp for e in events[start:] if e.timestamp), default=0.0)
        # later than every event of the session: the SQL store reads a session from the timestamp
        # of its session_started on (another node's clock must not be behind by more than that)
        now = max(time.time(), latest + 0.002)
        slots = {name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value}
        config = self.domain.session_config
        expires_after = config.session_expiration_time * 60 if config.are_sessions_enabled() else 0.0
        for data in roll_events(session, now, slots, expires_after):
            tracker.update(Event.from_parameters(data), self.domain)
        logger.debug("Rolled the session of %s after %d events", tracker.sender_id, len(session))
