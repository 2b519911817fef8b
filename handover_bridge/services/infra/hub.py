"""This process's sockets, by topic. Each socket has a bounded send queue: a slow client fills
its own queue, never anyone else's; when it overflows the socket is dropped (the client
reconnects and resumes from its last seq)."""

from __future__ import annotations

import asyncio
from typing import Any


class Subscriber:
    __slots__ = ("role", "queue", "overflow", "topics")

    def __init__(self, role: str, maxsize: int):
        self.role = role  # "customer" or "agent"
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)
        self.overflow = asyncio.Event()
        self.topics: set[str] = set()

    def offer(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "typing" and frame.get("sender") == self.role:
            return  # nobody needs to see their own typing
        if self.overflow.is_set():
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflow.set()


class Hub:
    def __init__(self) -> None:
        self._by_topic: dict[str, set[Subscriber]] = {}

    def subscribe(self, subscriber: Subscriber, *topics: str) -> None:
        for topic in topics:
            subscriber.topics.add(topic)
            self._by_topic.setdefault(topic, set()).add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        for topic in subscriber.topics:
            members = self._by_topic.get(topic)
            if members is not None:
                members.discard(subscriber)
                if not members:
                    del self._by_topic[topic]
        subscriber.topics.clear()

    def deliver(self, topics: tuple[str, ...] | list[str], frame: dict[str, Any]) -> None:
        if len(topics) == 1:
            for subscriber in tuple(self._by_topic.get(topics[0], ())):
                subscriber.offer(frame)
            return
        seen: set[Subscriber] = set()
        for topic in topics:
            for subscriber in tuple(self._by_topic.get(topic, ())):
                if subscriber not in seen:
                    seen.add(subscriber)
                    subscriber.offer(frame)

    def subscriber_count(self) -> int:
        return len({s for members in self._by_topic.values() for s in members})
