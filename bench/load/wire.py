"""A light WebSocket client for the swarm: websocket-client (blocking, made cooperative by the
gevent patching Locust does), one socket per simulated person and no reader greenlet — each user
reads its own frames when it waits for something, so 60 customers cost 60 greenlets.

`Socket` is one connection through the load balancer; `Line` adds what the widget and the
console do on a drop: reconnect with back-off (through the balancer again, so a dead bridge is
skipped), say `hello` with the last seq seen, and resend every message not yet acknowledged with
its same `client_msg_id` (the bridge stores it once).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import gevent
import websocket

from .record import Record

RECONNECT_LIMIT = 45.0  # seconds a person keeps trying before giving up (a supervisor restart is ~5 s)


class Dropped(Exception):
    """The socket closed or failed."""


class GaveUp(Exception):
    """No connection came back within RECONNECT_LIMIT."""


class Socket:
    def __init__(self, url: str, origin: str, connect_timeout: float = 5.0):
        self.url = url
        self.origin = origin
        self.connect_timeout = connect_timeout
        self.ws: websocket.WebSocket | None = None

    def open(self) -> None:
        self.close()
        try:
            self.ws = websocket.create_connection(
                self.url, origin=self.origin, timeout=self.connect_timeout, skip_utf8_validation=True
            )
        except (websocket.WebSocketException, OSError) as error:
            self.ws = None
            raise Dropped(f"connect: {error}") from None

    def send(self, frame: dict[str, Any]) -> None:
        if self.ws is None:
            raise Dropped("not connected")
        try:
            self.ws.send(json.dumps(frame, ensure_ascii=False))
        except (websocket.WebSocketException, OSError) as error:
            raise Dropped(f"send: {error}") from None

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next frame, or None when nothing came within `timeout` seconds."""
        if self.ws is None:
            raise Dropped("not connected")
        self.ws.settimeout(max(timeout, 0.01))
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketException, OSError) as error:
            raise Dropped(f"recv: {error}") from None
        if not raw:  # a close frame
            raise Dropped("closed by the server")
        try:
            frame = json.loads(raw)
        except ValueError:
            return None
        return frame if isinstance(frame, dict) else None

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close(timeout=0.5)
            except Exception:  # noqa: BLE001 - closing a dead socket
                pass
            self.ws = None


class Line:
    """A socket that comes back: subclasses say what `hello` is and handle the frames."""

    role = "?"

    def __init__(self, url: str, origin: str, record: Record, who: str):
        self.socket = Socket(url, origin)
        self.record = record
        self.who = who
        self.outbox: dict[str, dict[str, Any]] = {}  # client_msg_id → frame, until acknowledged
        self.open_drop: int | None = None  # index of the drop not yet resumed (see settled)
        self.answered = True  # the server answered the last hello (False from a reconnect until it does)

    def hello(self) -> dict[str, Any]:
        raise NotImplementedError

    def handle(self, frame: dict[str, Any]) -> None:
        raise NotImplementedError

    def connect(self) -> None:
        self.socket.open()
        self.socket.send(self.hello())

    def reconnect(self, why: str) -> None:
        dropped_at = time.time()
        attempts, delay = 0, 0.2
        while True:
            attempts += 1
            try:
                self.connect()
                for frame in list(self.outbox.values()):  # the widget's outbox: resent, same ids
                    self.socket.send(frame)
            except Dropped:
                if time.time() - dropped_at > RECONNECT_LIMIT:
                    self.record.drop(self.role, self.who, dropped_at, None, attempts, why)
                    raise GaveUp(f"{self.role} {self.who}: no connection for {RECONNECT_LIMIT:.0f} s") from None
                gevent.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.open_drop = self.record.drop(self.role, self.who, dropped_at, time.time(), attempts, why)
            self.answered = False
            return

    def send(self, frame: dict[str, Any]) -> None:
        try:
            self.socket.send(frame)
        except Dropped as dropped:
            self.reconnect(str(dropped))  # resends the outbox, this frame too if it is in it

    def pump(self, done: Callable[[], bool], seconds: float) -> bool:
        """Read and handle frames until done() or `seconds` passed; reconnect on a drop."""
        deadline = time.monotonic() + seconds
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                frame = self.socket.recv(min(left, 1.0))
            except Dropped as dropped:
                self.reconnect(str(dropped))
                continue
            if frame is not None:
                self.handle(frame)
        return True

    def hello_answered(self) -> None:
        """The server answered the hello (customer: `state`, agent: `snapshot`)."""
        self.answered = True
        self.settled()

    def settled(self) -> None:
        """After a drop, the session is resumed once the server answered the new hello and every
        message that was waiting for its acknowledgement has it."""
        if self.open_drop is not None and self.answered and not self.outbox:
            self.record.resumed(self.open_drop, time.time())
            self.open_drop = None

    def close(self) -> None:
        self.socket.close()
