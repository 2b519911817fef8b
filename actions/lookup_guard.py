"""Order-number enumeration guard: failed order lookups (not found, not theirs, wrong phone digits)
counted per conversation and per verified customer in a sliding window; at the limit, no more
lookups until the oldest failures age out.

Kept in the action server's memory (one process; `python -m actions.server` runs one): it cannot be
reset from outside — not by a forged tracker or slot — and it is forgotten on restart. With several
action-server replicas each counts its own; the limit then holds per replica (docs/orders-security.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

MAX_KEYS = 100_000  # bound the memory a flood of new conversations can take


class LookupGuard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, window: float, now: float) -> deque[float]:
        entries = self._failures.get(key)
        if entries is None:
            return deque()
        while entries and entries[0] <= now - window:
            entries.popleft()
        if not entries:
            del self._failures[key]
        return entries

    def blocked_for(self, keys: Iterable[str], limit: int, window: float) -> float:
        """Seconds until a lookup is allowed again for every key (0: allowed now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                entries = self._prune(key, window, now)
                if len(entries) >= limit:
                    # allowed again once enough of the oldest failures left the window
                    wait = max(wait, entries[len(entries) - limit] + window - now)
        return wait

    def record_failure(self, keys: Iterable[str]) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                oldest = min(self._failures, key=lambda k: self._failures[k][-1])
                del self._failures[oldest]
            for key in keys:
                entries = self._failures.setdefault(key, deque(maxlen=1000))
                entries.append(now)

    def failures(self, key: str, window: float) -> int:
        with self._lock:
            return len(self._prune(key, window, self._clock()))

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()


_guard = LookupGuard()


def get_guard() -> LookupGuard:
    return _guard


def guard_keys(conversation_id: str, customer_id: str | None) -> list[str]:
    keys = [f"conversation:{conversation_id}"]
    if customer_id:
        keys.append(f"customer:{customer_id}")
    return keys
