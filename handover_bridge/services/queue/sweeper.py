"""The background loop of each bridge process: presence and grace periods, long waits, auto-
assignment and queue notices. Every step is safe to run in several processes at once (each
change is a conditional UPDATE), so no leader election is needed."""

from __future__ import annotations

import asyncio
import logging
import time

from ...repositories import agents as agents_repo
from ..infra.ratelimit import MemoryRateLimiter
from ..wiring.context import Context
from .agents import AgentService
from .queue import QueueService

log = logging.getLogger("handover_bridge.sweeper")

HOUSEKEEPING_SECONDS = 600
CHECKPOINT_SECONDS = 10  # SQLite: fold the WAL into the database file (db.checkpoint)


class Sweeper:
    def __init__(self, ctx: Context, queue: QueueService, agents: AgentService):
        self.ctx = ctx
        self.queue = queue
        self.agents = agents
        self._task: asyncio.Task | None = None
        self._last_housekeeping = time.monotonic()
        self._last_checkpoint = time.monotonic()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bridge-sweeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def tick(self) -> None:
        await self.agents.sweep()
        await self.queue.offer_tickets_after_long_wait()
        await self.queue.maintain()
        if time.monotonic() - self._last_checkpoint > CHECKPOINT_SECONDS:
            self._last_checkpoint = time.monotonic()
            await self.ctx.db.checkpoint()
        if time.monotonic() - self._last_housekeeping > HOUSEKEEPING_SECONDS:
            self._last_housekeeping = time.monotonic()
            async with self.ctx.db.write() as session:
                await agents_repo.purge_sessions(session)
            if isinstance(self.ctx.limiter, MemoryRateLimiter):
                self.ctx.limiter.prune()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweep failed")
            await asyncio.sleep(self.ctx.settings.sweep_interval)
