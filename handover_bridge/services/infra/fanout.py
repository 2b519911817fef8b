"""Fan-out of events to sockets, after the transaction that produced them has committed.

`LocalFanout` serves one process. `RedisFanout` (JIELI_REDIS_URL) also publishes every event on
one Redis pub/sub channel; every bridge process delivers what it hears to its own sockets. A
process delivers its own events directly (no round trip) and skips their echo.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable

from .frames import Event
from .hub import Hub

log = logging.getLogger("handover_bridge.fanout")
CHANNEL = "jieli:bridge:events"


class Fanout(ABC):
    def __init__(self, hub: Hub):
        self.hub = hub

    async def start(self) -> None:
        """Begin receiving events from other processes (if any)."""

    @abstractmethod
    async def publish(self, events: Iterable[Event]) -> None:
        """Deliver events to every process's sockets."""

    async def close(self) -> None:
        """Stop receiving."""


class LocalFanout(Fanout):
    async def publish(self, events: Iterable[Event]) -> None:
        for topics, frame in events:
            self.hub.deliver(topics, frame)


class RedisFanout(Fanout):
    def __init__(self, hub: Hub, url: str, channel: str = CHANNEL):
        super().__init__(hub)
        import redis.asyncio as redis

        self.redis = redis.from_url(url)
        self.channel = channel
        self.origin = secrets.token_hex(8)
        self._task: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-fanout")
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        except asyncio.TimeoutError:
            log.error("redis fan-out: not subscribed after 10 s; continuing, will keep trying")

    async def publish(self, events: Iterable[Event]) -> None:
        events = list(events)
        if not events:
            return
        for topics, frame in events:
            self.hub.deliver(topics, frame)
        payload = json.dumps(
            {"o": self.origin, "e": [[list(t), f] for t, f in events]}, ensure_ascii=False, separators=(",", ":")
        )
        try:
            await self.redis.publish(self.channel, payload)
        except Exception as error:  # the store has it; other processes' clients resume by seq
            log.error("redis fan-out: publish failed: %s", error)

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                delay = 0.2
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    data = json.loads(message["data"])
                    if data.get("o") == self.origin:
                        continue
                    for topics, frame in data["e"]:
                        self.hub.deliver(topics, frame)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.error("redis fan-out: subscription lost (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self.redis.aclose()
