"""Token buckets: per conversation and per client IP. In memory for one process; in Redis
(one Lua script, atomic) when several bridges share the load."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod

log = logging.getLogger("handover_bridge.ratelimit")


class RateLimiter(ABC):
    @abstractmethod
    async def hit(self, key: str, per_minute: float, burst: int) -> float:
        """Take one token. Returns 0 when allowed, else the seconds until a token is free."""

    async def close(self) -> None:
        pass


class MemoryRateLimiter(RateLimiter):
    def __init__(self, max_keys: int = 200_000):
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, per_minute: float, burst: int) -> float:
        return self.hit_now(key, per_minute, burst, time.monotonic())

    def hit_now(self, key: str, per_minute: float, burst: int, now: float) -> float:
        rate = per_minute / 60.0
        tokens, stamp = self._buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - stamp) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self._max_keys:
                self.prune(now, rate, burst)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate if rate > 0 else 60.0

    def prune(self, now: float | None = None, rate: float = 1.0, burst: int = 1) -> None:
        """Forget buckets that have refilled (they would start full anyway)."""
        now = time.monotonic() if now is None else now
        full_after = burst / rate if rate > 0 else 3600.0
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


_BUCKET = """
local tokens = tonumber(redis.call('HGET', KEYS[1], 't'))
local stamp = tonumber(redis.call('HGET', KEYS[1], 's'))
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if tokens == nil then tokens = burst; stamp = now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisRateLimiter(RateLimiter):
    def __init__(self, url: str):
        import redis.asyncio as redis

        self.redis = redis.from_url(url)
        self._script = self.redis.register_script(_BUCKET)

    async def hit(self, key: str, per_minute: float, burst: int) -> float:
        try:
            wait = await self._script(keys=[f"jieli:rl:{key}"], args=[per_minute / 60.0, burst, time.time()])
            return float(wait)
        except Exception as error:  # fail open: a Redis hiccup must not lock customers out
            log.error("rate limiter: redis unavailable (%s); allowing", error)
            return 0.0

    async def close(self) -> None:
        await self.redis.aclose()
