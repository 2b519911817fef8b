"""The 企业微信 微信客服 API the bridge calls (aiohttp): gettoken, kf/sync_msg, kf/send_msg,
kf/service_state/get and /trans. The access token is cached per process until shortly before it
expires; an answer that says it is invalid or expired (40014, 42001) fetches a new one and the
call is made once more. Network errors and 5xx are retried a few times with a short back-off;
any other errcode is raised as WeChatError for the caller to handle."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

log = logging.getLogger("handover_bridge.wechat")

TOKEN_ERRCODES = frozenset({40014, 42001})  # invalid / expired access_token: refresh, try once more
BUSY_ERRCODES = frozenset({-1})  # 系统繁忙: try again
# WeChat's limits on what a business may send (the customer must write again): the reply window
# is over, or the messages allowed per customer message are used up.
WINDOW_ERRCODE = 45015
COUNT_ERRCODE = 45047
LIMIT_ERRCODES = frozenset({WINDOW_ERRCODE, COUNT_ERRCODE})
SYNC_TOKEN_ERRCODE = 95007  # kf/sync_msg: the callback's token is invalid or expired
RETRIES = 3


class WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str, path: str = ""):
        super().__init__(f"{path}: errcode {errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class KfClient:
    def __init__(self, base_url: str, corp_id: str, secret: str, *, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()
        self.token_fetches = 0  # how many times this process asked for an access token

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def access_token(self, *, refresh: bool = False, stale: str | None = None) -> str:
        async with self._token_lock:
            if refresh and self._token is not None and self._token != stale:
                return self._token  # another call refreshed it meanwhile
            if not refresh and self._token and time.monotonic() < self._token_until:
                return self._token
            data = await self._request(
                "GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
            )
            if data.get("errcode", 0) != 0:
                raise WeChatError(int(data["errcode"]), str(data.get("errmsg", "")), "gettoken")
            self.token_fetches += 1
            self._token = str(data["access_token"])
            expires = float(data.get("expires_in") or 7200)
            self._token_until = time.monotonic() + max(1.0, expires - min(300.0, expires / 10))
            return self._token

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        delay = 0.1
        for attempt in range(RETRIES):
            try:
                async with self._http().request(method, self.base_url + path, **kwargs) as response:
                    if response.status >= 500:
                        raise aiohttp.ClientResponseError(
                            response.request_info, (), status=response.status, message="server error"
                        )
                    data = await response.json(content_type=None)
                if not isinstance(data, dict):
                    raise WeChatError(-2, "the answer is not a JSON object", path)
                if data.get("errcode") in BUSY_ERRCODES and attempt < RETRIES - 1:
                    await asyncio.sleep(delay)
                    delay *= 2
                    continue
                return data
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                if attempt == RETRIES - 1:
                    raise WeChatError(-3, f"network: {error}", path) from error
                log.warning("wechat %s failed (%s); retrying", path, error)
                await asyncio.sleep(delay)
                delay *= 2
        raise WeChatError(-1, "system busy", path)

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to an API path with the access token; errcode ≠ 0 → WeChatError."""
        token = await self.access_token()
        data = await self._request("POST", path, params={"access_token": token}, json=body)
        if data.get("errcode") in TOKEN_ERRCODES:
            log.info("wechat access token refused (errcode %s): fetching a new one", data.get("errcode"))
            token = await self.access_token(refresh=True, stale=token)
            data = await self._request("POST", path, params={"access_token": token}, json=body)
        if data.get("errcode", 0) != 0:
            raise WeChatError(int(data["errcode"]), str(data.get("errmsg", "")), path)
        return data

    async def get_media(self, media_id: str, max_bytes: int) -> tuple[str, bytes]:
        """A customer's media (media/get): its content type and bytes (errcode → WeChatError)."""
        for attempt in (1, 2):
            token = await self.access_token()
            async with self._http().get(
                self.base_url + "/cgi-bin/media/get", params={"access_token": token, "media_id": media_id}
            ) as response:
                kind = response.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
                if kind in ("application/json", "text/plain"):
                    data = await response.json(content_type=None)
                    code = int(data.get("errcode", -2))
                    if code in TOKEN_ERRCODES and attempt == 1:
                        await self.access_token(refresh=True, stale=token)
                        continue
                    raise WeChatError(code, str(data.get("errmsg", "")), "media/get")
                content = await response.content.read(max_bytes + 1)
                if len(content) > max_bytes:
                    raise WeChatError(-4, "the media is too large", "media/get")
                return kind, content
        raise WeChatError(-1, "no access token", "media/get")

    async def sync_msg(self, open_kfid: str, cursor: str, token: str | None, limit: int = 1000) -> dict[str, Any]:
        body: dict[str, Any] = {"open_kfid": open_kfid, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        if token:
            body["token"] = token
        return await self.call("/cgi-bin/kf/sync_msg", body)

    async def send_msg(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("/cgi-bin/kf/send_msg", body)

    async def service_state(self, open_kfid: str, external_userid: str) -> int:
        data = await self.call(
            "/cgi-bin/kf/service_state/get", {"open_kfid": open_kfid, "external_userid": external_userid}
        )
        return int(data.get("service_state", 0))

    async def trans_state(self, open_kfid: str, external_userid: str, state: int, servicer: str = "") -> None:
        body: dict[str, Any] = {"open_kfid": open_kfid, "external_userid": external_userid, "service_state": state}
        if servicer:
            body["servicer_userid"] = servicer
        await self.call("/cgi-bin/kf/service_state/trans", body)
