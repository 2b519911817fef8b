"""Conversation states and the transitions between them (ARCHITECTURE.md "Conversation states")."""

from __future__ import annotations

from enum import Enum


class State(str, Enum):
    """Where a conversation is: with the bot, waiting for a person, with a person, ended, or left
    as a message (no agent could take it)."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"
    TICKET = "ticket"

    def __str__(self) -> str:  # "queued", not "State.QUEUED", in messages, logs and f-strings
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


STATES: tuple[str, ...] = tuple(state.value for state in State)

# Every move the bridge makes (services: handover, queue, chats, tickets, conversations):
#   bot → queued        a handover (the action, or the bridge itself when Rasa is down)
#   bot → ticket        the customer leaves a message before anyone was asked
#   queued → assigned   an agent accepts, or is assigned
#   queued → bot        the customer gives up waiting
#   queued → ticket     no agent can take it: a message and a contact instead
#   assigned → queued   passed on to a skill, or the agent dropped off (back to the front)
#   assigned → assigned passed on to a named colleague
#   assigned → bot      the agent hands back to the bot
#   assigned → closed   the agent ends the conversation
TRANSITIONS: dict[State, frozenset[State]] = {
    State.BOT: frozenset({State.QUEUED, State.TICKET}),
    State.QUEUED: frozenset({State.ASSIGNED, State.BOT, State.TICKET}),
    State.ASSIGNED: frozenset({State.QUEUED, State.ASSIGNED, State.BOT, State.CLOSED}),
    State.CLOSED: frozenset(),
    State.TICKET: frozenset(),
}

STATE_LABELS: dict[State, str] = {
    State.BOT: "机器人",
    State.QUEUED: "排队中",
    State.ASSIGNED: "人工服务中",
    State.CLOSED: "已结束",
    State.TICKET: "已留言",
}


def can_transition(from_state: str | State, to_state: str | State) -> bool:
    """The move is one the bridge may make (unknown states: never)."""
    try:
        return State(to_state) in TRANSITIONS[State(from_state)]
    except ValueError:
        return False
