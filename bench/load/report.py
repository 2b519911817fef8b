"""The load test's figures: Markdown tables ready for the README, the checks with PASS / FAIL,
and the per-core figures the sizing table is made from."""

from __future__ import annotations

import math
import os
import platform
import textwrap
import time
from dataclasses import asdict
from typing import Any

from bench.bridge.common import pct

from .phases import Result
from .verify import Check, check, read_messages

TARGET_RATIO = 1.4  # 2 Rasa nodes vs 1: bot-turn throughput
TARGET_CURVE = 1.25  # p50 at turns 181–200 over p50 at turns 1–20
ROLES = ("rasa", "actions", "bridge", "haproxy", "postgres", "redis", "locust")
ROLE_NAMES = {
    "rasa": "Rasa",
    "actions": "action servers",
    "bridge": "bridges",
    "haproxy": "HAProxy",
    "postgres": "PostgreSQL (backends of this run's databases)",
    "redis": "Redis",
    "locust": "load generator (Locust)",
}
# sizing arithmetic: a customer in a conversation sends one message every this many seconds
SECONDS_PER_MESSAGE = 30.0
TARGET_UTILISATION = 0.7
SHARED_CORES = 0.25  # other work on the machine beyond this (cores) makes the 1 vs 2 ratio unreliable


def ms(seconds: float) -> str:
    return "n/a" if seconds is None or math.isnan(seconds) else f"{seconds * 1000:.0f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# ---- figures of one phase ----------------------------------------------------------------------

ANSWERED = ("bot", "handover")
FAILED = ("fallback", "no_reply", "timeout", "error")


def by_role(values: dict[str, float]) -> dict[str, float]:
    totals = dict.fromkeys(ROLES, 0.0)
    for name, value in values.items():
        role = name.split("-")[0]
        if role in totals:
            totals[role] += value
    return totals


def figures(result: Result) -> dict[str, Any]:
    turns = result.bot_turns()
    answered = [t for t in turns if t["outcome"] in ANSWERED]
    latencies = [t["seconds"] for t in answered]
    cpu = by_role(result.cpu)
    idle = by_role(result.idle)
    ours = sum(cpu.values())
    count = max(len(answered), 1)
    return {
        "phase": result.phase.name,
        "topology": result.topology,
        "customers": result.phase.customers,
        "think": list(result.phase.think),
        "agents": len(result.phase.agents),
        "window_s": result.seconds,
        "bot_turns": len(answered),
        "turns_per_s": len(answered) / result.seconds,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "p99": pct(latencies, 99),
        "failed": {o: sum(1 for t in turns if t["outcome"] == o) for o in FAILED},
        "cpu_cores": {role: cpu[role] / result.seconds for role in ROLES},
        "cpu_ms_per_turn": {role: cpu[role] / count * 1000 for role in ROLES},
        "idle_cores": idle,
        # what one more bot turn costs: the CPU above what the program spends with nobody talking
        "marginal_ms_per_turn": {
            role: max(0.0, cpu[role] - idle[role] * result.seconds) / count * 1000 for role in ROLES
        },
        "turns_per_rasa_core": len(answered) / cpu["rasa"] if cpu["rasa"] else float("nan"),
        "machine_cores": result.busy / result.seconds,
        "others_cores": max(0.0, (result.busy - ours) / result.seconds),
    }


def by_kind(result: Result) -> dict[str, tuple[int, float, float, float]]:
    kinds: dict[str, list[float]] = {}
    for t in result.bot_turns():
        if t["outcome"] in ANSWERED:
            kinds.setdefault(t["kind"], []).append(t["seconds"])
    return {k: (len(v), pct(v, 50), pct(v, 95), pct(v, 99)) for k, v in sorted(kinds.items())}


def handover_figures(result: Result) -> dict[str, Any]:
    handovers = result.swarm["handovers"]
    to_agent = [h["agent_saw_at"] - h["asked_at"] for h in handovers if h["agent_saw_at"]]
    to_customer = [h["reply_seconds"] for h in handovers if h["reply_seconds"] is not None]
    return {
        "asked": len(handovers),
        "visible": len(to_agent),
        "served": sum(1 for h in handovers if h["served"]),
        "returned": sum(1 for h in handovers if h["returned_to_bot"]),
        "to_agent": to_agent,
        "to_customer": to_customer,
    }


def kill_figures(result: Result) -> list[dict[str, Any]]:
    """For each kill: when, back after how long, and the sockets that died with it."""
    rows = []
    drops = result.swarm["drops"]
    for kill in result.phase.kills:
        row = {**asdict(kill), "customers": None, "agents": None}
        if kill.at and kill.program.startswith("bridge"):
            for role in ("customer", "agent"):
                near = [d for d in drops if d["role"] == role and kill.at - 1.0 <= d["dropped_at"] <= kill.at + 10.0]
                row[f"{role}s"] = {
                    "dropped": len(near),
                    "reconnected": sum(1 for d in near if d["reconnected_at"]),
                    "resumed": sum(1 for d in near if d["resumed_at"]),
                    "reconnect_s": [d["reconnected_at"] - d["dropped_at"] for d in near if d["reconnected_at"]],
                }
        rows.append(row)
    return rows


def slot_figures(result: Result) -> dict[str, Any]:
    kills = [k.at for k in result.phase.kills if k.at]
    first_kill = min(kills) if kills else None
    checks = result.swarm["slot_checks"]
    after = [c for c in checks if first_kill and c["at"] > first_kill]
    return {
        "asked_again": len(checks),
        "remembered": sum(1 for c in checks if c["answer"] == "remembered"),
        "forgotten": sum(1 for c in checks if c["answer"] == "forgotten"),
        "other": sum(1 for c in checks if c["answer"] == "other"),
        "after_kills": len(after),
        "after_kills_remembered": sum(1 for c in after if c["answer"] == "remembered"),
        "examples": [c for c in checks if c["answer"] != "remembered"][:3],
    }


def check_all(results: list[Result], database_urls: dict[str, str]) -> dict[str, Check]:
    """verify.check for every phase, from its set-up's bridge database (read while it exists)."""
    checks = {}
    for result in results:
        sent = result.swarm["sent"]
        stored = read_messages(database_urls[result.phase.name], list(sent))
        checks[result.phase.name] = check(sent, stored)
    return checks


# ---- printing --------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def capacity_lines(one: dict | None, two: dict | None) -> tuple[list[str], bool | None]:
    phases = [(f, label) for f, label in ((one, "1 Rasa node"), (two, "2 Rasa nodes")) if f]
    if not phases:
        return [], None
    first = phases[0][0]
    lines = [
        f"### Capacity: 1 vs 2 Rasa nodes ({first['customers']} customers asking FAQ questions, think time "
        f"{first['think'][0]:g}–{first['think'][1]:g} s, {first['window_s']:.0f} s measured each)",
        "",
    ]
    rows = [
        ["bot turns / s"] + [f"{f['turns_per_s']:.1f}" for f, _ in phases],
        ["bot turn p50 / p95 / p99 (ms)"] + [f"{ms(f['p50'])} / {ms(f['p95'])} / {ms(f['p99'])}" for f, _ in phases],
        ["failed turns (fallback / no reply / timeout / error)"]
        + [" / ".join(str(f["failed"][o]) for o in FAILED) for f, _ in phases],
        ["bot turns per Rasa core-second"] + [f"{f['turns_per_rasa_core']:.1f}" for f, _ in phases],
    ]
    for role in ROLES:
        rows.append(
            [f"{ROLE_NAMES[role]}: cores busy (idle) / CPU ms per bot turn (above idle)"]
            + [
                f"{f['cpu_cores'][role]:.2f} ({f['idle_cores'][role]:.2f}) / {f['cpu_ms_per_turn'][role]:.1f} "
                f"({f['marginal_ms_per_turn'][role]:.1f})"
                for f, _ in phases
            ]
        )
    rows.append(
        ["machine: cores busy (of which not this set-up)"]
        + [f"{f['machine_cores']:.2f} ({f['others_cores']:.2f})" for f, _ in phases]
    )
    lines += table(["figure"] + [label for _, label in phases], rows)
    passed = None
    if one and two:
        ratio = two["turns_per_s"] / one["turns_per_s"] if one["turns_per_s"] else float("nan")
        passed = ratio >= TARGET_RATIO
        lines += [
            f"2 Rasa nodes / 1 Rasa node, bot turns/s: {ratio:.2f} (target ≥ {TARGET_RATIO}: {verdict(passed)})",
            "",
        ]
        others = max(one["others_cores"], two["others_cores"])
        if others > SHARED_CORES:
            lines += textwrap.wrap(
                f"note: other work used up to {others:.2f} of the {os.cpu_count()} cores during these phases, so "
                "the set-up had less than the machine to itself and this ratio measures the share it got as much "
                "as its Rasa nodes; run it again on an idle machine. Arithmetic from the measured CPU per bot turn, "
                f"were the {os.cpu_count()} cores the set-up's alone: 1 node ≈ {projected(one, 1):.0f} bot turns/s "
                f"(its Rasa process holds at most one core), 2 nodes ≈ {projected(two, 2):.0f}, ratio "
                f"≈ {projected(two, 2) / projected(one, 1):.2f}.",
                110,
            ) + [""]
    return lines, passed


def projected(f: dict, nodes: int) -> float:
    """Bot turns/s the set-up would reach with the machine to itself: every program's CPU per bot
    turn shares the cores, and each Rasa node holds at most one of them."""
    cores = os.cpu_count() or 1
    total = sum(f["cpu_ms_per_turn"].values()) / 1000
    rasa = f["cpu_ms_per_turn"]["rasa"] / 1000
    return min(cores / total if total else float("inf"), nodes / rasa if rasa else float("inf"))


def mixed_lines(result: Result, checked: Check, quick: bool = False) -> tuple[list[str], bool]:
    f = figures(result)
    ok = True
    agents = f"{f['agents']} agents" if f["agents"] else "no agents"
    lines = [
        f"### Mixed load{' with faults' if result.phase.kills else ''}: {f['customers']} customers "
        f"(FAQ : order look-ups : handovers = 5 : 3 : 2), {agents}, think time "
        f"{f['think'][0]:g}–{f['think'][1]:g} s, "
        f"{f['window_s']:.0f} s measured — {result.topology}",
        "",
        f"Bot turns: {f['bot_turns']} ({f['turns_per_s']:.1f}/s); failed turns "
        + ", ".join(f"{o.replace('_', ' ')} {f['failed'][o]}" for o in FAILED),
        "",
    ]
    rows = [[kind, str(n), ms(p50), ms(p95), ms(p99)] for kind, (n, p50, p95, p99) in by_kind(result).items()]
    rows.append(["all bot turns", str(f["bot_turns"]), ms(f["p50"]), ms(f["p95"]), ms(f["p99"])])
    lines += table(["bot turn (ms)", "turns", "p50", "p95", "p99"], rows)
    lines.append(
        "CPU (cores busy / ms per bot turn): "
        + ", ".join(f"{ROLE_NAMES[r]} {f['cpu_cores'][r]:.2f} / {f['cpu_ms_per_turn'][r]:.1f}" for r in ROLES)
        + f"; the machine {f['machine_cores']:.2f} cores busy, {f['others_cores']:.2f} of them not this set-up"
    )
    lines.append("")
    h = handover_figures(result)
    lines += table(
        ["handover (ms)", "count", "p50", "p95", "max"],
        [
            [
                "customer asks for a person → the chat visible to agents",
                f"{h['visible']} of {h['asked']}",
                ms(pct(h["to_agent"], 50)),
                ms(pct(h["to_agent"], 95)),
                ms(max(h["to_agent"], default=float("nan"))),
            ],
            [
                "agent's reply sent → visible to the customer",
                str(len(h["to_customer"])),
                ms(pct(h["to_customer"], 50)),
                ms(pct(h["to_customer"], 95)),
                ms(max(h["to_customer"], default=float("nan"))),
            ],
        ],
    )
    lines.append(
        f"Handovers served by an agent: {h['served']} of {h['asked']}; handed back to the bot: {h['returned']}."
    )
    lines.append("")
    if result.phase.kills:
        lines.append("Kills (kill -9 of the program's process group; supervisord restarts it):")
        for k in kill_figures(result):
            if not k["at"]:
                lines.append(f"- {k['program']}: not killed ({k['error']})")
                ok = False
                continue
            offset = k["at"] - result.window[0]
            back = (
                f"running again after {k['restarted_at'] - k['at']:.1f} s, healthy after {k['back_at'] - k['at']:.1f} s"
                if k["back_at"]
                else f"NOT back: {k['error']}"
            )
            lines.append(f"- {k['program']} at +{offset:.0f} s: {back}")
            ok &= bool(k["back_at"])
            for role in ("customers", "agents"):
                d = k[role]
                if d is None:
                    continue
                resumed = d["resumed"] == d["reconnected"] == d["dropped"]
                if role == "customers":
                    ok &= resumed and d["dropped"] > 0
                lines.append(
                    f"  - {role} whose socket died with it: {d['dropped']}; reconnected through the balancer: "
                    f"{d['reconnected']} (p50 {pct(d['reconnect_s'], 50):.1f} s, max "
                    f"{max(d['reconnect_s'], default=float('nan')):.1f} s); resumed (the new hello answered, every message waiting acknowledged): "
                    f"{d['resumed']} — {verdict(resumed and d['dropped'] > 0) if role == 'customers' else 'reported'}"
                )
        lines.append("")
    s = slot_figures(result)
    # a short run may see no look-up asked again after a kill: not a failure, but said
    slots_ok = not s["forgotten"] and (quick or not result.phase.kills or s["after_kills_remembered"] > 0)
    ok &= slots_ok
    lines.append(
        f"Slots: orders asked about again without their number: {s['asked_again']}; answered from the remembered "
        f"order {s['remembered']}, asked for the number or the digits again {s['forgotten']}, other answers "
        f"{s['other']}; after the first kill {s['after_kills_remembered']} of {s['after_kills']} remembered — "
        f"{verdict(slots_ok)}"
    )
    for example in s["examples"]:
        lines.append(f"  {example['answer']} in {example['conversation']}: {example['reply'][:80]!r}")
    lines.append("")
    lines += stored_lines(checked)
    ok &= checked.ok
    errors = result.swarm["errors"]
    lines.append(
        "Client-side errors: "
        + (", ".join(f"{code} {n}" for code, n in sorted(errors.items())) if errors else "none")
        + f"; message frames received twice on one socket: {result.swarm['duplicate_frames']}; one message "
        f"acknowledged with two seqs: {result.swarm['ack_mismatches']}"
    )
    ok &= not result.swarm["duplicate_frames"] and not result.swarm["ack_mismatches"]
    for code, sample in sorted(result.swarm["error_samples"].items()):
        lines.append(f"  e.g. {code}: {sample[:140]}")
    lines.append("")
    return lines, ok


def stored_lines(c: Check) -> list[str]:
    rows = []
    for sender in ("customer", "agent"):
        rows.append(
            [
                f"{sender} messages acknowledged",
                str(c.acked[sender]),
                str(c.stored_once[sender]),
                str(c.lost[sender]),
                str(c.doubled[sender]),
                str(c.moved[sender]),
                str(c.out_of_order[sender]),
            ]
        )
    lines = ["Stored, from the bridge's database:", ""]
    lines += table(["", "count", "stored once, in order", "lost", "doubled", "other seq/text", "out of order"], rows)
    lines.append(
        f"Bot replies stored twice for one customer message: {c.bot_doubled}. Sent but never acknowledged (in "
        f"flight at the end, or given up): {c.unacked_sent}, of which stored (once): {c.unacked_stored}. — "
        f"**{verdict(c.ok)}: {sum(c.lost.values())} lost, {sum(c.doubled.values())} doubled**"
    )
    lines += [f"  {e}" for e in c.examples]
    return lines + [""]


def memory_lines(results: list[Result]) -> list[str]:
    if not results:
        return []
    result = results[-1]
    names = [n for n in result.rss_peak if n != "locust"]
    rows = [[n, f"{result.rss_end.get(n, 0) / 2**20:.0f}", f"{result.rss_peak.get(n, 0) / 2**20:.0f}"] for n in names]
    peak_locust = max((r.rss_peak.get("locust", 0) for r in results), default=0)
    rows.append(["load generator (Locust)", "", f"{peak_locust / 2**20:.0f}"])
    return [
        f"Memory (RSS, MB) per program, {result.topology} (PostgreSQL: the proportional share, PSS, of the backends "
        "serving this run's databases: their shared buffers are not counted once per backend):",
        "",
    ] + table(["program", "at the end", "peak"], rows)


def sizing_lines(capacity: list[dict], results: list[Result]) -> list[str]:
    """Per-core figures (from the capacity phases: the lower throughput per Rasa core, the higher
    cost per turn of the rest) and the arithmetic for 100 / 1,000 / 10,000 concurrent customers."""
    if not capacity:
        return []
    per_rasa_core = min(f["turns_per_rasa_core"] for f in capacity)
    per_turn = {role: max(f["marginal_ms_per_turn"][role] for f in capacity) for role in ROLES}
    idle = {role: max(f["idle_cores"][role] for f in capacity) for role in ROLES}
    peak = results[-1].rss_peak

    def mb(role: str) -> float:
        return max((v for n, v in peak.items() if n.split("-")[0] == role), default=0) / 2**20

    bridges = sum(1 for n in peak if n.startswith("bridge-")) or 1
    lines = [
        "### Per-core figures (for the sizing table)",
        "",
        f"- Rasa: {per_rasa_core:.1f} bot turns per core-second (the lower of the two capacity phases); one node "
        f"uses at most about one core (one OpenMP thread); {mb('rasa'):.0f} MB per node",
        f"- bridges: {per_turn['bridge']:.1f} ms of CPU per bot turn above idle (one core: "
        f"{1000 / max(per_turn['bridge'], 1e-9):.0f} bot turns/s), {idle['bridge'] / bridges:.3f} cores idle per "
        f"bridge (health checks, sweeps); {mb('bridge'):.0f} MB per bridge",
        f"- action servers: {per_turn['actions']:.1f} ms per bot turn; {mb('actions'):.0f} MB each",
        f"- PostgreSQL (the backends of the bridges' and the trackers' databases): {per_turn['postgres']:.1f} ms per "
        f"bot turn; Redis {per_turn['redis']:.1f} ms; HAProxy {per_turn['haproxy']:.1f} ms",
        f"- the load generator itself: {per_turn['locust']:.1f} ms per bot turn",
        "",
        f"Arithmetic, assuming a customer in a conversation sends one message every {SECONDS_PER_MESSAGE:.0f} s and "
        f"cores run at {TARGET_UTILISATION:.0%} at most:",
        "",
    ]
    rows = []
    for customers in (100, 1000, 10000):
        rate = customers / SECONDS_PER_MESSAGE
        rasa = rate / per_rasa_core / TARGET_UTILISATION
        nodes = math.ceil(rasa)

        def cores(role: str, rate: float = rate) -> float:
            return rate * per_turn[role] / 1000 / TARGET_UTILISATION

        rows.append(
            [
                f"{customers:,}",
                f"{rate:.1f}",
                f"{rasa:.1f} ({nodes} node{'s' * (nodes > 1)}, {nodes * mb('rasa') / 1024:.1f} GB)",
                f"{cores('bridge') + idle['bridge']:.2f}",
                f"{cores('actions'):.2f}",
                f"{cores('postgres') + cores('redis') + cores('haproxy'):.2f}",
            ]
        )
    return lines + table(
        [
            "concurrent customers",
            "bot turns/s",
            "Rasa cores (nodes, memory)",
            "bridge cores",
            "action-server cores",
            "PostgreSQL + Redis + HAProxy cores",
        ],
        rows,
    )


def show(outcome: dict, seconds: float, quick: bool = False) -> bool:
    results: list[Result] = outcome["results"]
    checks: dict[str, Check] = outcome["checks"]
    by_name = {r.phase.name: r for r in results}
    load = os.getloadavg()
    lines = [
        "",
        "=" * 100,
        f"Jieli load test{' (quick)' if quick else ''}, {time.strftime('%Y-%m-%d %H:%M')}: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end. "
        "The set-ups, PostgreSQL, Redis and the load generator share these cores.",
        "",
    ]
    ok = True
    capacity = [figures(by_name[n]) for n in ("capacity-1", "capacity-2") if n in by_name]
    if capacity:
        part, passed = capacity_lines(
            figures(by_name["capacity-1"]) if "capacity-1" in by_name else None,
            figures(by_name["capacity-2"]) if "capacity-2" in by_name else None,
        )
        lines += part
        ok &= passed is not False
        for name in ("capacity-1", "capacity-2"):
            if name in checks:
                c = checks[name]
                lines.append(
                    f"{name}: {sum(c.acked.values())} acknowledged messages, {sum(c.lost.values())} lost, "
                    f"{sum(c.doubled.values())} doubled — {verdict(c.ok)}"
                )
                ok &= c.ok
        lines.append("")
    for name in ("faults", "quick"):
        if name in by_name:
            part, passed = mixed_lines(by_name[name], checks[name], quick)
            lines += part
            ok &= passed
    lines += memory_lines(results)
    curve = outcome.get("curve")
    if curve:
        lines += ["### Long conversation", "", curve["text"], ""]
        ratio = (curve["dict"] or {}).get("ratio_p50_last_first")
        if ratio is not None:
            ok &= ratio <= TARGET_CURVE
    lines += sizing_lines(capacity, results)
    stats = results[-1].swarm.get("locust_stats", []) if results else []
    if stats:
        lines.append(f"Locust's own statistics ({results[-1].phase.name}; its percentiles are rounded):")
        lines.append("")
        lines += table(
            ["type", "name", "requests", "failures", "p50", "p95", "p99"],
            [
                [
                    s["type"],
                    s["name"],
                    str(s["requests"]),
                    str(s["failures"]),
                    str(s["p50_ms"]),
                    str(s["p95_ms"]),
                    str(s["p99_ms"]),
                ]
                for s in stats
            ],
        )
    how = (
        "How: customers speak the widget's protocol (POST /api/conversations, then /ws/customer: hello with the "
        "last seq, message frames with a client_msg_id, resent with the same id after a reconnect); a bot turn "
        "is timed from sending the frame until the first reply to it (reply_to = its seq) arrives on the "
        "customer's socket. Agents log in, go online and answer on /ws/agent. Throughput counts answered bot "
        "turns finished inside the measured window. CPU is read from /proc per process group (supervisord "
        "program) over the same window."
    )
    lines += textwrap.wrap(how, 110) + [""]
    lines.append(f"Whole run {seconds:.0f} s. Overall: {verdict(ok)}")
    print("\n".join(lines), flush=True)
    return ok


def check_json(c: Check) -> dict:
    """asdict would turn a Counter into a Counter of its (key, count) pairs."""
    return {name: dict(value) if isinstance(value, dict) else value for name, value in vars(c).items()} | {"ok": c.ok}


def as_json(outcome: dict) -> dict:
    results: list[Result] = outcome["results"]
    return {
        "phases": [
            {
                **{k: v for k, v in figures(r).items()},
                "by_kind": by_kind(r),
                "handovers": handover_figures(r),
                "kills": kill_figures(r),
                "slots": slot_figures(r),
                "rss_end": r.rss_end,
                "rss_peak": r.rss_peak,
                "errors": r.swarm["errors"],
                "duplicate_frames": r.swarm["duplicate_frames"],
                "ack_mismatches": r.swarm["ack_mismatches"],
            }
            for r in results
        ],
        "checks": {name: check_json(c) for name, c in outcome["checks"].items()},
        "curve": (outcome.get("curve") or {}).get("dict"),
    }
