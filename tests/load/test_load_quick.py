"""The load test's pieces, quickly, on the embedded set-up (`make test-load`, about 2 minutes).

`bench/bench_load.py --quick` for real: scripts/topology.py starts Rasa, an action server and a
bridge under supervisord; the Locust swarm (its own process) runs customers on the widget's
WebSocket protocol — FAQ questions, order look-ups asked again later, a request for a person —
and an agent on the console's socket; the bridge is killed with kill -9 under that load and
supervisord starts it again. What a user would notice is asserted from the run's JSON: every
message the bridge acknowledged is in its database once, in order; the customers whose socket
died came back and went on; the person who asked for an agent got one; the bot answered.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

pytestmark = pytest.mark.skipif(
    not (ROOT / "models" / "jieli.tar.gz").exists() or not (ROOT / ".venv-rasa" / "bin" / "rasa").exists(),
    reason="needs the trained model and .venv-rasa (make train)",
)


_RUN: dict = {}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """One quick run for every test of this file (a failed run is not started again per test)."""
    if not _RUN:
        from bench.load.main import main

        out = tmp_path_factory.mktemp("load") / "load.json"
        _RUN["status"] = main(["--quick", "--customers", "6", "--fault-seconds", "30", "--json", str(out)])
        _RUN["data"] = json.loads(out.read_text()) if out.exists() else None
    assert _RUN["data"] is not None, f"the quick load test itself failed (status {_RUN['status']}; see its output)"
    return _RUN["data"]


def test_every_acknowledged_message_is_stored_once_in_order(run):
    check = run["checks"]["quick"]
    assert check["acked"]["customer"] >= 10, "too few customer messages to mean anything"
    assert check["stored_once"]["customer"] == check["acked"]["customer"]
    assert check["stored_once"].get("agent", 0) == check["acked"].get("agent", 0)
    assert not any(check[k] for k in ("lost", "doubled", "moved", "out_of_order")), check["examples"]
    assert check["bot_doubled"] == 0, check["examples"]
    assert check["ok"]


def test_customers_on_the_killed_bridge_reconnect_and_go_on(run):
    (kill,) = run["phases"][0]["kills"]
    assert kill["program"] == "bridge-1" and kill["at"], kill
    assert kill["back_at"], "supervisord did not bring the bridge back"
    customers = kill["customers"]
    assert customers["dropped"] >= 1, "no customer socket was open on the bridge when it died"
    assert customers["reconnected"] == customers["dropped"]
    assert customers["resumed"] == customers["dropped"], "a customer's next message was never acknowledged"


def test_the_bot_answers_and_an_agent_takes_the_handover(run):
    phase = run["phases"][0]
    assert phase["bot_turns"] >= 5
    assert phase["handovers"]["asked"] >= 1
    assert phase["handovers"]["served"] >= 1, "no customer who asked for a person saw an agent's message"
    assert phase["slots"]["forgotten"] == 0, phase["slots"]["examples"]


def test_no_socket_saw_a_message_twice(run):
    phase = run["phases"][0]
    assert phase["duplicate_frames"] == 0
    assert phase["ack_mismatches"] == 0
    assert "gave up reconnecting" not in phase["errors"], phase["errors"]
