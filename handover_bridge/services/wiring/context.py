"""What every service needs: settings, the store, fan-out, Rasa, metrics, business hours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...config import Settings
from ...db import Database
from ...domain.hours import BusinessHours
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

    async def publish(self, events: Iterable[Event]) -> None:
        """Deliver events to sockets. Call only after the transaction that made them committed."""
        await self.fanout.publish(events)
