"""A customer as the widget is one (static/widget/src/outbox.js, session.js), for the set-up tests.

It opens a conversation over HTTP, then talks over the customer WebSocket: every (re)connect says
`hello` with the last seq it has, and every message waits in an outbox, sent again on each
reconnect until the bridge has stored it (its client_msg_id comes back in an `ack` or a `message`
frame). When the socket drops (a bridge killed under it) it reconnects through the same URL — the
balancer's front in the scaled set-up — with a short back-off, as the widget does.

It keeps what a customer would notice: every message frame by seq (a seq seen twice is a doubled
message), how often it had to connect, and what the store holds (`caught_up`)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import websockets

TURN_TIMEOUT = 120.0  # a bot turn while a component restarts; no timing is asserted


class WidgetClient:
    def __init__(self, base_url: str, http: httpx.AsyncClient):
        self.base = base_url
        self.ws_base = "ws" + base_url.removeprefix("http")
        self.http = http
        self.conversation_id = ""
        self.token = ""
        self.seen: dict[int, dict[str, Any]] = {}
        self.doubled: list[int] = []
        self.outbox: dict[str, str] = {}
        self.connections = 0
        self.connected = asyncio.Event()
        self._socket = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def last_seq(self) -> int:
        return max(self.seen, default=0)

    async def open(self) -> WidgetClient:
        response = await self.http.post(f"{self.base}/api/conversations", json={})
        assert response.status_code == 201, response.text
        created = response.json()
        self.conversation_id, self.token = created["conversation_id"], created["token"]
        self._task = asyncio.create_task(self._run(), name=f"widget-{self.conversation_id[:8]}")
        await asyncio.wait_for(self.connected.wait(), TURN_TIMEOUT)
        return self

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = 0.2
        url = f"{self.ws_base}/ws/customer?conversation_id={self.conversation_id}&token={self.token}"
        while True:
            try:
                async with websockets.connect(url, origin=self.base, open_timeout=10) as socket:
                    self.connections += 1
                    delay = 0.2
                    await socket.send(json.dumps({"type": "hello", "last_seq": self.last_seq}))
                    for client_msg_id, text in list(self.outbox.items()):
                        await socket.send(json.dumps({"type": "message", "text": text, "client_msg_id": client_msg_id}))
                    self._socket = socket
                    self.connected.set()
                    async for raw in socket:
                        self._on_frame(json.loads(raw))
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
                pass
            self._socket = None
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "message":
            seq = frame["seq"]
            if seq in self.seen:
                self.doubled.append(seq)
            else:
                self.seen[seq] = frame
            self.outbox.pop(frame.get("client_msg_id"), None)
        elif frame.get("type") == "ack":
            self.outbox.pop(frame.get("client_msg_id"), None)
        elif frame.get("type") == "error" and frame.get("code") == "rate_limited":
            asyncio.get_running_loop().call_later(2.0, self._resend, frame.get("client_msg_id"))  # as the widget
        self._changed.set()

    def _resend(self, client_msg_id: str | None) -> None:
        if client_msg_id in self.outbox:
            asyncio.ensure_future(self._send(client_msg_id))

    async def _send(self, client_msg_id: str) -> None:
        socket = self._socket
        if socket is None:
            return  # sent from the outbox on the reconnect
        frame = {"type": "message", "text": self.outbox[client_msg_id], "client_msg_id": client_msg_id}
        try:
            await socket.send(json.dumps(frame))
        except websockets.exceptions.WebSocketException:
            pass  # still in the outbox: sent again on the reconnect

    async def _until(self, predicate, what: str, timeout: float = TURN_TIMEOUT):
        async def wait() -> Any:
            while not (found := predicate()):
                self._changed.clear()
                await self._changed.wait()
            return found

        try:
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"conversation {self.conversation_id}: no {what} after {timeout:.0f} s "
                f"(seen: {[(m['seq'], m['sender'], m.get('text')) for m in self.seen.values()]}, "
                f"outbox {self.outbox}, connections {self.connections})"
            ) from None

    async def say(self, text: str) -> list[str]:
        """Send as the widget does and return the texts that answered it (bot replies or the
        bridge's notices), once this socket has everything the store holds."""
        client_msg_id = uuid.uuid4().hex
        self.outbox[client_msg_id] = text
        await self._send(client_msg_id)
        mine = await self._until(
            lambda: next((m for m in self.seen.values() if m.get("client_msg_id") == client_msg_id), None),
            f"stored message for {text!r}",
        )
        await self._until(
            lambda: any(m.get("reply_to") == mine["seq"] for m in self.seen.values()), f"reply to {text!r}"
        )
        await self.caught_up()
        return [m.get("text") or "" for _, m in sorted(self.seen.items()) if m.get("reply_to") == mine["seq"]]

    async def stored(self) -> list[dict[str, Any]]:
        """The conversation as the store has it (GET …/messages through the same front)."""
        for _ in range(30):  # a request may land on a bridge that is going down: ask again
            try:
                response = await self.http.get(
                    f"{self.base}/api/conversations/{self.conversation_id}/messages",
                    params={"after": 0},
                    headers=self.headers,
                )
                if response.status_code == 200:
                    return response.json()["messages"]
            except httpx.HTTPError:
                pass
            await asyncio.sleep(1)
        raise AssertionError(f"the store's messages of {self.conversation_id} could not be read")

    async def caught_up(self) -> list[dict[str, Any]]:
        """Wait until this socket has seen every message the store holds; return them."""
        stored = await self.stored()
        await self._until(lambda: all(m["seq"] in self.seen for m in stored), "replay of the stored messages")
        return stored
