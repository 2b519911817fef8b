"""/socket.io — a drop-in for Rasa's socket.io channel, so a shop's rasa-webchat (1.0.1) talks
to the bridge unchanged: only its `socketUrl` (and `socketPath`) point here.

python-socketio's AsyncServer (Socket.IO 5 / Engine.IO 4) on the Sanic app. Events, as Rasa's
channel has them: `session_request {session_id|null}` → `session_confirm <session id>`, then what
the session missed (from the store, by seq); `user_uttered {message, session_id, customData}` →
the customer message path the widget uses; everything the conversation says → `bot_uttered`
(services/customer/rasa_webchat.py shapes it). The handshake is checked as the widget's is: an
allowed Origin (JIELI_ALLOWED_ORIGINS; none → refused) and the per-address rate; messages have
the per-conversation rate and the widget's bound on messages waiting per socket. A bad event is
answered with an `error` event `{"error": {"code", "message"}}` and the socket goes on.

Events of one socket are handled one after another (async_handlers=False) and every handler
returns quickly: customer messages wait in the socket's own queue for its worker, bot turns
included, so the socket keeps reading while Rasa works.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from typing import Any

import socketio
from sanic import Sanic

from ..domain.errors import Conflict, Forbidden, Invalid, ServiceError, Unauthorized
from ..domain.states import State
from ..repositories import messages as messages_repo
from ..services.customer.conversations import clean_metadata
from ..services.customer.rasa_webchat import CHANNEL, RasaWebchat, escape_markdown, utterances
from ..services.infra.frames import conversation_topic
from ..services.infra.hub import Subscriber
from ..services.wiring.container import Bridge
from .customer import check_ip_rate
from .middleware import allowed_origin
from .ws import REPLAY_PAGE, is_closed

log = logging.getLogger("handover_bridge.socketio")

PATH = "socket.io"
MAX_PENDING_SENDS = 20  # as the widget's socket (ws_customer.py)
MAX_EVENT_BYTES = 64 * 1024
RATING = re.compile(r'^\s*/rate\{"score":\s*([1-5])\}\s*$')
SCORES = frozenset("12345")
LOST_SESSION = "连接已失效，请刷新页面后再试。"


class WebchatSocket:
    """One rasa-webchat connection: its conversation, the frames the hub gives it, its sends."""

    def __init__(self, server: WebchatServer, sid: str):
        self.server = server
        self.sid = sid
        self.conversation_id: str | None = None
        self.session_id: str | None = None
        self.subscriber = Subscriber("customer", server.bridge.settings.ws_send_queue)
        self.last = 0  # the newest seq this socket has been sent (or skipped: the customer's own)
        self.lock = asyncio.Lock()
        self.sends: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MAX_PENDING_SENDS)
        self.numbers = itertools.count(1)
        self.custom_data: Any = None
        self.tasks = [
            asyncio.create_task(self.writer()),
            asyncio.create_task(self.send_worker()),
            asyncio.create_task(self.watch_overflow()),
        ]

    @property
    def b(self) -> Bridge:
        return self.server.bridge

    async def emit(self, event: str, data: Any) -> None:
        await self.server.sio.emit(event, data, to=self.sid)

    async def error(self, code: str, message: str, *, tell: bool = False) -> None:
        await self.emit("error", {"error": {"code": code, "message": message}})
        if tell:  # what the customer must know shows in the chat (not stored: said once, here)
            await self.emit("bot_uttered", {"text": escape_markdown(message), "metadata": {"jieli": {"error": code}}})

    # ---- the session -------------------------------------------------------------------------

    async def attach(self, conversation_id: str, session_id: str, resumed: bool) -> None:
        """Confirm the session, then send what it missed; live messages follow in seq order."""
        hub = self.b.ctx.hub
        async with self.lock:
            if self.conversation_id != conversation_id:
                hub.unsubscribe(self.subscriber)
                while not self.subscriber.queue.empty():
                    self.subscriber.queue.get_nowait()
                hub.subscribe(self.subscriber, conversation_topic(conversation_id))
            self.conversation_id, self.session_id = conversation_id, session_id
            await self.emit("session_confirm", session_id)
            self.last = await self.server.webchat.delivered(conversation_id) if resumed else 0
            await self.send_after(self.last)
        await self.mark()

    async def send_after(self, after: int) -> None:
        """Everything after `after` from the store (call under the lock)."""
        while True:
            _state, messages = await self.b.conversations.history(self.conversation_id, after, REPLAY_PAGE)
            for message in messages:
                await self.deliver(message.seq, utterances(message))
            if len(messages) < REPLAY_PAGE:
                return
            after = messages[-1].seq

    async def deliver(self, seq: int, payloads: list[dict[str, Any]]) -> None:
        if seq <= self.last:
            return
        for payload in payloads:
            await self.emit("bot_uttered", payload)
        self.last = seq

    async def mark(self) -> None:
        if self.conversation_id and self.last:
            await self.server.webchat.mark_delivered(self.conversation_id, self.last)

    async def writer(self) -> None:
        """Live messages from the hub: once each, in seq order; a gap is filled from the store."""
        queue = self.subscriber.queue
        while True:
            frame = await queue.get()
            try:
                async with self.lock:
                    if frame.get("type") != "message" or frame.get("conversation_id") != self.conversation_id:
                        continue
                    seq = frame["seq"]
                    if seq > self.last + 1:
                        await self.send_after(self.last)
                    await self.deliver(seq, utterances(frame))
                if queue.empty():
                    await self.mark()
            except Exception as error:  # noqa: BLE001 - the next frame still goes out
                if is_closed(error):
                    raise
                log.exception("rasa-webchat delivery failed")

    async def watch_overflow(self) -> None:
        await self.subscriber.overflow.wait()
        log.info("rasa-webchat socket dropped: send queue overflow")
        await self.server.sio.disconnect(self.sid)  # the client reconnects and resumes

    # ---- what the customer sends -------------------------------------------------------------

    def take(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise Invalid("user_uttered needs an object {message, session_id, customData}", "invalid_event")
        message = data.get("message")
        if message is None:
            return  # rasa-webchat's start of a chat without an initPayload: nothing was said
        if self.conversation_id is None or data.get("session_id") != self.session_id:
            raise Conflict(LOST_SESSION, "unknown_session")
        self.b.conversations.validate_text(message)
        clean_metadata(data.get("customData"))  # a small JSON object, or the event is refused
        try:
            self.sends.put_nowait(
                {"text": message, "custom_data": data.get("customData"), "client_msg_id": self.next_msg_id()}
            )
        except asyncio.QueueFull:
            raise ServiceError("发送太频繁了，请稍等片刻再试。", "rate_limited") from None

    def next_msg_id(self) -> str:
        return f"rw-{self.sid}-{next(self.numbers)}"[:64]

    async def send_worker(self) -> None:
        """Customer messages of this socket, one after another (their seq follows their order)."""
        while True:
            item = await self.sends.get()
            try:
                await self.send_one(item)
            except ServiceError as failure:
                await self.error(failure.code, failure.message, tell=failure.status in (409, 413, 429))
            except Exception as error:  # noqa: BLE001 - one failed send never stops the next ones
                if is_closed(error):
                    raise
                log.exception("rasa-webchat message failed")
                await self.error("internal_error", "internal error")

    async def send_one(self, item: dict[str, Any]) -> None:
        conversations, webchat = self.b.conversations, self.server.webchat
        if item["text"] in SCORES and await self.rating_asked(self.conversation_id):
            # the bridge's rating question (it may follow a chat that ended): not for Rasa
            await self.rate(self.conversation_id, int(item["text"]))
            return
        try:
            await conversations.check_active(self.conversation_id)
            state = (await conversations.view(self.conversation_id))["state"]
        except Unauthorized:  # idle too long: a new conversation, as a new visit would get
            state = State.CLOSED
        if state == State.CLOSED:  # ended: the customer goes on in a new conversation
            conversation_id, session_id, _ = await webchat.open(None)
            await self.attach(conversation_id, session_id, False)
        conversation_id = self.conversation_id
        await conversations.check_rate(conversation_id)
        if item["custom_data"] != self.custom_data:
            await webchat.take_custom_data(conversation_id, item["custom_data"])
            self.custom_data = item["custom_data"]
        text, payload = await self.button_of(conversation_id, item["text"])
        if payload is not None:
            rating = RATING.match(payload)
            if rating:  # the bot's own rating buttons: the chat's rating too, and the bot hears it
                await self.rate(conversation_id, int(rating.group(1)))
        await conversations.send(conversation_id, text, item["client_msg_id"], payload)

    async def button_of(self, conversation_id: str, text: str) -> tuple[str, str | None]:
        """rasa-webchat sends a pressed quick reply's payload as the message. A text that is
        exactly the payload of a button the bot offered in this conversation is that button
        (stored with its title, as the widget's press is); any other text is text, a leading "/"
        included."""
        if not text.startswith("/"):
            return text, None
        async with self.b.ctx.db.read() as session:
            offered = await messages_repo.bot_payloads(session, conversation_id, 20)
        for item in offered:
            for button in (item.get("buttons") or []) + (item.get("quick_replies") or []):
                if isinstance(button, dict) and button.get("payload") == text:
                    title = button.get("title")
                    return (title if isinstance(title, str) and title.strip() else text), text
        return text, None

    async def rating_asked(self, conversation_id: str) -> bool:
        """Whether the newest thing said to the customer is the bridge's rating question."""
        async with self.b.ctx.db.read() as session:
            latest = await messages_repo.latest_reply(session, conversation_id)
        return (
            latest is not None and isinstance(latest.payload, dict) and latest.payload.get("type") == "rating_request"
        )

    async def rate(self, conversation_id: str, score: int) -> None:
        try:
            await self.b.conversations.rate(conversation_id, score)
        except ServiceError as failure:  # e.g. nothing_to_rate: the bot's buttons without a chat
            log.info("rasa-webchat rating not stored: %s", failure.code)

    async def close(self) -> None:
        self.b.ctx.hub.unsubscribe(self.subscriber)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        try:
            await self.mark()
        except Exception:  # noqa: BLE001 - the bridge may be stopping
            log.warning("could not store what a rasa-webchat session was sent")


class WebchatServer:
    def __init__(self, app: Sanic):
        self.app = app
        settings = app.ctx.settings
        self.sio = socketio.AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=list(settings.allowed_origins),  # [] = every cross-origin page refused
            async_handlers=False,
            max_http_buffer_size=MAX_EVENT_BYTES,
            logger=False,
            engineio_logger=False,
        )
        self.sio.attach(app, socketio_path=PATH)
        self.sockets: dict[str, WebchatSocket] = {}
        self._webchat: RasaWebchat | None = None
        sio = self.sio
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on("session_request", self.session_request)
        sio.on("user_uttered", self.user_uttered)
        sio.on("*", self.other)

    @property
    def bridge(self) -> Bridge:
        return self.app.ctx.bridge

    @property
    def webchat(self) -> RasaWebchat:
        if self._webchat is None:
            self._webchat = RasaWebchat(self.bridge.settings.secret_key, self.bridge.conversations)
        return self._webchat

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        request = environ.get("sanic.request")
        if request is None or allowed_origin(request) is None:
            failure = Forbidden("this origin may not open a socket to the bridge", "origin_not_allowed")
            raise socketio.exceptions.ConnectionRefusedError({"code": failure.code, "message": failure.message})
        try:
            await check_ip_rate(request)
        except ServiceError as failure:
            refused = {"code": failure.code, "message": failure.message}
            raise socketio.exceptions.ConnectionRefusedError(refused) from None
        self.sockets[sid] = WebchatSocket(self, sid)
        self.bridge.metrics.sockets.labels(CHANNEL).inc()

    async def disconnect(self, sid: str, *_reason: Any) -> None:
        socket = self.sockets.pop(sid, None)
        if socket is not None:
            self.bridge.metrics.sockets.labels(CHANNEL).dec()
            await socket.close()

    async def session_request(self, sid: str, data: Any = None) -> None:
        socket = self.sockets.get(sid)
        if socket is None:
            return
        await self.guard(socket, self._session_request(socket, data))

    async def _session_request(self, socket: WebchatSocket, data: Any) -> None:
        if data is not None and not isinstance(data, dict):
            raise Invalid("session_request needs an object {session_id}", "invalid_event")
        conversation_id, session_id, resumed = await self.webchat.open((data or {}).get("session_id"))
        await socket.attach(conversation_id, session_id, resumed)

    async def user_uttered(self, sid: str, data: Any = None) -> None:
        socket = self.sockets.get(sid)
        if socket is None:
            return
        await self.guard(socket, self._take(socket, data))

    async def _take(self, socket: WebchatSocket, data: Any) -> None:
        socket.take(data)

    async def other(self, event: str, sid: str, *_data: Any) -> None:
        socket = self.sockets.get(sid)
        if socket is not None:
            await socket.error("unknown_event", f"unknown event {str(event)[:64]!r}")

    async def guard(self, socket: WebchatSocket, work) -> None:
        """A bad event gets an error event; the socket goes on."""
        try:
            await work
        except ServiceError as failure:
            await socket.error(failure.code, failure.message, tell=failure.status in (409, 413, 429))
        except Exception as error:  # noqa: BLE001 - one bad event never ends the socket
            if is_closed(error):
                return
            log.exception("rasa-webchat event failed")
            await socket.error("internal_error", "internal error")

    async def stop(self) -> None:
        """The bridge is stopping: close every socket (the clients reconnect and resume)."""
        for sid in list(self.sockets):
            try:
                await self.sio.disconnect(sid)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            await self.disconnect(sid)


def install(app: Sanic) -> WebchatServer:
    server = WebchatServer(app)
    app.ctx.webchat = server

    @app.before_server_stop
    async def stop_webchat(app_, _loop=None):
        await server.stop()

    return server
