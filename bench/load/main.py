"""The load test, in one run (`make bench-load`; about 9 minutes on 2 cores):

    .venv/bin/python bench/bench_load.py            # the whole run: the scaled set-ups, 1 vs 2 Rasa nodes, faults
    .venv/bin/python bench/bench_load.py --quick    # a smoke test on the embedded set-up (about 1.5 minutes)

1. **Capacity, 1 vs 2 Rasa nodes.** The scaled set-up (scripts/topology.py: HAProxy in front of 2
   bridges on PostgreSQL and Redis, Rasa nodes on a PostgreSQL tracker store, HAProxy in front of 2
   action servers) with 1 Rasa node, then with 2: the same customers (FAQ turns, think time
   0.1–0.3 s, enough of them to keep Rasa busy all the time) for the same time. Printed: bot turns/s, the
   bot-turn p50/p95/p99, every program's CPU, bot turns per Rasa core, each component's CPU per bot
   turn, and the ratio of the two throughputs (target ≥ 1.4).
2. **Mixed load with faults** on the 2-node set-up: FAQ customers, customers who look an order up
   and ask about it again every few turns, customers who ask for a person (agents answer them on
   their console sockets and hand back). In the middle: kill -9 of rasa-1, then actions-1, then
   bridge-1 (supervisord restarts each). Printed: throughput, bot-turn percentiles, the
   handover-to-visible times, errors, memory per program; then, from the bridge's database, every
   acknowledged message stored once and in order (verify.py), the customers whose socket died with
   bridge-1 reconnected through HAProxy and resumed, and every order asked about again after the
   kills answered from the conversation's slots.
3. **The long-conversation curve** (bench/long_conversation.py's `play`, when that file is there):
   one 200-turn conversation straight to a Rasa node of the running set-up.

The load generator is Locust used as a library, in a process of its own (swarm.py; its CPU is
reported with the rest: it shares the 2 cores). Everything listens on 127.0.0.1; every phase is
bounded in time; the set-ups, their databases (PostgreSQL databases of their own, dropped at the
end) and the swarm are stopped on errors, Ctrl-C and SIGTERM too.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

from scripts.ports import free_port
from scripts.supervise import RASA_BIN

from . import report
from .phases import ROOT, Kill, Phase, Result, run, say, warm_up
from .procs import Sampler

MODEL = ROOT / "models" / "jieli.tar.gz"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"

# Every program of the set-up gets these: one address (127.0.0.1, HAProxy) sends everything here,
# far beyond a shop's per-address limits; the action servers read a fresh copy of the demo shop.
LOAD_ENV = {
    "JIELI_RATE_IP_PER_MIN": "10000000",
    "JIELI_RATE_IP_BURST": "10000000",
    "JIELI_RATE_CONVERSATION_PER_MIN": "10000000",
    "JIELI_RATE_CONVERSATION_BURST": "10000000",
    "JIELI_RATE_LOGIN_IP_PER_MIN": "100000",
    "JIELI_RATE_LOGIN_IP_BURST": "100000",
    "JIELI_ACCESS_LOG": "false",
    "JIELI_SHOP_ADAPTER": "sql",
}


FULL = {"customers": None, "agents": 3, "fault_seconds": 150.0, "curve_turns": 200}
QUICK = {"customers": 8, "agents": 1, "fault_seconds": 30.0, "curve_turns": 0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test on the embedded set-up, with a bridge kill")
    parser.add_argument(
        "--capacity-customers", type=int, default=16, help="customers in the capacity phases (16, think time 0.1–0.3 s)"
    )
    parser.add_argument("--capacity-seconds", type=float, default=60.0, help="seconds of each capacity phase (60)")
    parser.add_argument(
        "--customers",
        type=int,
        help="customers in the mixed phase with faults (default: enough for 40 %% of the measured 2-node capacity, "
        "6 to 60; 30 without the capacity phases; quick: 8)",
    )
    parser.add_argument("--agents", type=int, help="agents answering handovers (3; quick: 1)")
    parser.add_argument("--fault-seconds", type=float, help="seconds of the mixed phase (150; quick: 30)")
    parser.add_argument("--no-compare", action="store_true", help="skip the capacity phases (1 vs 2 Rasa nodes)")
    parser.add_argument("--no-faults", action="store_true", help="the mixed phase without kills")
    parser.add_argument("--curve-turns", type=int, help="turns of the long conversation (200; quick: 0 = skipped)")
    parser.add_argument(
        "--long-conversation",
        type=Path,
        default=None,
        help="the file with the long-conversation curve's play() (default: bench/long_conversation.py)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON here")
    parser.add_argument("--keep-logs", action="store_true", help="keep the set-ups' logs (kept anyway after an error)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.customers is None and args.no_compare:
        args.customers = 30
    return args


# ---- set-ups ---------------------------------------------------------------------------------


def topology_module() -> types.ModuleType:
    try:
        from scripts import topology
    except ImportError as error:
        raise SystemExit(f"error: scripts/topology.py is missing or broken ({error})") from None
    return topology


def seed_shop(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'shop.db'}"
    subprocess.run(
        [str(RASA_BIN / "python"), "-m", "actions.shop.seed", "--db", url, "--reset"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    return url


class PrivateRedis:
    """A Redis of this run's own (Debian's redis-server on a free port, nothing saved): the
    bridges' fan-out channel and rate-limit keys are fixed names, so set-ups sharing one Redis
    (a test suite running meanwhile) would hear each other's events. None when redis-server is
    not installed: then the local Redis is used."""

    def __init__(self, tmp: Path):
        self.process: subprocess.Popen | None = None
        self.url = ""
        binary = shutil.which("redis-server")
        if not binary:
            return
        port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        self.url = f"redis://127.0.0.1:{port}/0"
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


class SetUps:
    """Starts the set-ups the run needs and stops them (and drops their databases) at the end."""

    def __init__(self, tmp: Path, model: Path, shop_db: str):
        self.tmp = tmp
        self.model = model
        self.env = {**LOAD_ENV, "JIELI_SHOP_DB_URL": shop_db}
        self.tag = secrets.token_hex(4)
        self.databases: list[str] = []  # PostgreSQL databases made for this run (dropped at the end)
        self.running: list = []
        self.redis = PrivateRedis(tmp)

    def start(self, kind: str, rasa_nodes: int, agents: int):
        topology = topology_module()
        label = (
            f"scaled: HAProxy → 2 bridges (PostgreSQL, Redis) → {rasa_nodes} Rasa node{'s' * (rasa_nodes > 1)} "
            "(PostgreSQL tracker store) → HAProxy → 2 action servers"
            if kind == "scaled"
            else "embedded: 1 bridge (SQLite), 1 Rasa (SQLite tracker store), 1 action server"
        )
        say(f"starting the {label} (the model takes a while to load)")
        options = {"model": self.model, "agents": agents}
        if kind == "scaled":  # databases of its own: each set-up has its own agents' passwords
            names = (f"jieli_load_{self.tag}_{rasa_nodes}", f"jieli_load_{self.tag}_{rasa_nodes}_rasa")
            self.databases += names
            options.update(database_url=f"{LOCAL_POSTGRES}/{names[0]}", tracker_store=f"{LOCAL_POSTGRES}/{names[1]}")
            if self.redis.url:
                options["redis_url"] = self.redis.url
        started = time.monotonic()
        running = topology.start(
            kind,
            state_dir=self.tmp / f"{kind}-{rasa_nodes}",
            rasa_nodes=rasa_nodes,
            bridges=2,
            action_servers=2,
            port=free_port(),
            env=self.env,
            **options,
        )
        self.running.append(running)
        say(
            f"up in {time.monotonic() - started:.0f} s: {', '.join(running.names())}; customers connect to {running.url}"
        )
        say(f"warmed up in {warm_up(running.url, 2 * rasa_nodes):.0f} s (a few conversations, not measured)")
        return running, label

    def stop(self, running) -> None:
        running.stop()
        if running in self.running:
            self.running.remove(running)

    def close(self) -> None:
        for running in list(self.running):
            try:
                self.stop(running)
            except Exception as error:  # noqa: BLE001 - stop the others anyway
                print(f"warning: could not stop a set-up: {error}", file=sys.stderr)
        self.redis.stop()
        for name in self.databases:
            try:
                topology_module().drop_database(f"{LOCAL_POSTGRES}/{name}")
            except Exception as error:  # noqa: BLE001 - best effort, said
                print(f"warning: could not drop the database {name}: {error}", file=sys.stderr)


def agents_of(running, count: int) -> list[tuple[str, str]]:
    names = list(getattr(getattr(running, "layout", None), "agents", ()) or ("agent1", "agent2"))[:count]
    return [(name, running.agent_password) for name in names]


def sampler_for(running, extra: dict[str, int], setups: SetUps) -> Sampler:
    """Every program of the set-up, the swarm (`extra["locust"]` while it runs), this run's Redis
    and the PostgreSQL backends serving this run's databases."""
    names = running.names()
    if setups.redis.process:
        extra["redis"] = setups.redis.process.pid

    def groups() -> dict[str, int]:
        return {**{name: running.pid(name) for name in names}, **extra}

    databases = tuple(
        urlsplit(url).path.lstrip("/") for url in (running.bridge_database_url, running.layout.tracker_store)
    )
    return Sampler(groups, databases if running.kind == "scaled" else ()).start()


# ---- the long-conversation curve -------------------------------------------------------------


def curve_module(path: Path | None) -> types.ModuleType | None:
    """bench/long_conversation.py (the state helper's), or the file named; None when absent."""
    path = path or ROOT / "bench" / "long_conversation.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("jieli_long_conversation", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module if hasattr(module, "play") else None


def long_curve(running, args: argparse.Namespace) -> dict | None:
    """The hook for the long-conversation curve: bench/long_conversation.py's play() against
    the first Rasa node of the running set-up (idle by now), and its report()."""
    try:
        module = curve_module(args.long_conversation)
    except Exception as error:  # noqa: BLE001 - the rest of the run still counts
        return {"dict": None, "text": f"could not load the long-conversation curve: {type(error).__name__}: {error}"}
    if module is None:
        text = "skipped: bench/long_conversation.py (with play()) is not in this checkout"
        say(f"long-conversation curve: {text}")
        return {"dict": None, "text": text}
    layout = running.layout
    store = "PostgreSQL" if layout.tracker_store.startswith("postgres") else "SQLite"
    options: dict = {"turns": args.curve_turns, "conversations": 1}
    accepts = inspect.signature(module.play).parameters
    if "stagger" in accepts:  # staggered conversations: the machine's other work weighs on early and late turns alike
        options["conversations"] = 2
    if "pids" in accepts:  # the CPU each turn costs: the node and the action servers behind HAProxy
        options["pids"] = [running.pid(n) for n in running.names() if n == "rasa-1" or n.startswith("actions-")]
    say(
        f"long-conversation curve: {options['conversations']} conversation(s) of {args.curve_turns} turns straight "
        f"to {layout.rasa_urls[0]}"
    )
    try:
        curve = module.play(layout.rasa_urls[0], layout.rasa_token, **options)
    except Exception as error:  # noqa: BLE001 - said in the report
        return {"dict": None, "text": f"the long-conversation curve failed: {type(error).__name__}: {error}"}
    curve.label = f"{store} tracker store, {running.kind} set-up idle after the load"
    return {"dict": curve.as_dict(), "text": module.report(curve)}


# ---- the run -----------------------------------------------------------------------------------


def capacity_phase(name: str, args: argparse.Namespace) -> Phase:
    """FAQ customers who barely pause (0.1–0.3 s): a few per Rasa core keep Rasa busy all the
    time. Many more would only queue inside Rasa until the bridge's time limit (8 s) and measure
    its time-outs instead of its throughput."""
    return Phase(
        name,
        customers=args.capacity_customers,
        seconds=args.capacity_seconds,
        mix={"faq": 1},
        think=(0.1, 0.3),
        spawn_rate=20.0,
        warmup=8.0,
    )


MIXED_THINK = (1.0, 3.0)
MIXED_SHARE = 0.4  # the mixed phase offers this share of the measured capacity


def mixed_customers(capacity: Result | None, fallback: int) -> int:
    """Customers for the mixed phase: MIXED_SHARE of the bot turns/s the 2-node capacity phase
    measured, each customer sending one message per think time plus a turn (Little's law)."""
    if capacity is None:
        return fallback
    rate = report.figures(capacity)["turns_per_s"]
    cycle = sum(MIXED_THINK) / 2 + 0.5
    return max(6, min(60, round(MIXED_SHARE * rate * cycle)))


def mixed_phase(name: str, customers: int, seconds: float, agents, kills: list[Kill]) -> Phase:
    return Phase(
        name,
        customers=customers,
        seconds=seconds,
        mix={"faq": 5, "order": 3, "handover": 2},
        think=MIXED_THINK,
        spawn_rate=10.0,
        warmup=5.0,
        agents=agents,
        kills=kills,
    )


def fault_kills(seconds: float, programs: list[str]) -> list[Kill]:
    """rasa-1, then actions-1, then bridge-1, spread over the middle of the phase (each has time to
    come back before the next, and the last leaves time to see the customers resume)."""
    wanted = [p for p in ("rasa-1", "actions-1", "bridge-1") if p in programs]
    return [Kill(round(seconds * (0.15 + 0.2 * i)), program) for i, program in enumerate(wanted)]


def execute(args: argparse.Namespace, tmp: Path) -> dict:
    model = tmp / "jieli.tar.gz"  # a private copy: a `make train` meanwhile must not swap it
    shutil.copyfile(MODEL, model)
    setups = SetUps(tmp, model, seed_shop(tmp))
    results: list[Result] = []
    curve = None
    database_urls: dict[str, str] = {}
    try:
        if args.quick:
            running, label = setups.start("embedded", 1, agents=2)
            extra: dict[str, int] = {}
            sampler = sampler_for(running, extra, setups)
            kills = [] if args.no_faults else [Kill(10, "bridge-1")]
            phase = mixed_phase("quick", args.customers, args.fault_seconds, agents_of(running, args.agents), kills)
            results.append(run(running, phase, sampler, extra, tmp, label))
            database_urls["quick"] = running.bridge_database_url
            sampler.stop()
            checks = report.check_all(results, database_urls)
            if args.curve_turns:
                curve = long_curve(running, args)
            setups.stop(running)
        else:
            if not args.no_compare:
                running, label = setups.start("scaled", 1, agents=args.agents)
                extra = {}
                sampler = sampler_for(running, extra, setups)
                results.append(run(running, capacity_phase("capacity-1", args), sampler, extra, tmp, label))
                database_urls["capacity-1"] = running.bridge_database_url
                sampler.stop()
                setups.stop(running)
            running, label = setups.start("scaled", 2, agents=args.agents)
            extra = {}
            sampler = sampler_for(running, extra, setups)
            capacity = None
            if not args.no_compare:
                capacity = run(running, capacity_phase("capacity-2", args), sampler, extra, tmp, label)
                results.append(capacity)
                database_urls["capacity-2"] = running.bridge_database_url
            customers = args.customers or mixed_customers(capacity, 30)
            if not args.customers:
                say(f"the mixed phase: {customers} customers, for about {MIXED_SHARE:.0%} of the measured capacity")
            kills = [] if args.no_faults else fault_kills(args.fault_seconds, running.names())
            phase = mixed_phase("faults", customers, args.fault_seconds, agents_of(running, args.agents), kills)
            results.append(run(running, phase, sampler, extra, tmp, label))
            database_urls["faults"] = running.bridge_database_url
            sampler.stop()
            checks = report.check_all(results, database_urls)  # before the databases are dropped
            if args.curve_turns:
                curve = long_curve(running, args)
            setups.stop(running)
        return {"results": results, "curve": curve, "checks": checks}
    finally:
        setups.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not MODEL.exists():
        print("error: no trained model at models/jieli.tar.gz: run make train first", file=sys.stderr)
        return 1
    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="jieli-load-"))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    failed = True
    try:
        outcome = execute(args, tmp)
        ok = report.show(outcome, time.monotonic() - began, quick=args.quick)
        if args.json:
            args.json.write_text(json.dumps(report.as_json(outcome), ensure_ascii=False, indent=1))
        failed = False
        return 1 if (args.strict and not ok) else 0
    except KeyboardInterrupt:
        print("interrupted; stopping …", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - say what failed, keep the logs
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        if failed or args.keep_logs:
            (tmp / "jieli.tar.gz").unlink(missing_ok=True)
            print(f"logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
