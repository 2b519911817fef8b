"""What both WebSockets share: one send path per socket that keeps `seq` order per
conversation, drops duplicates, fills gaps from the store, and a bounded queue between the
fan-out and the socket (overflow → the socket is closed; the client resumes by seq).

Protocol: the client sends `{"type": "hello", "last_seq": N}` on every (re)connect; the server
replays every message after N, then live frames follow. Nothing is lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..domain.errors import Invalid, ServiceError
from ..edge import MAX_INT32, load_json
from ..services.infra.frames import message_frame
from ..services.infra.hub import Subscriber
from ..services.wiring.container import Bridge
from .common import dumps

log = logging.getLogger("handover_bridge.ws")

CLOSE_OVERFLOW = 1013  # "try again later": the client was too slow; it reconnects and resumes
MAX_FRAME_CHARS = 16 * 1024
REPLAY_PAGE = 500
HELLO_WAIT_SECONDS = 10
TYPING_INTERVAL_SECONDS = 1.0  # typing frames forwarded per socket (and conversation), at most


class SocketSession:
    def __init__(self, ws, bridge: Bridge, role: str, *, wait_for_hello: bool):
        self.ws = ws
        self.bridge = bridge
        self.role = role
        self.subscriber = Subscriber(role, bridge.settings.ws_send_queue)
        self.last: dict[str, int] = {}  # conversation → last seq sent on this socket
        self._lock = asyncio.Lock()
        self.ready = asyncio.Event()
        self._typing: dict[str, float] = {}  # conversation → when a typing frame last went on
        if not wait_for_hello:
            self.ready.set()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(dumps(frame))

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send({"type": "error", "code": code, "message": message, **extra})

    async def _emit(self, frame: dict[str, Any]) -> None:
        """Send one frame; message frames go out once each, in seq order (call under the lock)."""
        if frame.get("type") != "message":
            await self.send(frame)
            return
        conversation_id, seq = frame["conversation_id"], frame["seq"]
        last = self.last.get(conversation_id)
        if last is not None and seq <= last:
            return  # already sent (replay or gap fill)
        if last is not None and seq > last + 1:  # a frame overtook another: read the store
            await self._send_after(conversation_id, last)
            if seq <= self.last.get(conversation_id, 0):
                return
        await self.send(frame)
        self.last[conversation_id] = seq

    async def _send_after(self, conversation_id: str, after: int) -> None:
        while True:
            _state, messages = await self.bridge.conversations.history(conversation_id, after, REPLAY_PAGE)
            for message in messages:
                if message.seq > self.last.get(conversation_id, -1):
                    await self.send(message_frame(conversation_id, message))
                    self.last[conversation_id] = message.seq
            if len(messages) < REPLAY_PAGE:
                return
            after = messages[-1].seq

    def typing_due(self, conversation_id: str) -> bool:
        """At most one typing frame per TYPING_INTERVAL_SECONDS goes on from this socket for a
        conversation; the others are dropped here, before any database read."""
        now = time.monotonic()
        if now - self._typing.get(conversation_id, -TYPING_INTERVAL_SECONDS) < TYPING_INTERVAL_SECONDS:
            return False
        if len(self._typing) > 1000:
            self._typing.clear()
        self._typing[conversation_id] = now
        return True

    async def replay(self, conversation_id: str, last_seq: int) -> None:
        """hello/sync: everything after last_seq, then live frames resume. A last_seq beyond the
        conversation's real last seq (a stale or made-up one) is taken as the real last seq, so
        the live messages that follow are not mistaken for ones already sent."""
        async with self._lock:
            if last_seq > 0:
                last_seq = min(last_seq, await self.bridge.conversations.last_seq(conversation_id))
            self.last[conversation_id] = last_seq
            await self._send_after(conversation_id, last_seq)
        self.ready.set()

    async def writer(self) -> None:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout=HELLO_WAIT_SECONDS)
        except asyncio.TimeoutError:
            self.ready.set()  # no hello: deliver live frames from here on
        queue = self.subscriber.queue
        while True:
            frame = await queue.get()
            async with self._lock:
                await self._emit(frame)

    async def run(self, topics: tuple[str, ...], handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Subscribe, then read frames until the client leaves or falls too far behind."""
        hub, metrics = self.bridge.ctx.hub, self.bridge.metrics
        hub.subscribe(self.subscriber, *topics)
        metrics.sockets.labels(self.role).inc()
        tasks = [
            asyncio.create_task(self.writer()),
            asyncio.create_task(self._reader(handle)),
            asyncio.create_task(self.subscriber.overflow.wait()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if tasks[2] in done:
                log.info("socket dropped: send queue overflow", extra={"fields": {"role": self.role}})
                await self.ws.close(CLOSE_OVERFLOW, "too slow; reconnect and resume")
            for task in done:
                if not task.cancelled() and task.exception() and task is not tasks[2]:
                    error = task.exception()
                    if not is_closed(error):
                        log.warning("socket task failed: %r", error)
        finally:
            hub.unsubscribe(self.subscriber)
            metrics.sockets.labels(self.role).dec()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _reader(self, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        while True:
            raw = await self.ws.recv()
            if raw is None:
                return
            if isinstance(raw, bytes) or len(raw) > MAX_FRAME_CHARS:
                await self.error("invalid_frame", "frames must be JSON text of at most 16 KiB")
                continue
            try:
                frame = load_json(raw, "frame")  # the edge, as for HTTP bodies
            except ServiceError as failure:
                await self.error(failure.code, failure.message)
                continue
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                await self.error("invalid_frame", 'frames are JSON objects with a "type"')
                continue
            try:
                await handle(frame)
            except ServiceError as failure:
                await self.error(failure.code, failure.message, **client_msg_id_of(frame))
            except Exception as error:  # noqa: BLE001 - one bad frame never ends the socket
                if is_closed(error):
                    raise
                log.exception("socket frame %r failed", frame.get("type"))
                await self.error("internal_error", "internal error", **client_msg_id_of(frame))


def client_msg_id_of(frame: dict[str, Any]) -> dict[str, str]:
    value = frame.get("client_msg_id")
    return {"client_msg_id": value} if isinstance(value, str) else {}


def last_seq_of(frame: dict[str, Any]) -> int:
    """hello/sync `last_seq`: a whole number ≥ 0 (missing: 0, replay everything); anything else is
    an `invalid_last_seq` error frame and the frame does nothing. Numbers beyond 2^63-1 never get
    here (the edge answers them with an error frame); beyond what a seq can be they are read as the
    largest, and replay clamps them to the real last seq."""
    value = frame.get("last_seq", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid("last_seq must be a whole number of at least 0", "invalid_last_seq")
    return min(value, MAX_INT32)


def is_closed(error: BaseException) -> bool:
    name = type(error).__name__
    return "ConnectionClosed" in name or isinstance(error, (ConnectionError, asyncio.CancelledError))
