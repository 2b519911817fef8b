"""A local stand-in for 企业微信's 微信客服 API, built from the documented request and response
shapes (aiohttp on loopback): gettoken, kf/sync_msg, kf/send_msg, kf/service_state/get and
/trans, access tokens that expire, errcodes, and customers who "send" messages — which makes it
POST an encrypted, signed callback to the bridge, as 企业微信 does.

What it enforces, as the documentation says: an access token must be valid (40014 unknown,
42001 expired); sync_msg pages by cursor (the same cursor returns the same messages); send_msg
only in session states 0–1, within 48 hours of the customer's last message (45015) and at most
5 messages per customer message (45047); service_state/trans only along the allowed moves.
Tests can queue errcodes for the next calls of a path (`fail_next`).

Run it by hand for the terminal demo: `python -m tests.wechat.demo` (see docs/channels.md).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from handover_bridge.services.channels.wechat.crypto import MsgCrypt, signature

TRANSITIONS = {0: {1, 2, 3, 4}, 1: {2, 3, 4}, 2: {3, 4}, 3: {3, 4}, 4: set()}
WINDOW_SECONDS = 48 * 3600
PER_MESSAGE = 5


@dataclass
class Session:
    state: int = 0
    servicer: str = ""
    last_customer_at: float = 0.0
    sent_since: int = 0


@dataclass
class Simulator:
    corp_id: str
    secret: str
    token: str
    aes_key: str
    callback_url: str = ""  # the bridge's /channels/wechat/callback
    open_kfid: str = "wkSIMULATED0001"
    token_ttl: int = 7200
    port: int = 0
    log: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    sessions: dict[tuple[str, str], Session] = field(default_factory=dict)
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))  # touser → bodies
    refused: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fail_next: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    callbacks: list[tuple[int, str]] = field(default_factory=list)  # (status, body) of each POST
    sync_starts: list[int] = field(default_factory=list)  # where in the log each sync_msg began
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id → (content type, bytes)

    def __post_init__(self) -> None:
        self.crypt = MsgCrypt(self.token, self.aes_key, self.corp_id)
        self._tokens: dict[str, float] = {}
        self._sync_tokens: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._seq = 0

    # ---- running -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/kf/sync_msg", self._sync_msg)
        app.router.add_post("/cgi-bin/kf/send_msg", self._send_msg)
        app.router.add_post("/cgi-bin/kf/service_state/get", self._state_get)
        app.router.add_post("/cgi-bin/kf/service_state/trans", self._state_trans)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self) -> None:
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    # ---- the customer's side ---------------------------------------------------------------

    def session(self, user: str, open_kfid: str | None = None) -> Session:
        return self.sessions.setdefault((open_kfid or self.open_kfid, user), Session())

    def add_message(self, user: str, msgtype: str = "text", open_kfid: str | None = None, **content: Any) -> dict:
        """A customer message in the account's log (what sync_msg will return)."""
        open_kfid = open_kfid or self.open_kfid
        self._seq += 1
        msg = {
            "msgid": f"sim{self._seq:08d}{secrets.token_hex(4)}",
            "open_kfid": open_kfid,
            "external_userid": user,
            "send_time": int(time.time()),
            "origin": 3,
            "msgtype": msgtype,
            msgtype: content,
        }
        session = self.session(user, open_kfid)
        if session.state == 4:
            session.state, session.servicer = 0, ""
        session.last_customer_at, session.sent_since = time.time(), 0
        self.log[open_kfid].append(msg)
        return msg

    def add_event(self, user: str, event: dict[str, Any], open_kfid: str | None = None) -> dict:
        open_kfid = open_kfid or self.open_kfid
        self._seq += 1
        msg = {
            "msgid": f"simevent{self._seq:08d}",
            "send_time": int(time.time()),
            "origin": 4,
            "msgtype": "event",
            "event": {"open_kfid": open_kfid, "external_userid": user, **event},
        }
        self.log[open_kfid].append(msg)
        return msg

    async def say(self, user: str, text: str, **kw: Any) -> int:
        """The customer types `text`: it enters the log and the bridge gets a callback."""
        self.add_message(user, "text", content=text, **kw)
        return await self.notify(kw.get("open_kfid"))

    async def click(self, user: str, menu_id: str, content: str) -> int:
        self.add_message(user, "text", content=content, menu_id=menu_id)
        return await self.notify()

    def callback_request(
        self, open_kfid: str | None = None, *, timestamp: int | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The query and body of a kf_msg_or_event callback, encrypted and signed."""
        open_kfid = open_kfid or self.open_kfid
        sync_token = "ENC" + secrets.token_hex(12)
        self._sync_tokens[sync_token] = time.time() + 600
        stamp = int(time.time()) if timestamp is None else timestamp
        inner = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName><CreateTime>{stamp}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
            f"<Token><![CDATA[{sync_token}]]></Token><OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
        )
        encrypted = self.crypt.encrypt(inner)
        nonce = nonce or str(secrets.randbelow(10**10))
        query = {
            "msg_signature": signature(self.token, str(stamp), nonce, encrypted),
            "timestamp": str(stamp),
            "nonce": nonce,
        }
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>"
        ).encode()
        return query, body

    async def notify(self, open_kfid: str | None = None) -> int:
        """POST a callback to the bridge (企业微信 retries a failed one; so do we, 3 times)."""
        for _ in range(3):
            query, body = self.callback_request(open_kfid)
            try:
                async with self._http.post(self.callback_url, params=query, data=body) as response:  # type: ignore[union-attr]
                    text = await response.text()
                    self.callbacks.append((response.status, text))
                    if response.status == 200:
                        return 200
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        return 0

    def expire_access_tokens(self) -> None:
        """Every access token given out so far is expired now (the next call gets 42001)."""
        for key in self._tokens:
            self._tokens[key] = 0.0

    def texts_to(self, user: str) -> list[str]:
        """What the customer saw, in order: a text's content, a menu's head and its items."""
        shown = []
        for body in self.sent[user]:
            if body["msgtype"] == "text":
                shown.append(body["text"]["content"])
            elif body["msgtype"] == "msgmenu":
                items = " / ".join(i["click"]["content"] for i in body["msgmenu"]["list"])
                shown.append(f"{body['msgmenu'].get('head_content', '')} [{items}]")
        return shown

    # ---- the API ---------------------------------------------------------------------------

    def _error(self, path: str) -> dict[str, Any] | None:
        queued = self.fail_next.get(path)
        if queued:
            code = queued.pop(0)
            return {"errcode": code, "errmsg": f"simulated errcode {code}"}
        return None

    def _check_token(self, request: web.Request) -> dict[str, Any] | None:
        token = request.query.get("access_token", "")
        if token not in self._tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if self._tokens[token] < time.time():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    async def _gettoken(self, request: web.Request) -> web.Response:
        self.calls["gettoken"] += 1
        if request.query.get("corpid") != self.corp_id or request.query.get("corpsecret") != self.secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        token = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode()
        self._tokens[token] = time.time() + self.token_ttl
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_ttl})

    async def _api(self, request: web.Request, path: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        self.calls[path] += 1
        refused = self._check_token(request) or self._error(path)
        body = await request.json() if request.can_read_body else {}
        return refused, body

    async def _sync_msg(self, request: web.Request) -> web.Response:
        refused, body = await self._api(request, "sync_msg")
        if refused:
            return web.json_response(refused)
        token = body.get("token")
        if token is not None and self._sync_tokens.get(token, 0) < time.time():
            return web.json_response({"errcode": 95007, "errmsg": "invalid msg token"})
        log = self.log[body.get("open_kfid", "")]
        cursor = body.get("cursor") or ""
        start = int(base64.b64decode(cursor).decode()[2:]) if cursor else 0
        self.sync_starts.append(start)
        limit = max(1, min(int(body.get("limit") or 1000), 1000))
        page = log[start : start + limit]
        end = start + len(page)
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": base64.b64encode(f"c:{end}".encode()).decode(),
                "has_more": 1 if end < len(log) else 0,
                "msg_list": page,
            }
        )

    async def _send_msg(self, request: web.Request) -> web.Response:
        refused, body = await self._api(request, "send_msg")
        if refused:
            self.refused.append((refused["errcode"], body))
            return web.json_response(refused)
        user, open_kfid = body.get("touser", ""), body.get("open_kfid", "")
        session = self.sessions.get((open_kfid, user))
        error = None
        if session is None:
            error = (95000, "unknown external_userid")
        elif session.state not in (0, 1):
            error = (95018, "the session state does not allow API messages")
        elif time.time() - session.last_customer_at > WINDOW_SECONDS:
            error = (45015, "response out of time limit")
        elif session.sent_since >= PER_MESSAGE:
            error = (45047, "out of response count limit")
        elif body.get("msgtype") not in ("text", "msgmenu", "image", "link"):
            error = (40008, "invalid message type")
        if error:
            self.refused.append((error[0], body))
            return web.json_response({"errcode": error[0], "errmsg": error[1]})
        if session.state == 0:
            session.state = 1
        session.sent_since += 1
        self.sent[user].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": body.get("msgid") or secrets.token_hex(8)})

    async def _media_get(self, request: web.Request) -> web.Response:
        self.calls["media/get"] += 1
        refused = self._check_token(request) or self._error("media/get")
        if refused:
            return web.json_response(refused)
        found = self.media.get(request.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=found[1], content_type=found[0])

    async def _state_get(self, request: web.Request) -> web.Response:
        refused, body = await self._api(request, "service_state/get")
        if refused:
            return web.json_response(refused)
        session = self.session(body.get("external_userid", ""), body.get("open_kfid"))
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "service_state": session.state, "servicer_userid": session.servicer}
        )

    async def _state_trans(self, request: web.Request) -> web.Response:
        refused, body = await self._api(request, "service_state/trans")
        if refused:
            return web.json_response(refused)
        session = self.session(body.get("external_userid", ""), body.get("open_kfid"))
        target = body.get("service_state")
        if target not in TRANSITIONS.get(session.state, set()):
            return web.json_response({"errcode": 95016, "errmsg": "invalid service_state transition"})
        if target == 3 and not body.get("servicer_userid"):
            return web.json_response({"errcode": 95014, "errmsg": "servicer_userid required"})
        session.state, session.servicer = target, body.get("servicer_userid", "")
        return web.json_response({"errcode": 0, "errmsg": "ok", "msg_code": secrets.token_hex(8)})
