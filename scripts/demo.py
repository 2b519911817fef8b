"""`make demo`: run Jieli in the foreground and print where to reach it. Ctrl-C stops everything.

Starts the action server and the Rasa server (both on 127.0.0.1), on the demo shop database
(var/shop.db, seeded by `make shop-db`). In a terminal it then opens a chat with the bot.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from supervise import ROOT, rasa_services, start_all, stop_all  # noqa: E402

RASA_PORT = int(os.environ.get("JIELI_RASA_PORT", "5005"))
ACTION_PORT = int(os.environ.get("JIELI_ACTION_PORT", "5055"))


def main() -> int:
    services = rasa_services(RASA_PORT, ACTION_PORT, ROOT / "models" / "jieli.tar.gz", ROOT / "var" / "log")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print("Starting the action server and Rasa (the model takes ~20 s to load) …", flush=True)
    try:
        start_all(services)
        print(f"""
Jieli is running.
  Rasa REST channel   http://127.0.0.1:{RASA_PORT}/webhooks/rest/webhook
  Rasa HTTP API       http://127.0.0.1:{RASA_PORT}/model/parse
  action server       http://127.0.0.1:{ACTION_PORT}/health
  logs                var/log/
Try:  curl -s localhost:{RASA_PORT}/webhooks/rest/webhook -d '{{"sender":"me","message":"退货运费谁出?"}}'
Press Ctrl-C to stop.
""", flush=True)
        if sys.stdin.isatty():
            from chat import main as chat

            sys.argv = [sys.argv[0], "--url", f"http://127.0.0.1:{RASA_PORT}"]
            chat()
        else:
            while all(s.process.poll() is None for s in services):
                time.sleep(1)
            print("a service stopped; shutting down", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        print("Stopping …", flush=True)
        stop_all(services)
    return 0


if __name__ == "__main__":
    sys.exit(main())
