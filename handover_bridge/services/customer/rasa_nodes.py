"""The Rasa nodes one bridge process talks to: which are up, the order a conversation's call
tries them in (domain/rasa_routing.py), the background probe that brings a downed node back, and
each node's figures for /healthz and /metrics.

A node is marked down when a call to it fails without an answer (refused, unreachable, the
connection dropped, no answer in time); its conversations go to the next node of their ranking
meanwhile. A background task asks a downed node's /status after a back-off (1 s, doubling, at most
10 s) and marks it up when it answers, and its conversations return to it: the nodes share the
tracker store, so nothing is lost either way. A node that answers a real call is up again too."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ...domain import rasa_routing
from ...domain.rasa_routing import NodeHealth
from ..infra.metrics import Metrics

log = logging.getLogger("handover_bridge.rasa")

# what a call to a node can come to (the label of jieli_rasa_node_requests_total)
OK, HTTP_ERROR = "ok", "http_error"  # the node answered
UNREACHABLE, DROPPED, TIMEOUT = "unreachable", "dropped", "timeout"  # it did not: marked down
OUTCOMES = (OK, HTTP_ERROR, UNREACHABLE, DROPPED, TIMEOUT)
ANSWERED = frozenset({OK, HTTP_ERROR})


class RasaNodes:
    def __init__(
        self,
        urls: Sequence[str],
        probe: Callable[[str], Awaitable[bool]],
        *,
        first_wait: float = rasa_routing.FIRST_WAIT,
        longest_wait: float = rasa_routing.LONGEST_WAIT,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not urls:
            raise ValueError("at least one Rasa node")
        self.urls = tuple(urls)
        self._probe = probe
        self.first_wait = first_wait
        self.longest_wait = max(first_wait, longest_wait)
        self.metrics = metrics
        self.clock = clock
        self.health = {url: NodeHealth() for url in self.urls}
        self.counts = {url: Counter() for url in self.urls}
        self.labels = {url: rasa_routing.label(url) for url in self.urls}
        self._prober: asyncio.Task | None = None
        if metrics is not None:
            for url in self.urls:
                metrics.rasa_node_up.labels(self.labels[url]).set(1)

    def order(self, conversation_id: str) -> list[str]:
        """The nodes a call about this conversation tries, in turn."""
        return rasa_routing.route(conversation_id, self.urls, self.down())

    def down(self) -> frozenset[str]:
        return frozenset(url for url, health in self.health.items() if not health.up)

    def is_up(self, url: str) -> bool:
        return self.health[url].up

    def record(self, url: str, outcome: str, error: str = "") -> None:
        """Count a call's outcome; an answer marks the node up, anything else marks it down."""
        self.counts[url][outcome] += 1
        if self.metrics is not None:
            self.metrics.rasa_node_requests.labels(self.labels[url], outcome).inc()
        if outcome in ANSWERED:
            self._mark_up(url, "answered a call")
        else:
            self._mark_down(url, f"{outcome}: {error}" if error else outcome)

    def snapshot(self, url: str) -> dict[str, Any]:
        """The routing side of a node for /healthz."""
        health = self.health[url]
        detail: dict[str, Any] = {
            "routing": "up" if health.up else "down",
            "requests": {outcome: self.counts[url][outcome] for outcome in OUTCOMES},
        }
        if not health.up:
            detail["failures_in_a_row"] = health.failures
            detail["next_probe_in_s"] = round(max(0.0, health.retry_at - self.clock()), 1)
        return detail

    async def close(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.gather(self._prober, return_exceptions=True)
            self._prober = None

    def _mark_up(self, url: str, why: str) -> None:
        if self.health[url].up:
            return
        self.health[url] = self.health[url].answered()
        if self.metrics is not None:
            self.metrics.rasa_node_up.labels(self.labels[url]).set(1)
        log.warning("Rasa node up again: its conversations return to it", extra={"fields": self._fields(url, why)})

    def _mark_down(self, url: str, why: str) -> None:
        was_up = self.health[url].up
        self.health[url] = self.health[url].failed(self.clock(), self.first_wait, self.longest_wait)
        if self.metrics is not None:
            self.metrics.rasa_node_up.labels(self.labels[url]).set(0)
        if was_up:
            log.warning(
                "Rasa node down: its conversations go to the next node", extra={"fields": self._fields(url, why)}
            )
        if self._prober is None or self._prober.done():
            self._prober = asyncio.get_running_loop().create_task(self._probe_downed())

    def _fields(self, url: str, why: str) -> dict[str, Any]:
        return {"node": self.labels[url], "why": why, "nodes_up": len(self.urls) - len(self.down())}

    async def _probe_downed(self) -> None:
        """Ask each downed node's /status when its wait is over, until every node is up."""
        while down := [url for url in self.urls if not self.health[url].up]:
            now = self.clock()
            due = [url for url in down if self.health[url].due(now)]
            if not due:
                await asyncio.sleep(max(0.01, min(self.health[url].retry_at for url in down) - now))
                continue
            answers = await asyncio.gather(*(self._probe(url) for url in due), return_exceptions=True)
            for url, answer in zip(due, answers, strict=True):
                if self.health[url].up:  # a real call brought it back meanwhile
                    continue
                if answer is True:
                    self._mark_up(url, "answered the probe")
                else:
                    self.health[url] = self.health[url].failed(self.clock(), self.first_wait, self.longest_wait)
