"""Builds the services of one bridge process and starts/stops what they hold (engines, Redis,
the Rasa client, the sweeper). Constructing it does nothing; `start()` does."""

from __future__ import annotations

import logging
from typing import Any

from ...config import DEMO_AGENTS, Settings
from ...db import Database
from ...domain import abuse
from ...domain.hours import BusinessHours
from ...migrate import migrate
from ...repositories import channels as channels_repo
from ..assist.suggestions import AssistService
from ..assist.wrapup import WrapupService
from ..channels.base import ChannelRouter
from ..customer.bot import RasaClient
from ..customer.conversations import ConversationService
from ..customer.handover import HandoverService
from ..infra.fanout import LocalFanout, RedisFanout
from ..infra.hub import Hub
from ..infra.metrics import Metrics, MetricsAccess, MetricsReader
from ..infra.ratelimit import MemoryRateLimiter, RedisRateLimiter
from ..learning.analytics import AnalyticsService
from ..learning.review import ReviewService
from ..queue.agents import AgentService
from ..queue.chats import ChatService
from ..queue.orders import OrderService
from ..queue.protection import ProtectionService
from ..queue.queue import QueueService
from ..queue.sweeper import Sweeper
from ..queue.tickets import TicketService
from .context import Context

log = logging.getLogger("handover_bridge")


class Bridge:
    ctx: Context
    queue: QueueService
    handovers: HandoverService
    conversations: ConversationService
    chats: ChatService
    protection: ProtectionService
    orders: OrderService
    review: ReviewService
    tickets: TicketService
    agents: AgentService
    sweeper: Sweeper
    analytics: AnalyticsService
    assist: AssistService
    wrapup: WrapupService
    metrics_reader: MetricsReader
    wechat: Any  # the 微信客服 channel (services/channels/wechat) when JIELI_WECHAT_CORP_ID is set

    def __init__(self, settings: Settings):
        self.settings = settings
        self.metrics = Metrics()
        self.metrics_access = MetricsAccess(settings.metrics_token, settings.metrics_allow)
        self.started = False

    async def start(self, *, background: bool = True) -> None:
        s = self.settings
        abuse.configure(s.profanity_lexicon or None)  # the profanity lexicon (fails loudly)
        db = Database(s)
        await migrate(db)
        hub = Hub()
        fanout = RedisFanout(hub, s.redis_url) if s.redis_url else LocalFanout(hub)
        await fanout.start()
        limiter = RedisRateLimiter(s.redis_url) if s.redis_url else MemoryRateLimiter()
        bot = RasaClient(
            s.rasa_urls,
            s.action_server_url,
            s.rasa_timeout,
            token=s.rasa_token,
            metrics=self.metrics,
            first_wait=s.rasa_node_retry_seconds,
        )
        self.ctx = ctx = Context(
            settings=s,
            db=db,
            hub=hub,
            fanout=fanout,
            bot=bot,
            metrics=self.metrics,
            hours=BusinessHours.parse(s.business_hours, s.timezone),
            limiter=limiter,
        )
        self.queue = QueueService(ctx)
        self.handovers = HandoverService(ctx, self.queue)
        self.conversations = ConversationService(ctx, self.queue, self.handovers)
        self.review = ReviewService(ctx)
        self.chats = ChatService(ctx, self.queue, self.conversations, self.review)
        self.protection = ProtectionService(ctx, self.queue)
        self.conversations.protection = self.chats.protection = self.protection
        self.orders = OrderService(ctx, self.chats)  # the order panel, through the action server
        self.tickets = TicketService(ctx, self.queue, self.conversations)
        self.agents = AgentService(ctx, self.queue)
        self.sweeper = Sweeper(ctx, self.queue, self.agents)
        self.analytics = AnalyticsService(ctx)
        self.assist = AssistService(ctx)  # suggested replies: the index is built here, not per request
        await self.assist.start()
        self.wrapup = WrapupService(self.assist)
        self.metrics_reader = MetricsReader(self.metrics, self.refresh_store_metrics, s.metrics_cache_seconds)
        ctx.channels = ChannelRouter(self._channel_of)  # outside channels (services/channels)
        self.wechat = None
        if s.wechat_enabled:
            from ..channels.wechat.service import WeChatChannel

            self.wechat = WeChatChannel(ctx, self.conversations)
            ctx.channels.register(self.wechat)
            if background:
                self.wechat.start()
        if s.demo_mode:
            await self.agents.ensure_demo_agents(DEMO_AGENTS, s.demo_password)
            log.warning(
                "demo mode: demo secrets in use; agents %s, password %r", ", ".join(DEMO_AGENTS), s.demo_password
            )
        elif not s.rasa_token:
            log.warning(
                "JIELI_RASA_TOKEN is not set: Rasa's HTTP API (trackers, slots, pause and "
                "resume) answers anyone who reaches it unless Rasa runs with --auth-token; "
                "see docs/security.md"
            )
        if background:
            self.sweeper.start()
        self.started = True
        log.info(
            "bridge started",
            extra={
                "fields": {
                    "store": "postgresql" if db.is_postgres else "sqlite",
                    "fanout": type(fanout).__name__,
                    "rasa": list(bot.nodes.labels.values()),
                    "auto_assign": s.auto_assign,
                }
            },
        )

    async def _channel_of(self, conversation_ids: list[str]) -> dict[str, str]:
        async with self.ctx.db.read() as session:
            return await channels_repo.channel_of(session, conversation_ids)

    async def refresh_store_metrics(self) -> None:
        """The /metrics gauges read from the store: queue, agents online, the last 24 hours."""
        await self.queue.refresh_gauges()
        self.metrics.set_rolling(await self.analytics.rolling(24))

    async def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        await self.sweeper.stop()
        if self.wechat is not None:
            await self.wechat.close()
        await self.ctx.fanout.close()
        await self.ctx.limiter.close()
        await self.ctx.bot.close()
        await self.ctx.db.dispose()
        log.info("bridge stopped")
