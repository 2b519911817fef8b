"""The load generator, one process: `python -m bench.load.swarm PLAN.json OUT.json`.

Locust as a library (no web UI, no master): a local runner with a fixed number of users spawned
at a fixed rate, stopped at the plan's time. Locust patches the standard library for gevent when
it is imported, which is why this runs in a process of its own (the conductor, main.py, stays
plain Python). What the users saw (record.py) and Locust's own statistics are written to OUT.json.

PLAN.json: {"plan": {...users.Plan...}, "mix": {"faq": 6, "order": 3, "handover": 1},
"customers": N, "spawn_rate": R, "quiet": false}.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import gevent
import locust  # noqa: F401 - gevent's monkey patching, before users.py imports websocket-client
from locust.env import Environment

from . import users
from .users import RECORD, Agent, FaqCustomer, HandoverCustomer, OrderCustomer, Plan

JOURNEYS = {"faq": FaqCustomer, "order": OrderCustomer, "handover": HandoverCustomer}
GRACE = 45.0  # seconds after the stop for the turns in flight to finish (a taken-over turn waits ~9 s)


def user_classes(mix: dict[str, int], agents: list[tuple[str, str]]) -> list[type]:
    classes: list[type] = []
    for kind, weight in mix.items():
        if weight > 0:
            base = JOURNEYS[kind]
            classes.append(type(f"{base.__name__}Load", (base,), {"weight": weight}))
    for username, password in agents:
        classes.append(
            type(f"Agent_{username}", (Agent,), {"username": username, "password": password, "fixed_count": 1})
        )
    return classes


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] swarm: {text}", flush=True)


def run(config: dict) -> dict:
    raw = config["plan"]
    plan = Plan(**{k: tuple(v) if k in ("think", "faq_turns", "agent_think") else v for k, v in raw.items()})
    plan.agents = [tuple(a) for a in plan.agents]
    users.PLAN = plan
    classes = user_classes(config["mix"], plan.agents)
    environment = Environment(user_classes=classes, host=plan.url)
    RECORD.environment = environment
    runner = environment.create_local_runner()
    total = config["customers"] + len(plan.agents)
    spawned = {"at": None}
    environment.events.spawning_complete.add_listener(lambda user_count: spawned.update(at=time.time()))
    began = time.time()
    runner.start(total, spawn_rate=config["spawn_rate"])
    quiet = config.get("quiet", False)
    last_turns, last_at = 0, time.time()
    while time.time() < plan.stop_at:
        gevent.sleep(min(10.0, max(0.1, plan.stop_at - time.time())))
        if not quiet:
            now = time.time()
            turns = [t for t in RECORD.turns if t.kind != "relay"]
            rate = (len(turns) - last_turns) / max(now - last_at, 0.001)
            last_turns, last_at = len(turns), now
            say(
                f"{runner.user_count} users, {len(turns)} bot turns ({rate:.1f}/s over the last "
                f"{min(10, now - began):.0f} s), {sum(RECORD.errors.values())} errors, "
                f"{len(RECORD.drops)} socket drops"
            )
    stopped_at = time.time()
    # let every journey finish its turn in flight (no new turn starts after stop_at)
    deadline = time.monotonic() + GRACE
    while RECORD.active_journeys and time.monotonic() < deadline:
        gevent.sleep(0.2)
    if RECORD.active_journeys:
        say(f"{RECORD.active_journeys} journeys still running {GRACE:.0f} s after the stop: stopped")
    runner.quit()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = []
    for (name, method), entry in sorted(environment.stats.entries.items()):
        stats.append(
            {
                "type": method,
                "name": name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
        )
    return {
        "began": began,
        "spawned_at": spawned["at"],
        "stopped_at": stopped_at,
        "ended": time.time(),
        "locust_cpu_seconds": usage.ru_utime + usage.ru_stime,
        "locust_max_rss_kb": usage.ru_maxrss,
        "locust_stats": stats,
        **RECORD.as_json(),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    config = json.loads(Path(argv[0]).read_text())
    result = run(config)
    Path(argv[1]).write_text(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
