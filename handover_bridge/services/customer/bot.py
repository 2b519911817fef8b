"""Talking to Rasa: the REST channel for customer turns, the HTTP API for pause/resume and
trigger_intent, and the health endpoints of Rasa and the action server. One shared
aiohttp.ClientSession (connection pooling, opened on first use inside the running loop); every
call has a total time limit. aiohttp rather than httpx: on a bot turn httpx's request machinery
cost the bridge more CPU than everything else of the turn together."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

import aiohttp


def as_text(text: str) -> str:
    """Customer text as Rasa must read it: as text, never as an intent.

    Rasa 3.6 reads a message whose text, stripped of whitespace, starts with "/" as
    `/intent@confidence{"entity": …}` and skips the NLU (YAMLStoryReader.unpack_regex_message,
    run by RegexMessageHandler after the NLU pipeline, so on the text as our normaliser left it:
    NFKC makes "／" a "/", and invisible characters are dropped). So the leading run of
    whitespace, invisible (format) characters and slashes ("/", "／") is left out of what Rasa
    gets when it has a slash: "/退款" → "退款", '/order_status{"order_id": "1"}' →
    'order_status{"order_id": "1"}'. The stored message keeps the text exactly as typed. Text
    that is nothing but slashes and spaces goes as it is: Rasa's pattern needs an intent name,
    and no intent is named with slashes alone."""
    cut = 0
    slash = False
    for index, ch in enumerate(text):
        if ch in "/\uff0f":
            slash = True
        elif not (ch.isspace() or unicodedata.category(ch) == "Cf"):
            cut = index
            break
    else:
        return text
    return text[cut:] if slash else text


class BotUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class BotReply:
    text: str
    payload: dict[str, Any] | None


def parse_replies(items: Any) -> list[BotReply]:
    if not isinstance(items, list):
        raise BotUnavailable(f"unexpected reply from Rasa: {type(items).__name__}")
    replies = []
    for item in items:
        if not isinstance(item, dict):
            continue
        text = item.get("text") if isinstance(item.get("text"), str) else ""
        payload = {
            key: item[key]
            for key in ("buttons", "custom", "image", "attachment", "quick_replies")
            if item.get(key) not in (None, [], {})
        }
        if text or payload:
            replies.append(BotReply(text, payload or None))
    return replies


class RasaClient:
    def __init__(self, rasa_url: str, action_server_url: str, timeout: float, token: str = ""):
        self.rasa_url = rasa_url.rstrip("/")
        self.action_server_url = action_server_url.rstrip("/")
        self.timeout = timeout
        self._params = {"token": token} if token else {}
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=60),
            )
        return self._session

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[BotReply]:
        """One customer turn through the REST channel; the bot's replies."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        data = await self._call("POST", f"{self.rasa_url}/webhooks/rest/webhook", json=body)
        return parse_replies(data)

    async def resume(self, conversation_id: str) -> None:
        """Tell Rasa the conversation is back (ConversationResumed)."""
        await self._call(
            "POST",
            f"{self.rasa_url}/conversations/{conversation_id}/tracker/events",
            json={"event": "resume"},
            params=self._params,
        )

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[BotReply] | None:
        """Make the bot speak first; None when the model does not know the intent."""
        url = f"{self.rasa_url}/conversations/{conversation_id}/trigger_intent"
        try:
            data = await self._call(
                "POST", url, json={"name": intent}, params={"output_channel": "rest", **self._params}
            )
        except _NotFound:
            return None
        return parse_replies((data or {}).get("messages", []) if isinstance(data, dict) else [])

    async def rasa_status(self) -> dict[str, Any]:
        return await self._probe(f"{self.rasa_url}/status", params=self._params)

    async def action_server_health(self) -> dict[str, Any]:
        return await self._probe(f"{self.action_server_url}/health")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(self.timeout):
                async with self.session.request(method, url, **kwargs) as response:
                    status = response.status
                    body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise BotUnavailable(f"{type(error).__name__}: {error}") from None
        if status == 404:
            raise _NotFound(url)
        if status >= 400:
            raise BotUnavailable(f"Rasa answered {status}")
        try:
            return json.loads(body)
        except ValueError:
            raise BotUnavailable("Rasa answered with something that is not JSON") from None

    async def _probe(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            async with self.session.get(url, params=params, timeout=aiohttp.ClientTimeout(total=2.0)) as response:
                ok = response.status == 200
                detail: dict[str, Any] = {"status": "up" if ok else "down", "http_status": response.status}
        except (aiohttp.ClientError, TimeoutError) as error:
            detail = {"status": "down", "error": type(error).__name__}
        detail["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return detail


class _NotFound(BotUnavailable):
    pass
