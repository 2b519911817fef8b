"""Prometheus metrics, in a registry of the app's own (several apps may live in one test run), and
what GET /metrics serves: who may read them (MetricsAccess) and the store-derived figures, read at
most every JIELI_METRICS_CACHE_SECONDS whatever the scrape rate (MetricsReader)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ...domain.errors import Forbidden, Unauthorized
from .security import same

log = logging.getLogger("handover_bridge.metrics")

_SECONDS_LONG = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
_SECONDS_SHORT = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.messages = Counter("jieli_messages", "Messages stored, by sender", ["sender"], registry=r)
        self.handovers = Counter("jieli_handovers", "Handovers to a person, by reason", ["reason"], registry=r)
        self.queue_length = Gauge("jieli_queue_length", "Conversations waiting for an agent", registry=r)
        self.agents_online = Gauge("jieli_agents_online", "Agents online", registry=r)
        self.wait_seconds = Histogram("jieli_wait_seconds", "Queued → accepted", buckets=_SECONDS_LONG, registry=r)
        self.handling_seconds = Histogram(
            "jieli_handling_seconds", "Accepted → closed", buckets=_SECONDS_LONG, registry=r
        )
        self.bot_latency = Histogram(
            "jieli_bot_latency_seconds", "Rasa REST round trip", buckets=_SECONDS_SHORT, registry=r
        )
        self.bot_failures = Counter("jieli_bot_failures", "Rasa calls that failed or timed out", registry=r)
        # Several Rasa nodes (JIELI_RASA_URL, services/customer/rasa_nodes.py): every request to
        # each, by outcome (ok, http_error: it answered; unreachable, dropped, timeout: it did not)
        self.rasa_node_requests = Counter(
            "jieli_rasa_node_requests", "Requests to each Rasa node, by outcome", ["node", "outcome"], registry=r
        )
        self.rasa_node_up = Gauge(
            "jieli_rasa_node_up",
            "1 while conversations go to the Rasa node, 0 while it is marked down",
            ["node"],
            registry=r,
        )
        self.rasa_interrupted_turns = Counter(
            "jieli_rasa_interrupted_turns",
            "Customer turns interrupted (their Rasa node dropped the connection, or the bridge process that "
            "sent them died): finished (replies read from the shared tracker), sent_again, unknown (no node "
            "could tell: not sent again)",
            ["result"],
            registry=r,
        )
        self.sockets = Gauge("jieli_websockets", "Open WebSockets in this process", ["role"], registry=r)
        self.rate_limited = Counter("jieli_rate_limited", "Requests refused by a rate limit", ["scope"], registry=r)
        # Agent protection: customer messages flagged abusive when stored (domain/abuse.py), by the
        # conversation's state then and the agent holding it ("" while the bot or the queue has it).
        self.abusive_messages = Counter(
            "jieli_abusive_messages", "Customer messages flagged abusive", ["state", "agent_id"], registry=r
        )
        # Protection that acts (services/queue/protection.py, docs/agents.md)
        self.agent_cooldowns = Counter(
            "jieli_agent_cooldowns", "Cool-downs given to agents after a chat with abusive messages", registry=r
        )
        self.abuse_notices = Counter(
            "jieli_abuse_notices",
            "System messages to an abusive customer: warning (the first insult), boundary (the next ones)",
            ["kind"],
            registry=r,
        )
        self.chats_ended_for_abuse = Counter(
            "jieli_chats_ended_for_abuse", "Chats an agent ended with the reason abuse", registry=r
        )
        self.lead_moves = Counter("jieli_lead_moves", "Live chats a lead took over or reassigned", ["kind"], registry=r)
        # Read from the store at most every JIELI_METRICS_CACHE_SECONDS (MetricsReader), over the last
        # 24 hours (services/learning/analytics.py, docs/analytics.md): the same in every process.
        self.containment = Gauge(
            "jieli_containment_ratio_24h",
            "Conversations of the last 24 h where "
            "the customer spoke and there was neither a handover nor a ticket, as a "
            "share of those where the customer spoke",
            registry=r,
        )
        self.conversations_24h = Gauge(
            "jieli_conversations_24h",
            "Conversations of the last 24 h where the customer spoke, by outcome",
            ["outcome"],
            registry=r,
        )
        self.first_reply_wait = Gauge(
            "jieli_first_reply_wait_24h_seconds",
            "Queued → first agent reply, handovers queued in the last 24 h (nearest-rank quantiles)",
            ["quantile"],
            registry=r,
        )
        self.handling = Gauge(
            "jieli_handling_24h_seconds",
            "Accepted → closed, handovers queued in the last 24 h (nearest-rank quantiles)",
            ["quantile"],
            registry=r,
        )
        # agents' suggested replies (services/assist/): suggestions shown, and replies by what they
        # did with one (as_is, edited, none)
        self.suggestions_shown = Counter("jieli_suggestions_shown", "Suggested replies shown to agents", registry=r)
        self.suggestions_used = Counter(
            "jieli_suggestions_used",
            "Agent replies, by the use of a suggestion (as_is, edited, none)",
            ["how"],
            registry=r,
        )
        self.ratings = Gauge(
            "jieli_ratings_24h", "Ratings of handovers queued in the last 24 h, by score", ["score"], registry=r
        )
        self.tickets_open = Gauge("jieli_tickets_open", "Tickets waiting for an answer", registry=r)

    def set_rolling(self, figures: dict) -> None:
        """The store-derived gauges from AnalyticsService.rolling()."""
        self.containment.set(figures["containment_rate"] if figures["containment_rate"] is not None else float("nan"))
        self.conversations_24h.labels("contained").set(figures["contained"])
        self.conversations_24h.labels("not_contained").set(figures["conversations"] - figures["contained"])
        for name, gauge in (("first_reply_wait", self.first_reply_wait), ("handling", self.handling)):
            stats = figures[name]
            for p, value in (stats.percentiles or {}).items():
                gauge.labels(f"{p / 100:g}").set(float("nan") if value is None else value)
        for score in range(1, 6):
            self.ratings.labels(str(score)).set(figures["ratings"].get(score, 0))
        self.tickets_open.set(figures["open_tickets"])

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsAccess:
    """GET /metrics is for the operator's scraper: a request passes with the bearer token
    JIELI_METRICS_TOKEN, or from an address in JIELI_METRICS_ALLOW (default: loopback only when no
    token is set, none when one is). Everything else is refused before any work is done."""

    def __init__(self, token: str, allow: tuple[str, ...]):
        self.token = token
        self.networks = tuple(ipaddress.ip_network(item, strict=False) for item in allow)

    def allowed_address(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]").split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self.networks)

    def check(self, bearer: str | None, address: str) -> None:
        if self.token and bearer and same(bearer, self.token):
            return
        if bearer and self.token:
            raise Unauthorized("wrong metrics token", "invalid_metrics_token")
        if self.allowed_address(address):
            return
        if self.token:
            raise Unauthorized(
                "GET /metrics needs Authorization: Bearer <JIELI_METRICS_TOKEN>", "metrics_token_required"
            )
        raise Forbidden(
            "GET /metrics is served only to the addresses in JIELI_METRICS_ALLOW (default: "
            "loopback); set JIELI_METRICS_TOKEN to scrape from elsewhere",
            "metrics_forbidden",
        )


class MetricsReader:
    """The store-derived figures (queue, agents online, the last 24 hours) are read at most every
    `cache_seconds`; concurrent scrapes of a stale cache share one read. The per-process counters
    are always current."""

    def __init__(self, metrics: Metrics, refresh: Callable[[], Awaitable[None]], cache_seconds: float):
        self.metrics = metrics
        self._refresh = refresh
        self.cache_seconds = cache_seconds
        self._fresh_until = float("-inf")
        self._lock: asyncio.Lock | None = None
        self.refreshes = 0

    async def render(self) -> bytes:
        if time.monotonic() >= self._fresh_until:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if time.monotonic() >= self._fresh_until:  # nobody refreshed while we waited
                    try:
                        self.refreshes += 1
                        await self._refresh()
                    except Exception:  # the counters still matter when the store is unwell
                        log.exception("could not refresh the store-derived metrics")
                    finally:
                        self._fresh_until = time.monotonic() + self.cache_seconds
        return self.metrics.render()
