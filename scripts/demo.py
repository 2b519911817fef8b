"""`make demo` and `make demo-scale`: run all of Jieli in the foreground under supervisord and print
where to reach it. Ctrl-C stops all.

`make demo` (the embedded set-up, scripts/topology.py): the action server, Rasa and the handover
bridge, all on 127.0.0.1, on the embedded default store (SQLite files under var/: the bridge's
var/bridge.db, Rasa's trackers var/rasa/trackers.db) and the demo shop database (var/shop.db,
reseeded by `make shop-db`). supervisord restarts whatever crashes, with backoff: while Rasa is
away the bridge answers "暂时开小差", and the restarted Rasa continues every conversation.

`make demo-scale` (`--scaled`): the production topology on this machine — HAProxy in front of two
bridges (WebSockets included), two Rasa nodes, two action servers behind HAProxy's action front,
the local PostgreSQL (databases jieli and jieli_rasa, made when missing) and Redis (Rasa's lock
store, the bridges' fan-out). State under var/scale/. Other stores: JIELI_DATABASE_URL,
JIELI_RASA_TRACKER_STORE, JIELI_REDIS_URL.

Both run the bridge in demo mode: agents agent1 and agent2 with the password `jieli-demo` (or
$JIELI_DEMO_PASSWORD), demo origins, demo secrets — the same for every bridge. Never use demo mode
in production. Only the bridge can make the bot act, in the demo too: Rasa runs with a fresh
`--auth-token` (the bridges get it as JIELI_RASA_TOKEN) and the action servers with a fresh webhook
token that only Rasa knows (endpoints files and supervisord.conf, mode 600).

Before the bridge starts, a week of demo conversations is seeded (`python -m handover_bridge
seed-demo-week`: marked as demo data, skipped when today's demo week is already there), so the
dashboard and the review queue are not empty. Skip it with `--no-demo-data` or JIELI_DEMO_DATA=false.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import topology  # noqa: E402
from supervise import BRIDGE_PY, ROOT  # noqa: E402

RASA_PORT = int(os.environ.get("JIELI_RASA_PORT", "5005"))
ACTION_PORT = int(os.environ.get("JIELI_ACTION_PORT", "5055"))
BRIDGE_PORT = int(os.environ.get("JIELI_PORT", "8080"))
WATCH_SECONDS = 2.0


def seed_demo_week(env: dict[str, str]) -> None:
    """The demo week of conversations (dashboard, review queue); a failure only warns."""
    result = subprocess.run(
        [str(BRIDGE_PY), "-m", "handover_bridge", "seed-demo-week"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env, "JIELI_LOG_LEVEL": "ERROR"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode == 0:
        print(f"Demo data: {result.stdout.strip()}", flush=True)
    else:
        print(
            f"warning: could not seed the demo week: {(result.stderr or result.stdout).strip()}",
            file=sys.stderr,
            flush=True,
        )


def layout_for(scaled: bool) -> topology.Layout:
    """The set-up `make demo` (embedded) or `make demo-scale` (scaled) runs, on the usual ports."""
    if not scaled:
        return topology.describe(
            "embedded",
            state_dir=ROOT / "var",
            port=BRIDGE_PORT,
            ports={"rasa-1": RASA_PORT, "actions-1": ACTION_PORT},
            demo=True,
            # Rasa's trackers: var/rasa/trackers.db unless JIELI_RASA_TRACKER_STORE names another store
            tracker_store=os.environ.get("JIELI_RASA_TRACKER_STORE") or None,
            database_url=os.environ.get("JIELI_DATABASE_URL") or None,
        )
    # HAProxy's front on 8080, the bridges behind it on 8081, 8082; the action front on 5055
    # (Rasa's action endpoint), the action servers on 5056, 5057; Rasa nodes on 5005, 5006
    return topology.describe(
        "scaled",
        state_dir=ROOT / "var" / "scale",
        port=BRIDGE_PORT,
        ports={
            "bridge-1": BRIDGE_PORT + 1,
            "bridge-2": BRIDGE_PORT + 2,
            "rasa-1": RASA_PORT,
            "rasa-2": RASA_PORT + 1,
            "haproxy-actions": ACTION_PORT,
            "actions-1": ACTION_PORT + 1,
            "actions-2": ACTION_PORT + 2,
        },
        demo=True,
        database_url=os.environ.get("JIELI_DATABASE_URL") or None,
        tracker_store=os.environ.get("JIELI_RASA_TRACKER_STORE") or None,
        redis_url=os.environ.get("JIELI_REDIS_URL") or None,
    )


def banner(layout: topology.Layout, demo_data: bool) -> str:
    url = layout.url
    password = layout.agent_password
    ports = {name: program.port for name, program in layout.programs.items()}
    relative_logs = os.path.relpath(layout.log_dir, ROOT)
    if layout.kind == "scaled":
        what = "demo mode, scaled: HAProxy, 2 bridges, 2 Rasa nodes, 2 action servers; PostgreSQL and Redis"
        programs = f"""  HAProxy                     {url} → bridges {ports["bridge-1"]}, {ports["bridge-2"]}; action front {layout.action_url.rsplit("/", 1)[0]} → {ports["actions-1"]}, {ports["actions-2"]}
  Rasa nodes (private, token) {", ".join(layout.rasa_urls)}  trackers {layout.tracker_store}, locks {layout.redis_url}
  bridge store                {layout.bridge_database_url}"""
    else:
        what = "demo mode, embedded SQLite store"
        programs = f"""  Rasa (private, token)       {layout.rasa_urls[0]}      action server http://127.0.0.1:{ports["actions-1"]} (Rasa only)"""
    crash = (
        "supervisord restarts whatever crashes (try: kill -9 a Rasa node; the other one answers its conversations meanwhile)."
        if layout.kind == "scaled"
        else "supervisord restarts whatever crashes (try: kill -9 the Rasa process; the bridge says 暂时开小差 meanwhile)."
    )
    return f"""
Jieli is running ({what}).
  demo shop with the widget   {url}/shop/
  agent console               {url}/console/
  dashboard (agent1, lead)    {url}/console/dashboard.html{"      with a demo week (演示数据)" if demo_data else ""}
  demo agents                 agent1 / {password}    agent2 / {password}
  bridge health               {url}/healthz      metrics {url}/metrics
{programs}
  logs                        {relative_logs}/      supervisord: .venv/bin/supervisorctl -c {os.path.relpath(layout.config_path, ROOT)} status
{crash}
Chat from a terminal instead: .venv/bin/python scripts/chat.py --url {url}
Press Ctrl-C to stop.
"""


def watch(running: topology.Topology) -> int:
    """Until Ctrl-C: say when supervisord restarts a program or gives up on one. Returns 1 when
    supervisord itself stopped."""
    pids = {name: running.pid(name) for name in running.names()}
    reported_fatal: set[str] = set()
    while running.supervisord.poll() is None:
        time.sleep(WATCH_SECONDS)
        try:
            infos = {name: running.info(name) for name in running.names()}
        except (OSError, xmlrpc.client.Error):
            continue  # supervisord is stopping
        for name, info in infos.items():
            if info["statename"] == "FATAL" and name not in reported_fatal:
                reported_fatal.add(name)
                print(
                    f"{name} keeps failing; supervisord gave up on it (see {running.program(name).log_path})",
                    file=sys.stderr,
                    flush=True,
                )
            elif info["pid"] and info["pid"] != pids[name]:
                if pids[name]:
                    print(f"{name} stopped and was restarted by supervisord (pid {info['pid']})", flush=True)
                pids[name] = info["pid"]
    print(f"supervisord stopped; shutting down (see {os.path.relpath(running.layout.log_dir, ROOT)}/)", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--no-demo-data",
        action="store_true",
        help="do not seed the demo week of conversations (also JIELI_DEMO_DATA=false)",
    )
    parser.add_argument(
        "--scaled",
        action="store_true",
        help="the scaled set-up (make demo-scale): HAProxy, 2 bridges, 2 Rasa nodes, 2 action servers",
    )
    args = parser.parse_args(argv)
    demo_data = not args.no_demo_data and os.environ.get("JIELI_DEMO_DATA", "true").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`&`)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    running: topology.Topology | None = None
    try:
        layout = layout_for(args.scaled)
        topology.prepare(layout)
        if demo_data:
            seed_demo_week(layout.programs["bridge-1"].env)
        print(
            "Starting the action server, Rasa and the bridge under supervisord (the model takes ~20 s to load) …"
            if not args.scaled
            else "Starting HAProxy, 2 bridges, 2 Rasa nodes and 2 action servers under supervisord "
            "(the models take a minute or two to load) …",
            flush=True,
        )
        running = topology.launch(layout)
        running.wait_healthy(None, timeout=300)
        print(banner(layout, demo_data), flush=True)
        return watch(running)
    except KeyboardInterrupt:
        return 0
    except topology.TopologyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        # a second Ctrl-C or SIGTERM while stopping must not leave half the stack running
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if running is not None:
            print("Stopping …", flush=True)
            running.stop()


if __name__ == "__main__":
    sys.exit(main())
