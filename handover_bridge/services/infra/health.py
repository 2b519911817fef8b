"""/healthz: the store, Rasa (every node: RasaClient.rasa_status) and the action server. "ok" when
all are up, "degraded" otherwise; the store being down is the one thing that makes the bridge
itself unhealthy."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..wiring.context import Context


async def check(ctx: Context) -> tuple[bool, dict[str, Any]]:
    async def store() -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(ctx.db.ping(), timeout=3)
            detail: dict[str, Any] = {"status": "up"}
        except Exception as error:
            detail = {"status": "down", "error": type(error).__name__}
        detail["backend"] = "postgresql" if ctx.db.is_postgres else "sqlite"
        detail["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return detail

    store_state, rasa, actions = await asyncio.gather(store(), ctx.bot.rasa_status(), ctx.bot.action_server_health())
    checks = {"store": store_state, "rasa": rasa, "action_server": actions}
    all_up = all(c["status"] == "up" for c in checks.values())
    body = {
        "status": "ok" if all_up else "degraded",
        "checks": checks,
        "fanout": "redis" if ctx.settings.redis_url else "in-process",
        "business_hours_open": ctx.hours.is_open(),
    }
    return store_state["status"] == "up", body
