"""Part 1: bot turns through the bridge and straight to Rasa, at 1, 10 and 50 concurrent customers."""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from .common import (
    LEVEL_TIME_LIMIT,
    MAX_START_STAGGER,
    MAX_THINK,
    QUESTIONS,
    REQUEST_TIMEOUT,
    TURNS_PER_CUSTOMER,
    TURNS_PER_LEVEL,
    LoopLag,
    cpu_seconds,
    metric_value,
    ms,
    pct,
    say,
)
from .services import Setup

# ---- part 1: bot turns -------------------------------------------------------------------------


@dataclass
class PathStats:
    latencies: list[float] = field(default_factory=list)
    outside: list[float] = field(default_factory=list)  # bridge: each turn minus its Rasa window
    before: list[float] = field(default_factory=list)  # bridge: request sent → customer message stored
    after: list[float] = field(default_factory=list)  # bridge: first bot reply stored → answer received
    creations: list[float] = field(default_factory=list)  # bridge: POST /api/conversations (not a turn)
    client_wait: list[float] = field(default_factory=list)  # queued in this client's pool (not counted)
    errors: int = 0
    handovers: int = 0  # bridge answered with a state other than "bot" (should stay 0)
    no_reply: int = 0  # a turn without any bot reply


def pause_before(customer: int, turn: int, level: int) -> float:
    """A customer's think time before a turn (not measured): the same on both paths (seeded by
    customer and turn); none when one customer is alone. Without it the concurrent customers of
    the direct path move in lock-step (Rasa shares itself evenly between them and answers them all
    at once), while the bridge's few milliseconds break that lock-step: the two paths would then
    meet different arrival patterns in Rasa, and the comparison would measure that."""
    if level <= 1:
        return 0.0
    rng = random.Random(customer * 1000 + turn)
    return rng.uniform(0, MAX_START_STAGGER) if turn == 0 else rng.uniform(0, MAX_THINK)


def questions_for(customer: int) -> list[str]:
    start = customer % len(QUESTIONS)
    return [QUESTIONS[(start + i) % len(QUESTIONS)] for i in range(TURNS_PER_CUSTOMER)]


def stored_at(messages: list[dict]) -> tuple[float, float] | None:
    """Wall-clock times (epoch seconds) at which the bridge stored the customer message and the
    first bot reply of one turn (their `created_at`). Between the two lie the bridge's Rasa call,
    the tail of its first and the head of its second transaction: the turn's "Rasa window"."""
    try:
        customer = next(m for m in messages if m.get("sender") == "customer")
        bot = next(m for m in messages if m.get("sender") == "bot")
        return (
            datetime.fromisoformat(customer["created_at"]).timestamp(),
            datetime.fromisoformat(bot["created_at"]).timestamp(),
        )
    except (StopIteration, KeyError, TypeError, ValueError):
        return None


async def create_conversation(client: httpx.AsyncClient, s: Setup, stats: PathStats | None) -> dict | None:
    started = time.perf_counter()
    try:
        # no metadata: the bridge then sends Rasa `metadata: {}`, exactly what the direct path sends
        response = await client.post(f"{s.bridge_url}/api/conversations", json={})
        response.raise_for_status()
        created = response.json()
    except (httpx.HTTPError, ValueError):
        if stats:
            stats.errors += 1
        return None
    if stats:
        stats.creations.append(time.perf_counter() - started)
    return created


async def timed_post(client: httpx.AsyncClient, url: str, body: dict, headers: dict | None = None):
    """POST, timed from the moment the request starts going out on its connection (httpcore's
    trace) to the end of the answer: a queue in this client's own connection pool (seen here up to
    seconds when 50 customers share it) is not the server's time, and a real customer has a
    connection of their own. Returns (response, seconds, sent wall time, received wall time,
    seconds spent waiting in this client before sending)."""
    marks: dict[str, tuple[float, float]] = {}

    async def trace(name: str, info: dict) -> None:
        if name == "http11.send_request_headers.started":
            marks.setdefault("sent", (time.perf_counter(), time.time()))

    queued = (time.perf_counter(), time.time())
    response = await client.post(url, json=body, headers=headers, extensions={"trace": trace})
    done, done_wall = time.perf_counter(), time.time()
    sent, sent_wall = marks.get("sent", queued)
    return response, done - sent, sent_wall, done_wall, sent - queued[0]


async def bridge_customer(
    client: httpx.AsyncClient, s: Setup, customer: int, level: int, stats: PathStats | None, created: dict | None
) -> None:
    if created is None:
        return
    url = f"{s.bridge_url}/api/conversations/{created['conversation_id']}/messages"
    headers = {"Authorization": f"Bearer {created['token']}"}
    for turn, text in enumerate(questions_for(customer)):
        await asyncio.sleep(pause_before(customer, turn, level))
        body = {"text": text, "client_msg_id": uuid.uuid4().hex}
        try:
            response, elapsed, sent_wall, received_wall, waited = await timed_post(client, url, body, headers)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError):
            if stats:
                stats.errors += 1
            return
        if stats is None:
            continue
        stats.latencies.append(elapsed)
        stats.client_wait.append(waited)
        stamps = stored_at(data.get("messages", []))
        if stamps is None:
            stats.no_reply += 1
        else:
            stats.outside.append(elapsed - (stamps[1] - stamps[0]))  # the turn outside its Rasa window
            stats.before.append(stamps[0] - sent_wall)
            stats.after.append(received_wall - stamps[1])
        if data.get("state") != "bot":
            stats.handovers += 1
            return


async def rasa_customer(
    client: httpx.AsyncClient, s: Setup, customer: int, level: int, stats: PathStats | None, created: None = None
) -> None:
    sender = uuid.uuid4().hex  # a new sender, like the bridge's new conversation id
    for turn, text in enumerate(questions_for(customer)):
        await asyncio.sleep(pause_before(customer, turn, level))
        body = {"sender": sender, "message": text, "metadata": {}}
        try:
            response, elapsed, _sent, _received, waited = await timed_post(
                client, f"{s.rasa_url}/webhooks/rest/webhook", body
            )
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError):
            if stats:
                stats.errors += 1
            return
        if stats is None:
            continue
        stats.latencies.append(elapsed)
        stats.client_wait.append(waited)
        if not data:
            stats.no_reply += 1


async def run_round(client, s: Setup, path: str, level: int, first_customer: int, stats: PathStats | None) -> None:
    """`level` customers at once. Bridge: their conversations are opened first (as the widget
    does when the page loads), so that a burst of conversation creations does not sit in front
    of the first turns; the creations are timed on their own."""
    if path == "bridge":
        created = await asyncio.wait_for(
            asyncio.gather(*(create_conversation(client, s, stats) for _ in range(level))), REQUEST_TIMEOUT + 10
        )
        one = bridge_customer
    else:
        created = [None] * level
        one = rasa_customer
    await asyncio.wait_for(
        asyncio.gather(*(one(client, s, first_customer + i, level, stats, created[i]) for i in range(level))),
        timeout=(REQUEST_TIMEOUT + MAX_THINK) * TURNS_PER_CUSTOMER + MAX_START_STAGGER + 10,
    )


async def bot_latency_metric(client: httpx.AsyncClient, s: Setup) -> tuple[float, float]:
    """The bridge's jieli_bot_latency_seconds (time around its Rasa call): sum and count."""
    text = (await client.get(f"{s.bridge_url}/metrics")).text
    return (metric_value(text, "jieli_bot_latency_seconds_sum"), metric_value(text, "jieli_bot_latency_seconds_count"))


@dataclass
class LevelResult:
    level: int
    bridge: PathStats
    rasa: PathStats
    rounds: int
    seconds: float
    in_bridge_mean: float  # mean bridge turn − mean of the bridge's own Rasa calls (same turns)
    hidden_mean: float  # mean Rasa window − mean Rasa call: bridge work inside the window
    cpu_per_turn: float  # bridge process CPU (user + system) during its rounds ÷ its turns
    client_lag: list[float]  # this script's event-loop lag samples during the level

    def paired(self) -> list[float]:
        """Per-turn overhead: the turn − its Rasa window (+ the mean bridge work inside windows)."""
        extra = self.hidden_mean if not math.isnan(self.hidden_mean) else 0.0
        return [outside + extra for outside in self.bridge.outside]


def quiet_cancellations() -> None:
    """On Ctrl-C the tasks in flight are cancelled: no 'exception was never retrieved' noise."""

    def handler(loop, context):
        if not isinstance(context.get("exception"), asyncio.CancelledError):
            loop.default_exception_handler(context)

    asyncio.get_running_loop().set_exception_handler(handler)


async def bot_turns(s: Setup, args) -> list[LevelResult]:
    quiet_cancellations()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    results = []
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
        say("warm-up: bot turns on both paths (not measured)")
        customer = 10_000
        for level in (1, 2, 10):
            for path in ("bridge", "rasa"):
                await run_round(client, s, path, level, customer, None)
                customer += level
        lag = LoopLag()
        for level in args.levels:
            target = math.ceil(TURNS_PER_LEVEL.get(level, 8 * level) * args.scale)
            bridge, rasa = PathStats(), PathStats()
            sum0, count0 = await bot_latency_metric(client, s)
            started = time.monotonic()
            deadline = started + LEVEL_TIME_LIMIT.get(level, 60.0) * max(args.scale, 0.2)
            rounds, bridge_cpu = 0, 0.0
            while True:
                round_started = time.monotonic()
                # alternate which path goes first: bridge, Rasa | Rasa, bridge | …
                for path in ("bridge", "rasa") if rounds % 2 == 0 else ("rasa", "bridge"):
                    stats = bridge if path == "bridge" else rasa
                    before, t, cpu = len(stats.latencies), time.monotonic(), cpu_seconds(s.bridge_pid)
                    await run_round(client, s, path, level, customer, stats)
                    if path == "bridge":
                        bridge_cpu += cpu_seconds(s.bridge_pid) - cpu
                    if args.verbose:
                        part = stats.latencies[before:]
                        say(
                            f"  round {rounds} {path:>6}: {len(part)} turns in {time.monotonic() - t:.1f} s, "
                            f"p50 {ms(pct(part, 50))} p95 {ms(pct(part, 95))} "
                            f"max {ms(max(part, default=float('nan')))} ms"
                        )
                customer += level  # both paths got the same customers' questions in this round
                rounds += 1
                done = min(len(bridge.latencies), len(rasa.latencies)) >= target
                if (done and rounds >= 2) or 2 * time.monotonic() - round_started > deadline:
                    break
            sum1, count1 = await bot_latency_metric(client, s)
            calls = count1 - count0
            rasa_mean = (sum1 - sum0) / calls if calls else float("nan")
            complete = bool(bridge.latencies) and calls == len(bridge.latencies) == len(bridge.outside)
            in_bridge = statistics.fmean(bridge.latencies) - rasa_mean if complete else float("nan")
            hidden = (
                (statistics.fmean(bridge.latencies) - statistics.fmean(bridge.outside)) - rasa_mean
                if complete
                else float("nan")
            )
            cpu_per_turn = bridge_cpu / len(bridge.latencies) if bridge.latencies else float("nan")
            result = LevelResult(
                level, bridge, rasa, rounds, time.monotonic() - started, in_bridge, hidden, cpu_per_turn, lag.take()
            )
            results.append(result)
            paired = result.paired()
            if bridge.before:
                say(
                    f"  where the bridge's time goes (means, ms): request → customer message stored "
                    f"{ms(statistics.fmean(bridge.before))} (p95 {ms(pct(bridge.before, 95))}), "
                    f"inside the Rasa window besides the call {ms(hidden)}, first reply stored → answer "
                    f"received {ms(statistics.fmean(bridge.after))} (p95 {ms(pct(bridge.after, 95))}); "
                    f"{len(bridge.creations)} conversations opened {level} at a time: "
                    f"p50 {ms(pct(bridge.creations, 50))} p95 {ms(pct(bridge.creations, 95))} ms"
                )
            say(
                f"bot turns, {level} concurrent: {len(bridge.latencies)} bridge + {len(rasa.latencies)} Rasa turns, "
                f"{rounds} rounds, {result.seconds:.0f} s. p50 {ms(pct(bridge.latencies, 50))} vs "
                f"{ms(pct(rasa.latencies, 50))} ms, p95 {ms(pct(bridge.latencies, 95))} vs "
                f"{ms(pct(rasa.latencies, 95))} ms; per-turn overhead p50 {ms(pct(paired, 50))} "
                f"p95 {ms(pct(paired, 95))} ms; bridge CPU {ms(cpu_per_turn)} ms/turn; not counted: waits in this "
                f"client's connection pool p95 {ms(pct(bridge.client_wait + rasa.client_wait, 95))} max "
                f"{ms(max(bridge.client_wait + rasa.client_wait, default=float('nan')))} ms"
            )
        lag.stop()
    return results
