"""`make demo`: run all of Jieli in the foreground and print where to reach it. Ctrl-C stops all.

Starts the action server, Rasa and the handover bridge, all on 127.0.0.1, on the embedded
default store (SQLite files under var/) and the demo shop database (var/shop.db, reseeded by
`make shop-db`). The bridge runs in demo mode: agents agent1 and agent2 with the password
`jieli-demo` (or $JIELI_DEMO_PASSWORD), demo origins, demo secrets. Never use demo mode in
production. Only the bridge can make the bot act, in the demo too: Rasa runs with a fresh
`--auth-token` (the bridge gets it as JIELI_RASA_TOKEN) and the action server (python -m
actions.server) with a fresh webhook token that only Rasa knows (var/log/endpoints.yml, mode 600).

Before the bridge starts, a week of demo conversations is seeded (`python -m handover_bridge
seed-demo-week`: marked as demo data, skipped when today's demo week is already there), so the
dashboard and the review queue are not empty. Skip it with `--no-demo-data` or JIELI_DEMO_DATA=false.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supervise import BRIDGE_PY, ROOT, bridge_service, rasa_services, start_all, stop_all  # noqa: E402

RASA_PORT = int(os.environ.get("JIELI_RASA_PORT", "5005"))
ACTION_PORT = int(os.environ.get("JIELI_ACTION_PORT", "5055"))
BRIDGE_PORT = int(os.environ.get("JIELI_PORT", "8080"))


def seed_demo_week(env: dict[str, str]) -> None:
    """The demo week of conversations (dashboard, review queue); a failure only warns."""
    result = subprocess.run(
        [str(BRIDGE_PY), "-m", "handover_bridge", "seed-demo-week"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "JIELI_LOG_LEVEL": "ERROR", **env},
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--no-demo-data",
        action="store_true",
        help="do not seed the demo week of conversations (also JIELI_DEMO_DATA=false)",
    )
    args = parser.parse_args(argv)
    demo_data = not args.no_demo_data and os.environ.get("JIELI_DEMO_DATA", "true").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )
    log_dir = ROOT / "var" / "log"
    bridge_url = f"http://127.0.0.1:{BRIDGE_PORT}"
    action_token = secrets.token_urlsafe(24)  # fresh for every demo run, shared by both sides
    # Rasa's trackers: var/rasa/trackers.db unless JIELI_RASA_TRACKER_STORE names another store
    services = rasa_services(
        RASA_PORT,
        ACTION_PORT,
        ROOT / "models" / "jieli.tar.gz",
        log_dir,
        tracker_store=os.environ.get("JIELI_RASA_TRACKER_STORE") or None,
    )
    services[0].env.update({"JIELI_BRIDGE_URL": bridge_url, "JIELI_ACTION_TOKEN": action_token})
    services.append(
        bridge_service(
            BRIDGE_PORT,
            RASA_PORT,
            ACTION_PORT,
            log_dir,
            {
                "JIELI_DEMO_MODE": "true",
                "JIELI_ACTION_TOKEN": action_token,
                "JIELI_DATABASE_URL": os.environ.get(
                    "JIELI_DATABASE_URL", f"sqlite+aiosqlite:///{ROOT / 'var' / 'bridge.db'}"
                ),
            },
            rasa_token=services[1].token,
        )
    )
    password = os.environ.get("JIELI_DEMO_PASSWORD", "jieli-demo")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if demo_data:
        seed_demo_week(services[-1].env)
    print("Starting the action server, Rasa and the bridge (the model takes ~20 s to load) …", flush=True)
    try:
        start_all(services)
        print(
            f"""
Jieli is running (demo mode, embedded SQLite store).
  demo shop with the widget   {bridge_url}/shop/
  agent console               {bridge_url}/console/
  dashboard (agent1, lead)    {bridge_url}/console/dashboard.html{"      with a demo week (演示数据)" if demo_data else ""}
  demo agents                 agent1 / {password}    agent2 / {password}
  bridge health               {bridge_url}/healthz      metrics {bridge_url}/metrics
  Rasa (private, token)       http://127.0.0.1:{RASA_PORT}      action server http://127.0.0.1:{ACTION_PORT} (Rasa only)
  logs                        var/log/
Chat from a terminal instead: .venv/bin/python scripts/chat.py --url {bridge_url}
Press Ctrl-C to stop.
""",
            flush=True,
        )
        while all(s.process.poll() is None for s in services):
            time.sleep(1)
        stopped = [s.name for s in services if s.process.poll() is not None]
        print(f"{', '.join(stopped)} stopped; shutting down (see var/log/)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        # a second Ctrl-C or SIGTERM while stopping must not leave half the stack running
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("Stopping …", flush=True)
        stop_all(services)


if __name__ == "__main__":
    sys.exit(main())
