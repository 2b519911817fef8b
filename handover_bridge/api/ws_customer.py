"""/ws/customer?conversation_id=&token= — the widget's live channel.

Client → server: hello {last_seq}, message {text, client_msg_id, payload?}, typing (at most one
a second goes on), rating {score}, cancel_wait, ping. Server → client: message, state, queue,
typing, agent_joined, ack, error, pong. Every bad frame is answered with an error frame.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sanic import Blueprint, Request

from ..domain.errors import Invalid, ServiceError
from ..services.infra.frames import conversation_topic
from .common import bridge
from .customer import check_ip_rate
from .middleware import check_ws_origin
from .ws import SocketSession, is_closed, last_seq_of

log = logging.getLogger("handover_bridge.ws")
bp = Blueprint("ws_customer")
MAX_PENDING_SENDS = 20


@bp.on_request
async def handshake(request: Request):
    """Before the upgrade: allowed Origin, IP rate, and a token that opens this conversation."""
    check_ws_origin(request)
    await check_ip_rate(request)
    await bridge(request).conversations.authenticate(request.args.get("conversation_id", ""), request.args.get("token"))


@bp.websocket("/ws/customer")
async def customer_socket(request: Request, ws):
    b = bridge(request)
    conversation_id = request.args.get("conversation_id")
    session = SocketSession(ws, b, "customer", wait_for_hello=True)
    sends: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MAX_PENDING_SENDS)

    async def send_worker() -> None:
        """Customer messages from this socket, one after another (their seq follows their order)."""
        while True:
            frame = await sends.get()
            try:
                await b.conversations.check_rate(conversation_id)
                state, messages = await b.conversations.send(
                    conversation_id, frame.get("text"), frame.get("client_msg_id"), frame.get("payload")
                )
                await session.send(
                    {"type": "ack", "client_msg_id": frame.get("client_msg_id"), "seq": messages[0].seq, "state": state}
                )
            except ServiceError as failure:
                await session.error(failure.code, failure.message, client_msg_id=frame.get("client_msg_id"))
            except Exception as error:  # noqa: BLE001 - one failed send never stops the next ones
                if is_closed(error):
                    raise
                log.exception("customer message from a socket failed")
                await session.error("internal_error", "internal error", client_msg_id=frame.get("client_msg_id"))

    async def handle(frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind != "ping":  # a socket left open past the idle time: conversation_expired frames
            await b.conversations.check_active(conversation_id)
        if kind == "hello":
            await session.replay(conversation_id, last_seq_of(frame))
            view = await b.conversations.view(conversation_id)
            await session.send(
                {
                    "type": "state",
                    "conversation_id": conversation_id,
                    "state": view["state"],
                    **({"agent": view["agent"]} if "agent" in view else {}),
                }
            )
            if "queue" in view:
                queue = view["queue"]
                await session.send(
                    {"type": "queue", "conversation_id": conversation_id, **queue, "ahead": queue["position"] - 1}
                )
        elif kind == "message":
            b.conversations.validate_text(frame.get("text"))
            try:
                sends.put_nowait(frame)
            except asyncio.QueueFull:
                raise ServiceError("发送太频繁了,请稍等片刻再试。", "rate_limited") from None
        elif kind == "typing":
            if session.typing_due(conversation_id):
                await b.conversations.typing(conversation_id)
        elif kind == "rating":
            await b.conversations.rate(conversation_id, frame.get("score"))
        elif kind == "cancel_wait":
            await b.conversations.cancel_wait(conversation_id)
        elif kind == "ping":
            await session.send({"type": "pong"})
        else:
            raise Invalid(f"unknown frame type {kind!r}", "unknown_frame")

    worker = asyncio.create_task(send_worker())
    try:
        await session.run((conversation_topic(conversation_id),), handle)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
