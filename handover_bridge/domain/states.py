"""Conversation states, the transitions between them, and which customer messages go to Rasa.

This is the one place that says how a conversation may move:

    bot → queued → assigned → bot | closed      (an agent takes it, then hands back or ends it)
    assigned → assigned                         (transferred to another agent)
    assigned → queued                           (transferred to a skill, or the agent dropped)
    queued → bot                                (the customer gives up waiting)
    bot | queued → ticket                       (nobody can take it: the customer leaves a message)

`closed` and `ticket` are final. Every state change goes through `check` (the store's
conditional UPDATE, repositories/conversations.transition, calls it for each state it may
leave), and the database refuses any other state name (CHECK constraint ck_conversations_state,
migration 0003). An impossible transition raises InvalidTransition, a 409 Conflict.

**Post-handover silence.** `goes_to_bot(state)` decides whether a customer message is sent to
Rasa: only in bot mode. The bridge applies it when it stores the message (the message is
`pending` only when it will get a bot turn: repositories/append.py, which hands the same
rule to PostgreSQL as a parameter) and before every bot turn (the customer conversation
service). Rasa's own `ConversationPaused` (returned by action_handover) is the second fence, not a
second decision: should a message ever reach Rasa during a handover, the paused tracker stays
silent. See docs/bridge.md, "Post-handover silence".

`State` and `TRANSITIONS` are the shared contract's (jieli_contract.states): defined there once,
enforced here.
"""

from __future__ import annotations

from typing import Any

from jieli_contract.states import TRANSITIONS, State, can_transition

from .errors import Conflict, Forbidden

__all__ = [
    "INITIAL",
    "OPEN",
    "TO_BOT",
    "TRANSITIONS",
    "InvalidTransition",
    "State",
    "allowed",
    "check",
    "check_constraint_sql",
    "goes_to_bot",
    "parse",
    "transition",
]


INITIAL = State.BOT
# States in which the customer may still write (a closed conversation takes no messages).
OPEN = frozenset(s for s in State if s is not State.CLOSED)
# States in which a customer message gets a bot turn: only bot mode (post-handover silence).
TO_BOT = frozenset({State.BOT})


class InvalidTransition(Conflict):
    """A state change the transition table does not allow (409)."""

    def __init__(self, current: Any, to: Any, code: str = "bad_state"):
        super().__init__(f"a conversation that is {_name(current)} cannot become {_name(to)}", code)
        self.current, self.to = current, to


def _name(state: Any) -> str:
    return str(getattr(state, "value", state))


def parse(value: Any) -> State:
    """A state from its name; ValueError for anything else."""
    return State(value)


def allowed(current: Any, to: Any) -> bool:
    return can_transition(current, to)


def check(current: Any, to: Any, *, code: str = "bad_state") -> State:
    """The state to move to, if `current → to` is allowed; InvalidTransition otherwise."""
    if not allowed(current, to):
        raise InvalidTransition(current, to, code)
    return State(to)


def transition(conversation: Any, to: Any, *, code: str = "bad_state") -> State:
    """Check that `conversation` (anything with a `.state`) may move to `to`, and return the new
    state. It does not write: the store's conditional UPDATE does (repositories/conversations),
    or, for rows not stored yet (the demo week), the caller assigns the result."""
    return check(conversation.state, to, code=code)


def check_assigned_to(state: Any, holder_id: Any, agent_id: Any) -> None:
    """An agent acts on a chat (reply, suggestions, an order's cancellation) only while it is
    assigned to them: 403 `not_your_conversation` otherwise."""
    if state != State.ASSIGNED or holder_id != agent_id:
        raise Forbidden("this conversation is not assigned to you", "not_your_conversation")


def goes_to_bot(state: Any) -> bool:
    """Whether a customer message in this state is sent to Rasa (the post-handover silence)."""
    return state in TO_BOT


def check_constraint_sql(column: str = "state") -> str:
    """The SQL of the database CHECK that only known states are stored."""
    return f"{column} IN ({', '.join(repr(s.value) for s in State)})"
