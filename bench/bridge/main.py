"""Benchmark of the handover bridge, in one run, against the real Rasa and action server.

    .venv/bin/python bench/bench_bridge.py            # or: make bench-bridge  (about 3 minutes)
    .venv/bin/python bench/bench_bridge.py --strict   # exit 1 when a target is missed
    .venv/bin/python bench/bench_bridge.py --help     # fewer turns, other levels, PostgreSQL, …

Starts on free ports on 127.0.0.1 (scripts/supervise.py): the action server and Rasa with a copy
of the trained model (models/jieli.tar.gz; missing → "run make train first"), and one bridge
process (`python -m handover_bridge`, demo mode, SQLite in a temporary directory, rate limits
raised for the load, a fresh action token shared with the action server through
JIELI_BRIDGE_URL / JIELI_ACTION_TOKEN, Rasa's fresh --auth-token as JIELI_RASA_TOKEN; the action
server answers only Rasa, with a fresh webhook token). Then it measures and prints:

1. Bot turns at 1, 10 and 50 concurrent customers. Each simulated customer asks four ordinary
   shop questions that never hand over (你好, 退货运费谁出, 怎么开发票, 优惠券怎么用 …) through
   the bridge (its own conversation, opened beforehand; POST /api/conversations/{id}/messages)
   and, as another customer with the same questions and think times, straight to Rasa (POST
   /webhooks/rest/webhook, a new sender each). Rounds alternate which path goes first; a
   warm-up runs first. Printed: p50 and p95 of each path and their difference, and the
   bridge's overhead per turn measured turn by turn (the bridge turn minus its own Rasa window,
   from the stored messages' created_at, plus the mean bridge work inside that window from its
   jieli_bot_latency_seconds), which stays meaningful when Rasa is saturated and its queueing
   makes the difference of two samples noise. Targets (issue 3): overhead ≤ 5 ms at p50 and
   ≤ 20 ms at p95; the verdict is on the per-turn overhead, the difference's is shown beside it.
2. Relay with 500 customer WebSockets open (Origin header, `hello` first). Agents are created
   with `python -m handover_bridge create-agent` before the bridge starts (capacity for all
   500), log in with agent1 (demo), go online and open console sockets; the 500 conversations
   are handed over through POST /api/handovers (the action server's call, with the action
   token) and auto-assigned (an agent accepts any left over). Then customer → agent (the
   customer's WS `message` frame until the agent socket receives the `message` frame) and agent
   → customer (the agent's WS `message` frame until the customer socket receives it), p50/p99
   over 300 messages each way, open loop at 50/s, spread over all conversations. Target: relay
   p99 ≤ 50 ms.
3. Memory: VmRSS of the bridge process idle after start, after the bot turns and with the 500
   sockets open, and its peak (VmHWM).

At the end: Markdown tables for the README, how the figures were taken, and notes (fallbacks,
this client's own event-loop lag, the load average). Exit status 0 even when a target is
missed, unless --strict; 1 when the run itself failed. Every loop has a count and a time
limit; everything listens on 127.0.0.1; all processes are stopped at the end, also on Ctrl-C,
SIGTERM and errors. Logs go to a temporary directory (kept with --keep-logs or after an error).
The client (this script, one asyncio loop) shares the machine and its time is in every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from scripts.supervise import stop_all

from .bot_turns import LevelResult, bot_turns
from .common import LEVELS, MODEL, ROOT, BenchError, rss_kb, say, settle
from .relay import relay
from .report import report
from .services import Setup, drop_schema, prepare, start_services

# ---- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--sockets", type=int, default=500, help="customer WebSockets for the relay (500)")
    parser.add_argument(
        "--agents", type=int, default=4, help="bench agents created besides agent1 (capacity split between them)"
    )
    parser.add_argument("--relay-messages", type=int, default=300, help="messages per direction (300)")
    parser.add_argument("--relay-rate", type=float, default=50.0, help="relay messages per second, both ways (50)")
    parser.add_argument("--relay-time-limit", type=float, default=40.0, help="seconds for sending relay messages")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the number of bot turns (e.g. 0.3 to try)")
    parser.add_argument(
        "--levels",
        type=lambda v: [int(x) for x in v.split(",")],
        default=list(LEVELS),
        help="concurrency levels for the bot turns (1,10,50)",
    )
    parser.add_argument("--skip-bot", action="store_true", help="skip part 1 (bot turns)")
    parser.add_argument("--skip-relay", action="store_true", help="skip part 2 (relay)")
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument(
        "--database-url",
        default="",
        help="run the bridge on this PostgreSQL database (postgresql://user@host/db) in a "
        "schema of its own, dropped at the end; default: SQLite in a temporary directory",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary directory with the logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sockets < 1 or args.agents < 1 or args.relay_rate <= 0 or args.relay_messages < 1:
        print("error: --sockets, --agents, --relay-messages and --relay-rate must be positive", file=sys.stderr)
        return 2
    if args.database_url and not args.database_url.startswith(("postgresql://", "postgres://")):
        print("error: --database-url takes a postgresql:// URL (SQLite is the default)", file=sys.stderr)
        return 2
    args.schema = f"jieli_bench_{secrets.token_hex(4)}"
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="jieli-bench-"))
    setup: Setup | None = None
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    ok, failed = True, False
    try:
        setup = prepare(args, tmp)
        say(f"starting the action server, Rasa ({MODEL.relative_to(ROOT)}) and the bridge; logs in {tmp / 'log'}")
        t0 = time.monotonic()
        start_services(setup.services, timeout=240)
        startup = time.monotonic() - t0
        say(f"all up in {startup:.0f} s: bridge {setup.bridge_url} (pid {setup.bridge_pid}), Rasa {setup.rasa_url}")
        time.sleep(1.0)
        memory = {"idle after start": rss_kb(setup.bridge_pid)}
        levels: list[LevelResult] = []
        if not args.skip_bot:
            levels = asyncio.run(bot_turns(setup, args))
            memory["after the bot turns"] = rss_kb(setup.bridge_pid)
            waited = settle([service.process.pid for service in setup.services])
            say(f"waited {waited:.1f} s for Rasa, the action server and the bridge to go idle")
        rel = None
        if not args.skip_relay:
            rel = asyncio.run(relay(setup, args))
            memory[f"{args.sockets} sockets open"] = rel.rss_open
            memory[f"{args.sockets} sockets, after the relay"] = rel.rss_after
        ok = report(
            levels, rel, memory, startup, time.monotonic() - began, "PostgreSQL" if args.database_url else "SQLite"
        )
    except KeyboardInterrupt:
        print("interrupted; stopping …", file=sys.stderr)
        failed = True
        return 130
    except (
        BenchError,
        RuntimeError,
        subprocess.CalledProcessError,
        subprocess.TimeoutExpired,
        httpx.HTTPError,
        asyncio.TimeoutError,
        OSError,
    ) as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        if setup:
            print(f"logs: {tmp / 'log'}", file=sys.stderr)
        failed = True
        return 1
    finally:
        if setup:
            stop_all(setup.services)
            endpoints = Path(setup.services[1].argv[setup.services[1].argv.index("--endpoints") + 1])
            shutil.rmtree(endpoints.parent, ignore_errors=True)  # supervise.rasa_services' temp dir
        if args.database_url:
            drop_schema(args.database_url, args.schema)
        if setup and (failed or args.keep_logs):
            model = tmp / "jieli.tar.gz"
            model.unlink(missing_ok=True)
            print(f"logs kept in {tmp / 'log'}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if (args.strict and not ok) else 0
