"""/ws/agent?token= — the agent console's live channel.

Client → server: hello, heartbeat / ping, sync {conversation_id, last_seq}, message
{conversation_id, text, client_msg_id}, typing {conversation_id}. Server → client: snapshot
(my chats and the queue), message, state, queue_changed, presence, typing, agent_joined,
transferred_away, ticket, ack, error, pong.
"""

from __future__ import annotations

import time
from typing import Any

from sanic import Blueprint, Request

from ..domain.errors import Invalid
from ..services.infra.frames import AGENTS, agent_topic
from ..services.queue.agents import agent_dict
from .common import bridge
from .middleware import check_ws_origin
from .ws import SocketSession, last_seq_of

bp = Blueprint("ws_agent")
HEARTBEAT_WRITE_SECONDS = 5.0


@bp.on_request
async def handshake(request: Request):
    check_ws_origin(request)
    request.ctx.agent = await bridge(request).agents.authenticate(request.args.get("token"))


@bp.websocket("/ws/agent")
async def agent_socket(request: Request, ws):
    b = bridge(request)
    agent = request.ctx.agent
    session = SocketSession(ws, b, "agent", wait_for_hello=False)
    last_beat = 0.0

    async def beat() -> None:
        nonlocal last_beat
        if time.monotonic() - last_beat >= HEARTBEAT_WRITE_SECONDS:
            last_beat = time.monotonic()
            await b.agents.heartbeat(agent)

    def conversation_id_of(frame: dict[str, Any]) -> str:
        value = frame.get("conversation_id")
        if not isinstance(value, str) or not value:
            raise Invalid("conversation_id is required", "missing_conversation_id")
        return value

    async def handle(frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "hello":
            await beat()
            await session.send(
                {
                    "type": "snapshot",
                    "agent": agent_dict(agent),
                    "chats": await b.chats.my_chats(agent),
                    "queue": await b.queue.items(),
                }
            )
        elif kind in ("heartbeat", "ping"):
            await beat()
            await session.send({"type": "pong"})
        elif kind == "sync":
            conversation_id = conversation_id_of(frame)
            await b.chats.check_readable(agent, conversation_id)  # 403/404 error frame otherwise
            await session.replay(conversation_id, last_seq_of(frame))
        elif kind == "message":
            message = await b.chats.send(
                agent, conversation_id_of(frame), frame.get("text"), frame.get("client_msg_id")
            )
            await session.send(
                {
                    "type": "ack",
                    "client_msg_id": frame.get("client_msg_id"),
                    "seq": message.seq,
                    "conversation_id": frame["conversation_id"],
                }
            )
        elif kind == "typing":
            conversation_id = conversation_id_of(frame)
            if session.typing_due(conversation_id):
                await b.chats.typing(agent, conversation_id)
        else:
            raise Invalid(f"unknown frame type {kind!r}", "unknown_frame")

    await beat()
    await session.run((agent_topic(agent.id), AGENTS), handle)
