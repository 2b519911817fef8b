"""What every service needs: settings, the store, fan-out, Rasa, metrics, business hours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ...config import Settings
from ...db import Database
from ...domain.hours import BusinessHours
from ..channels.base import ChannelRouter
from ..customer.bot import RasaClient
from ..infra.fanout import Fanout
from ..infra.frames import Event
from ..infra.hub import Hub
from ..infra.metrics import Metrics
from ..infra.ratelimit import RateLimiter


@dataclass
class Context:
    settings: Settings
    db: Database
    hub: Hub
    fanout: Fanout
    bot: RasaClient
    metrics: Metrics
    hours: BusinessHours
    limiter: RateLimiter
    channels: ChannelRouter | None = field(default=None)  # outside channels (services/channels)

    async def publish(self, events: Iterable[Event]) -> None:
        """Deliver events to sockets, and wake the outside channel of each conversation that got
        a message (ChannelRouter). Call only after the transaction that made them committed."""
        if self.channels is None or not self.channels.active:
            await self.fanout.publish(events)
            return
        events = list(events)
        await self.fanout.publish(events)
        await self.channels.observe(events)
