"""Talking to Rasa: the REST channel for customer turns, the HTTP API for pause/resume and
trigger_intent, and the health endpoints of Rasa and the action server, on one Rasa node or
several (each conversation on one node at a time: RasaClient, rasa_nodes.py). One shared
aiohttp.ClientSession (connection pooling, opened on first use inside the running loop); every
call has a total time limit. aiohttp rather than httpx: on a bot turn httpx's request machinery
cost the bridge more CPU than everything else of the turn together."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from ...domain import rasa_routing
from ..infra.metrics import Metrics
from .rasa_nodes import DROPPED, HTTP_ERROR, OK, TIMEOUT, UNREACHABLE, RasaNodes

# how long a connection attempt to a node may take before the call moves on to the next node
CONNECT_SECONDS = 2.0
# the message metadata key that marks a customer turn in Rasa's tracker (the message's seq)
TURN_KEY = "jieli_turn"


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


def replies_of_turn(tracker: Any, turn: str) -> list[BotReply] | None:
    """The bot's replies to the customer turn marked `turn` (TURN_KEY) as a tracker holds them:
    its bot events up to the next customer message, shaped as the REST channel sends them. None
    when the tracker has no such turn."""
    events = tracker.get("events") if isinstance(tracker, dict) else None
    if not isinstance(events, list):
        raise BotUnavailable("unexpected tracker from Rasa")
    start = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, dict) and event.get("event") == "user":
            metadata = event.get("metadata")
            if isinstance(metadata, dict) and metadata.get(TURN_KEY) == turn:
                start = index
                break
    if start is None:
        return None
    items = []
    for event in events[start + 1 :]:
        if not isinstance(event, dict) or event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            items.append({**data, "text": event.get("text")})
    return parse_replies(items)


class RasaClient:
    """Rasa's REST channel and HTTP API on one or several nodes (JIELI_RASA_URL, a comma list).

    Every call about a conversation goes to the node its ranking puts first among those up
    (rasa_nodes.RasaNodes, domain/rasa_routing.py). A call moves on to the next node only when the
    first surely did not act on it: the connection was refused or could not be made. When a node's
    connection drops in the middle of a customer turn (the node died: a live Rasa does not drop a
    request it is working on), the shared tracker, read from the next node, says whether the dead
    node finished the turn: then its replies are taken from there, otherwise the turn goes to the
    next node. A turn that got no answer in time is not sent again (the node may still answer):
    the caller's BotUnavailable path says sorry. So a turn is never answered twice."""

    def __init__(
        self,
        rasa_url: str | Sequence[str],
        action_server_url: str,
        timeout: float,
        token: str = "",
        *,
        metrics: Metrics | None = None,
        first_wait: float = rasa_routing.FIRST_WAIT,
    ):
        urls = [rasa_url] if isinstance(rasa_url, str) else list(rasa_url)
        self.rasa_urls = tuple(url.rstrip("/") for url in urls)
        self.action_server_url = action_server_url.rstrip("/")
        self.timeout = timeout
        # a refused or unanswered connection attempt is known quickly: the call moves on
        self.connect_timeout = min(CONNECT_SECONDS, timeout)
        self._params = {"token": token} if token else {}
        self._session: aiohttp.ClientSession | None = None
        self.metrics = metrics
        self.nodes = RasaNodes(self.rasa_urls, self._node_answers, first_wait=first_wait, metrics=metrics)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.connect_timeout),
                connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=60),
            )
        return self._session

    async def send(
        self,
        conversation_id: str,
        text: str,
        metadata: dict[str, Any],
        turn: int | None = None,
        *,
        check_first: bool = False,
    ) -> list[BotReply]:
        """One customer turn through the REST channel; the bot's replies. `turn` (the customer
        message's seq) marks the turn in the tracker (metadata TURN_KEY): with it, a turn whose node
        died under it is neither lost nor answered twice. `check_first` (a turn taken over from a
        bridge process that died): when the tracker already has the turn, its replies come from
        there and the turn is not sent again."""
        order = self.nodes.order(conversation_id)
        if turn is not None:
            metadata = {**metadata, TURN_KEY: str(turn)}
            if check_first and (finished := await self._finished_turn(conversation_id, str(turn), order)) is not None:
                return finished
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        for index, node in enumerate(order):
            try:
                data = await self._call(node, "POST", "/webhooks/rest/webhook", json=body)
            except _NotSent:
                continue
            except _Dropped as error:
                if turn is None:
                    raise BotUnavailable(str(error)) from None
                finished = await self._finished_turn(conversation_id, str(turn), order[index + 1 :])
                if finished is not None:
                    return finished
                continue  # the dead node did not finish it: the next node does
            return parse_replies(data)
        raise BotUnavailable(f"no Rasa node answered ({len(order)} tried)")

    async def resume(self, conversation_id: str) -> None:
        """Tell Rasa the conversation is back (ConversationResumed). Resuming twice changes
        nothing, so any node that may not have got it is followed by the next."""
        order = self.nodes.order(conversation_id)
        for node in order:
            try:
                await self._call(
                    node,
                    "POST",
                    f"/conversations/{conversation_id}/tracker/events",
                    json={"event": "resume"},
                    params=self._params,
                )
                return
            except (_NotSent, _Dropped):
                continue
        raise BotUnavailable(f"no Rasa node answered ({len(order)} tried)")

    async def trigger_intent(self, conversation_id: str, intent: str) -> list[BotReply] | None:
        """Make the bot speak first; None when the model does not know the intent."""
        path = f"/conversations/{conversation_id}/trigger_intent"
        order = self.nodes.order(conversation_id)
        for node in order:
            try:
                data = await self._call(
                    node, "POST", path, json={"name": intent}, params={"output_channel": "rest", **self._params}
                )
            except _NotFound:
                return None
            except _NotSent:
                continue
            except _Dropped as error:  # it may have spoken: the caller asks in its own words instead
                raise BotUnavailable(str(error)) from None
            return parse_replies((data or {}).get("messages", []) if isinstance(data, dict) else [])
        raise BotUnavailable(f"no Rasa node answered ({len(order)} tried)")

    async def rasa_status(self) -> dict[str, Any]:
        """/healthz: every node's /status now, and what the routing believes of it. "up" when
        every node answers, "degraded" when some do, "down" when none does."""
        probes = await asyncio.gather(*(self._probe(f"{url}/status", params=self._params) for url in self.rasa_urls))
        nodes = [
            {"url": self.nodes.labels[url], **probe, **self.nodes.snapshot(url)}
            for url, probe in zip(self.rasa_urls, probes, strict=True)
        ]
        up = sum(node["status"] == "up" for node in nodes)
        detail: dict[str, Any] = {
            "status": "up" if up == len(nodes) else "degraded" if up else "down",
            "nodes_up": up,
            "nodes": nodes,
        }
        if len(nodes) == 1:  # one node: its fields where they always were
            detail.update({k: v for k, v in probes[0].items() if k != "status"})
        return detail

    async def action_server_health(self) -> dict[str, Any]:
        return await self._probe(f"{self.action_server_url}/health")

    async def close(self) -> None:
        await self.nodes.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _finished_turn(self, conversation_id: str, turn: str, nodes: Sequence[str]) -> list[BotReply] | None:
        """Whether an interrupted turn (its node died under it, or the bridge process that sent
        it) was finished, from the tracker the nodes share (a node saves the whole turn in one
        transaction, before it answers): the replies it gave then, or None when the turn is not in
        the tracker. BotUnavailable when no node can tell: the turn is then not sent again."""
        for node in nodes:
            try:
                tracker = await self._call(
                    node, "GET", f"/conversations/{conversation_id}/tracker", params=self._params
                )
            except (_NotSent, _Dropped):
                continue
            replies = replies_of_turn(tracker, turn)
            if self.metrics is not None:
                self.metrics.rasa_interrupted_turns.labels("finished" if replies is not None else "sent_again").inc()
            return replies
        if self.metrics is not None:
            self.metrics.rasa_interrupted_turns.labels("unknown").inc()
        raise BotUnavailable("no Rasa node could say whether an interrupted turn was finished")

    async def _call(self, node: str, method: str, path: str, **kwargs: Any) -> Any:
        """One request to one node. _NotSent: the node surely did not get it (refused, no
        connection); _Dropped: the connection broke before the answer; BotUnavailable: no answer
        in time, or an error status (the node answered: it stays up)."""
        try:
            async with asyncio.timeout(self.timeout):
                async with self.session.request(method, node + path, **kwargs) as response:
                    status = response.status
                    body = await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            self.nodes.record(node, UNREACHABLE, type(error).__name__)
            raise _NotSent(f"{type(error).__name__}: {error}") from None
        except TimeoutError as error:  # asked, not answered in time: it may still act on it
            self.nodes.record(node, TIMEOUT, type(error).__name__)
            raise BotUnavailable(f"{type(error).__name__}: no answer in {self.timeout:g} s") from None
        except aiohttp.ClientError as error:  # the connection broke: reset, closed, cut short
            self.nodes.record(node, DROPPED, type(error).__name__)
            raise _Dropped(f"{type(error).__name__}: {error}") from None
        self.nodes.record(node, OK if status < 400 else HTTP_ERROR)
        if status == 404:
            raise _NotFound(path)
        if status >= 400:
            raise BotUnavailable(f"Rasa answered {status}")
        try:
            return json.loads(body)
        except ValueError:
            raise BotUnavailable("Rasa answered with something that is not JSON") from None

    async def _node_answers(self, node: str) -> bool:
        """The background probe of a downed node (rasa_nodes.RasaNodes): its /status answers 200."""
        return (await self._probe(f"{node}/status", params=self._params))["status"] == "up"

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


class _NotSent(BotUnavailable):
    """The node surely did not get the request."""


class _Dropped(BotUnavailable):
    """The connection broke after the request may have reached the node."""


class _NotFound(BotUnavailable):
    pass
