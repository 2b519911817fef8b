"""The results as Markdown tables for the README, with PASS / FAIL against the targets."""

from __future__ import annotations

import os
import platform
import textwrap
import time

from .bot_turns import LevelResult
from .common import MAX_THINK, TARGET_P50_MS, TARGET_P95_MS, TARGET_RELAY_P99_MS, TURNS_PER_CUSTOMER, ms, pct
from .relay import RelayResult

# ---- report ------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def pair(a: float, b: float) -> str:
    return f"{ms(a)} / {ms(b)}"


def report(
    levels: list[LevelResult],
    rel: RelayResult | None,
    memory: dict[str, dict[str, int]],
    startup: float,
    total: float,
    store: str,
) -> bool:
    """The results as Markdown tables (ready for the README), then how to read them."""
    ok = True
    lines = [
        "",
        "=" * 100,
        f"Jieli bridge benchmark, {time.strftime('%Y-%m-%d %H:%M')}: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; one bridge process on {store}, real Rasa + action server on the "
        f"same machine; load average {os.getloadavg()[0]:.1f} at the end",
        "",
    ]
    notes = []
    if levels:
        header = "| bot turn (ms) | " + " | ".join(f"{r.level} concurrent" for r in levels) + " | target |"
        lines += [header, "|---|" + "---:|" * len(levels) + "---|"]
        rows: dict[str, list[str]] = {
            k: []
            for k in (
                "turns measured, bridge / Rasa",
                "through the bridge, p50 / p95",
                "straight to Rasa, p50 / p95",
                "difference, p50 / p95",
                "overhead per turn (paired), p50 / p95",
                "bridge CPU per turn",
                "result",
            )
        }
        for r in levels:
            b50, r50 = pct(r.bridge.latencies, 50), pct(r.rasa.latencies, 50)
            b95, r95 = pct(r.bridge.latencies, 95), pct(r.rasa.latencies, 95)
            paired = r.paired()
            o50, o95 = pct(paired, 50), pct(paired, 95)
            d50, d95 = b50 - r50, b95 - r95
            clean = not r.bridge.errors and not r.bridge.handovers
            by_turn = clean and o50 * 1000 <= TARGET_P50_MS and o95 * 1000 <= TARGET_P95_MS
            by_diff = clean and d50 * 1000 <= TARGET_P50_MS and d95 * 1000 <= TARGET_P95_MS
            ok &= by_turn
            rows["turns measured, bridge / Rasa"].append(f"{len(r.bridge.latencies)} / {len(r.rasa.latencies)}")
            rows["through the bridge, p50 / p95"].append(pair(b50, b95))
            rows["straight to Rasa, p50 / p95"].append(pair(r50, r95))
            rows["difference, p50 / p95"].append(f"{pair(d50, d95)} {verdict(by_diff)}")
            rows["overhead per turn (paired), p50 / p95"].append(f"{pair(o50, o95)} {verdict(by_turn)}")
            rows["bridge CPU per turn"].append(ms(r.cpu_per_turn))
            rows["result"].append(f"**{verdict(by_turn)}**")
            if r.bridge.errors or r.rasa.errors or r.bridge.handovers or r.bridge.no_reply or r.rasa.no_reply:
                notes.append(
                    f"{r.level} concurrent: {r.bridge.errors} bridge / {r.rasa.errors} Rasa errors, "
                    f"{r.bridge.handovers} handovers, {r.bridge.no_reply} bridge / {r.rasa.no_reply} Rasa "
                    "turns without a bot reply (a bridge turn without one: its Rasa call took longer "
                    "than JIELI_RASA_TIMEOUT and the bridge answered with its fallback)"
                )
        targets = {
            "difference, p50 / p95": f"≤ {TARGET_P50_MS:g} / ≤ {TARGET_P95_MS:g}",
            "overhead per turn (paired), p50 / p95": f"≤ {TARGET_P50_MS:g} / ≤ {TARGET_P95_MS:g}",
        }
        for name, cells in rows.items():
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {targets.get(name, '')} |")
        lines.append("")
    if rel:
        lines += [
            f"| relay, {rel.sockets} customer sockets open (ms) | p50 | p99 | max | messages | lost | target "
            "| result |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for name, values, lost in (
            ("customer → agent", rel.c2a, rel.c2a_lost),
            ("agent → customer", rel.a2c, rel.a2c_lost),
        ):
            p99 = pct(values, 99)
            passed = bool(values) and not lost and p99 * 1000 <= TARGET_RELAY_P99_MS
            ok &= passed
            lines.append(
                f"| {name} | {ms(pct(values, 50))} | {ms(p99)} | {ms(max(values, default=float('nan')))} "
                f"| {len(values)} | {lost} | p99 ≤ {TARGET_RELAY_P99_MS:g} | **{verdict(passed)}** |"
            )
        lines.append("")
        if rel.assigned != rel.sockets:
            ok = False
            notes.append(f"only {rel.assigned} of {rel.sockets} conversations reached an agent")
    if memory:
        labels = list(memory)
        lines += [
            "| bridge memory (MB) | " + " | ".join(labels) + " | peak (VmHWM) |",
            "|---|" + "---:|" * (len(labels) + 1),
            "| RSS | "
            + " | ".join(f"{memory[k].get('VmRSS', 0) / 1024:.0f}" for k in labels)
            + f" | {max(v.get('VmHWM', 0) for v in memory.values()) / 1024:.0f} |",
            "",
        ]
    how = []
    if levels:
        how.append(
            f"Bot turns: every simulated customer opens a conversation and asks {TURNS_PER_CUSTOMER} ordinary "
            "shop questions (no handover), with a random think time of up to "
            f"{MAX_THINK * 1000:.0f} ms before each later turn when several run at once; the same customers and "
            "questions go through the bridge (POST /api/conversations/{id}/messages) and straight to Rasa "
            "(POST /webhooks/rest/webhook, a new sender each), in rounds that alternate which path goes first. "
            "difference = bridge percentile − Rasa percentile. Rasa is saturated from about 2 concurrent "
            "customers on this machine, so at 10 and 50 its own queueing spreads both paths by hundreds of ms "
            "and the difference is mostly noise. overhead per turn is paired, turn by turn: the bridge turn "
            "minus its own Rasa window (between the created_at of the stored customer message and of the first "
            "bot reply) plus the mean bridge work inside that window (mean window − mean of the bridge's "
            "jieli_bot_latency_seconds on the same turns); the result is judged on it. bridge CPU per turn = "
            "user+system CPU of the bridge process during its rounds ÷ its turns. Client time (this script, "
            "on the same cores) is in every figure."
        )
    if rel:
        how.append(
            f"Relay: {rel.sockets} conversations with a customer WebSocket each were handed over through POST "
            f"/api/handovers (the action server's call) and auto-assigned to {rel.agents} online agents "
            f"(agent1 and bench agents), in {rel.setup_seconds:.0f} s (handover call p50 "
            f"{ms(pct(rel.handover_calls, 50))} / p95 {ms(pct(rel.handover_calls, 95))} ms); then "
            f"{len(rel.c2a) + rel.c2a_lost} customer → agent and {len(rel.a2c) + rel.a2c_lost} agent → customer "
            f"messages, open loop at {rel.rate:g}/s, each to the next conversation of a shuffled list, both as "
            "WebSocket message frames (what the widget and the console send), timed until the other side's "
            "socket received the message frame."
        )
    lags = [
        f"{r.level} concurrent p99 {ms(pct(r.client_lag, 99))} / max {ms(max(r.client_lag, default=float('nan')))}"
        for r in levels
    ]
    if rel:
        lags.append(f"relay p99 {ms(pct(rel.client_lag, 99))} / max {ms(max(rel.client_lag, default=float('nan')))}")
    if lags:
        notes.append(
            "this client's own event loop woke up late by (ms) " + ", ".join(lags) + f"; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs. Lags of that size come from the machine "
            "(this script, Rasa and whatever else runs), not from the bridge, and are in the figures."
        )
    for paragraph in how + [f"note: {n}" for n in notes]:
        lines += textwrap.wrap(paragraph, 110) + [""]
    lines.append(
        f"Start-up of Rasa, action server and bridge: {startup:.0f} s; whole run {total:.0f} s. Overall: {verdict(ok)}"
    )
    print("\n".join(lines), flush=True)
    return ok
