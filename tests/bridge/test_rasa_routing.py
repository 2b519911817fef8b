"""Which Rasa node a conversation goes to (domain/rasa_routing.py) and how JIELI_RASA_URL names
the nodes: the ranking is the same in every process, spreads conversations evenly, and a node
that goes away (or joins) moves only its own conversations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from handover_bridge.config import ConfigError, Settings
from handover_bridge.domain import rasa_routing
from handover_bridge.domain.rasa_routing import NodeHealth, ranking, route

from .conftest import ROOT, SECRET

A, B, C = "http://10.0.0.1:5005", "http://10.0.0.2:5005", "http://10.0.0.3:5005"
IDS = [f"conversation-{n}" for n in range(30_000)]


def first_choices(nodes, down=()) -> dict[str, str]:
    return {cid: route(cid, nodes, down)[0] for cid in IDS}


def test_the_ranking_is_the_same_in_every_process_and_for_any_order_of_the_list():
    here = {cid: ranking(cid, [A, B, C]) for cid in IDS[:200]}
    assert all(ranking(cid, [C, A, B]) == here[cid] for cid in here)
    # another interpreter with another hash seed (Python's own hash() would differ there)
    code = (
        "import json, sys; from handover_bridge.domain.rasa_routing import ranking; "
        f"print(json.dumps({{c: ranking(c, {[B, C, A]!r}) for c in {IDS[:200]!r}}}))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert json.loads(out) == here
    # and the same as when this was written: a changed hash would move every live conversation
    names = {A: "A", B: "B", C: "C"}
    assert "".join(names[ranking(cid, [A, B, C])[0]] for cid in IDS[:12]) == "BABBBBCACCAC"


def test_conversations_spread_evenly_over_the_nodes():
    for nodes in ([A, B], [A, B, C]):
        shares = Counter(first_choices(nodes).values())
        assert set(shares) == set(nodes)
        for node in nodes:
            assert abs(shares[node] / len(IDS) - 1 / len(nodes)) < 0.02, shares


def test_a_node_going_down_moves_only_its_own_conversations_and_spreads_them():
    before = first_choices([A, B, C])
    after = first_choices([A, B, C], down={B})
    moved = {cid for cid in IDS if before[cid] != after[cid]}
    assert moved == {cid for cid in IDS if before[cid] == B}
    assert B not in after.values()
    # each goes to its own second choice: both other nodes take a fair part
    landed = Counter(after[cid] for cid in moved)
    assert set(landed) == {A, C} and abs(landed[A] - landed[C]) < 0.1 * len(moved)
    assert all(after[cid] == ranking(cid, [A, B, C])[1] for cid in moved)
    # back up: every conversation returns to where it was
    assert first_choices([A, B, C], down=()) == before


def test_a_node_joining_takes_only_its_fair_share():
    before = first_choices([A, B])
    after = first_choices([A, B, C])
    moved = [cid for cid in IDS if before[cid] != after[cid]]
    assert all(after[cid] == C for cid in moved)
    assert abs(len(moved) / len(IDS) - 1 / 3) < 0.02


def test_down_nodes_come_last_never_first():
    assert route("x", [A, B], down={A, B}) == ranking("x", [A, B])
    first, second = ranking("x", [A, B])
    assert route("x", [A, B], down={first}) == [second, first]


def test_a_down_node_waits_longer_after_every_failure_and_is_up_when_it_answers():
    health = NodeHealth()
    assert health.up and not health.due(0)
    waits = []
    for now in range(6):
        health = health.failed(now, first_wait=1.0, longest_wait=10.0)
        waits.append(health.retry_at - now)
        assert not health.up
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert not health.due(health.retry_at - 0.01) and health.due(health.retry_at)
    assert health.answered() == NodeHealth()


def test_node_labels_never_show_a_password():
    assert rasa_routing.label("http://user:s3cret@rasa-1:5005/") == "http://rasa-1:5005/"
    assert rasa_routing.label("http://[::1]:5005") == "http://[::1]:5005"


def settings(rasa_url: str) -> Settings:
    return Settings.from_env({"JIELI_RASA_URL": rasa_url, "JIELI_SECRET_KEY": SECRET, "JIELI_DEMO_MODE": "true"})


def test_jieli_rasa_url_takes_one_url_as_before_or_a_comma_list():
    one = settings("http://127.0.0.1:5005/")
    assert one.rasa_url == "http://127.0.0.1:5005" and one.rasa_urls == ("http://127.0.0.1:5005",)
    assert Settings().rasa_urls == ("http://127.0.0.1:5005",)
    two = settings(" http://127.0.0.1:5005/ , http://127.0.0.1:5006,")
    assert two.rasa_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")


@pytest.mark.parametrize(
    "value, problem",
    [
        (",", "at least one Rasa node"),
        ("127.0.0.1:5005", r"expected http\(s\) URLs"),
        ("http://127.0.0.1:5005,ftp://x", r"expected http\(s\) URLs"),
        ("http://127.0.0.1:port", r"expected http\(s\) URLs"),
        ("http://127.0.0.1:5005,http://127.0.0.1:5005/", "listed twice"),
    ],
)
def test_jieli_rasa_url_refuses_what_is_not_a_list_of_nodes(value, problem):
    with pytest.raises(ConfigError, match=problem):
        settings(value)
