"""What every service needs: settings, the store, fan-out, Rasa, metrics, business hours."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..config import Settings
from ..db import Database
from .bot import RasaClient
from .fanout import Fanout
from .frames import Event
from .hours import BusinessHours
from .hub import Hub
from .metrics import Metrics
from .ratelimit import RateLimiter


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
