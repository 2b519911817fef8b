"""The JSON shapes the bridge sends: messages, and WebSocket frames `{"type": ...}`."""

from __future__ import annotations

from typing import Any

from ...models import Message

Event = tuple[tuple[str, ...], dict[str, Any]]  # (topics, frame)

AGENTS = "agents"  # every agent console: queue changes


def conversation_topic(conversation_id: str) -> str:
    return f"c:{conversation_id}"


def agent_topic(agent_id: int) -> str:
    return f"a:{agent_id}"


def topics(conversation_id: str, agent_id: int | None = None, *, agents: bool = False) -> tuple[str, ...]:
    result = [conversation_topic(conversation_id)]
    if agent_id is not None:
        result.append(agent_topic(agent_id))
    if agents:
        result.append(AGENTS)
    return tuple(result)


def message_dict(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
    if message.client_msg_id is not None:
        data["client_msg_id"] = message.client_msg_id
    if message.payload:
        data["payload"] = message.payload
    if message.reply_to is not None:
        data["reply_to"] = message.reply_to
    return data


def message_frame(conversation_id: str, message: Message) -> dict[str, Any]:
    return {"type": "message", "conversation_id": conversation_id, **message_dict(message)}


def message_events(conversation_id: str, agent_id: int | None, messages: list[Message]) -> list[Event]:
    route = topics(conversation_id, agent_id)
    return [(route, message_frame(conversation_id, m)) for m in messages]


def state_frame(conversation_id: str, state: str, **extra: Any) -> dict[str, Any]:
    return {"type": "state", "conversation_id": conversation_id, "state": state, **extra}


def queue_changed() -> Event:
    return ((AGENTS,), {"type": "queue_changed"})
