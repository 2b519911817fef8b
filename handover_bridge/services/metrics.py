"""Prometheus metrics, in a registry of the app's own (several apps may live in one test run)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_SECONDS_LONG = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
_SECONDS_SHORT = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.messages = Counter("jieli_messages", "Messages stored, by sender", ["sender"], registry=r)
        self.handovers = Counter("jieli_handovers", "Handovers to a person, by reason", ["reason"],
                                 registry=r)
        self.queue_length = Gauge("jieli_queue_length", "Conversations waiting for an agent", registry=r)
        self.agents_online = Gauge("jieli_agents_online", "Agents online", registry=r)
        self.wait_seconds = Histogram("jieli_wait_seconds", "Queued → accepted", buckets=_SECONDS_LONG,
                                      registry=r)
        self.handling_seconds = Histogram("jieli_handling_seconds", "Accepted → closed",
                                          buckets=_SECONDS_LONG, registry=r)
        self.bot_latency = Histogram("jieli_bot_latency_seconds", "Rasa REST round trip",
                                     buckets=_SECONDS_SHORT, registry=r)
        self.bot_failures = Counter("jieli_bot_failures", "Rasa calls that failed or timed out",
                                    registry=r)
        self.sockets = Gauge("jieli_websockets", "Open WebSockets in this process", ["role"], registry=r)
        self.rate_limited = Counter("jieli_rate_limited", "Requests refused by a rate limit", ["scope"],
                                    registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
