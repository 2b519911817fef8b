"""`make demo`: run all of Jieli in the foreground and print where to reach it. Ctrl-C stops all.

Starts the action server, Rasa and the handover bridge, all on 127.0.0.1, on the embedded
default store (SQLite files under var/) and the demo shop database (var/shop.db, reseeded by
`make shop-db`). The bridge runs in demo mode: agents agent1 and agent2 with the password
`jieli-demo` (or $JIELI_DEMO_PASSWORD), demo origins, demo secrets. Never use demo mode in
production.
"""
from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supervise import ROOT, bridge_service, rasa_services, start_all, stop_all  # noqa: E402

RASA_PORT = int(os.environ.get("JIELI_RASA_PORT", "5005"))
ACTION_PORT = int(os.environ.get("JIELI_ACTION_PORT", "5055"))
BRIDGE_PORT = int(os.environ.get("JIELI_PORT", "8080"))


def main() -> int:
    log_dir = ROOT / "var" / "log"
    bridge_url = f"http://127.0.0.1:{BRIDGE_PORT}"
    action_token = secrets.token_urlsafe(24)  # fresh for every demo run, shared by both sides
    services = rasa_services(RASA_PORT, ACTION_PORT, ROOT / "models" / "jieli.tar.gz", log_dir)
    services[0].env.update({"JIELI_BRIDGE_URL": bridge_url, "JIELI_ACTION_TOKEN": action_token})
    services.append(bridge_service(BRIDGE_PORT, RASA_PORT, ACTION_PORT, log_dir, {
        "JIELI_DEMO_MODE": "true",
        "JIELI_ACTION_TOKEN": action_token,
        "JIELI_DATABASE_URL": os.environ.get("JIELI_DATABASE_URL", f"sqlite+aiosqlite:///{ROOT / 'var' / 'bridge.db'}"),
    }))
    password = os.environ.get("JIELI_DEMO_PASSWORD", "jieli-demo")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print("Starting the action server, Rasa and the bridge (the model takes ~20 s to load) …", flush=True)
    try:
        start_all(services)
        print(f"""
Jieli is running (demo mode, embedded SQLite store).
  demo shop with the widget   {bridge_url}/shop/
  agent console               {bridge_url}/console/
  demo agents                 agent1 / {password}    agent2 / {password}
  bridge health               {bridge_url}/healthz      metrics {bridge_url}/metrics
  Rasa (private)              http://127.0.0.1:{RASA_PORT}      action server http://127.0.0.1:{ACTION_PORT}
  logs                        var/log/
Chat from a terminal instead: .venv/bin/python scripts/chat.py --url {bridge_url}
Press Ctrl-C to stop.
""", flush=True)
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
        print("Stopping …", flush=True)
        stop_all(services)


if __name__ == "__main__":
    sys.exit(main())
