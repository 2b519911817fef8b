"""The benchmark's settings (turns, levels, targets) and small helpers: ports, percentiles, a
process's memory and CPU, the client's own event-loop lag."""

from __future__ import annotations

import asyncio
import math
import os
import re
import secrets
import socket
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # bench/bridge/common.py
MODEL = ROOT / "models" / "jieli.tar.gz"

# Ordinary shop questions (greet, return_exchange, invoice, coupon, payment, thank …): the bot
# answers them straight away; none asks for an order number or hands over, even when repeated.
QUESTIONS = (
    "你好",
    "退货运费谁出",
    "怎么开发票",
    "优惠券怎么用",
    "支持哪些付款方式",
    "可以用花呗吗",
    "发票抬头写错了怎么办",
    "七天无理由退货吗",
    "谢谢",
)
TURNS_PER_CUSTOMER = 4
MAX_THINK = 0.1  # seconds of think time before each later turn (uniform, seeded)
MAX_START_STAGGER = 0.5  # seconds: spread of the customers' first turns in a round
LEVELS = (1, 10, 50)
# turns to measure per path and level (rounded up to whole rounds of `level` customers)
TURNS_PER_LEVEL = {1: 120, 10: 200, 50: 400}
# seconds per level (both paths): no new round starts once the last one would end past it; at
# least one round of each path runs
LEVEL_TIME_LIMIT = {1: 30.0, 10: 40.0, 50: 60.0}
REQUEST_TIMEOUT = 30.0

TARGET_P50_MS, TARGET_P95_MS, TARGET_RELAY_P99_MS = 5.0, 20.0, 50.0

AGENT_PASSWORD = "bench-" + secrets.token_hex(8)
DEMO_AGENT, DEMO_PASSWORD = "agent1", "jieli-demo"


# ---- small helpers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def rss_kb(pid: int) -> dict[str, int]:
    result = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                result[name] = int(value.split()[0])
    except OSError:
        pass
    return result


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def settle(pids: list[int], limit: float = 20.0, busy: float = 0.15) -> float:
    """Wait (at most `limit` s) until these processes together use less than `busy` of a CPU over
    half a second, e.g. Rasa finishing turns the bridge gave up on. Returns the seconds waited."""

    def total() -> float:
        return sum(0.0 if math.isnan(c) else c for c in map(cpu_seconds, pids))

    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = total()
        time.sleep(0.5)
        if (total() - before) / 0.5 < busy:
            break
    return time.monotonic() - started


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def metric_value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.eE+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


class LoopLag:
    """How late this process's event loop wakes up (10 ms ticks): the client's own stalls."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            self.samples.append(max(0.0, time.perf_counter() - started - 0.01))

    def take(self) -> list[float]:
        samples, self.samples = self.samples, []
        return samples

    def stop(self) -> None:
        self._task.cancel()


class BenchError(RuntimeError):
    pass
