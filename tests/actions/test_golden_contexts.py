"""The golden handover contexts (tests/fixtures/handover/*.json, scripts/record_golden_contexts.py)
are what the real build_handover produces now, so the fakes that replay them cannot drift; and
together they cover every reason code, each frustration level, and verified and claimed customers."""

from __future__ import annotations

import pytest

import jieli_contract as contract
from actions.handover_context import build_handover
from golden_cases import CASES, GOLDEN_DIR, bot_unavailable_body, recorded

RECORD = "run `.venv-rasa/bin/python scripts/record_golden_contexts.py` and look at the diff"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_recorded_context_is_what_build_handover_produces_now(name):
    assert recorded(name)["body"] == build_handover(CASES[name]()), RECORD


def test_the_bridges_own_context_is_recorded_too():
    assert recorded("bot_unavailable")["body"] == bot_unavailable_body(), RECORD
    assert {p.stem for p in GOLDEN_DIR.glob("*.json")} == {*CASES, "bot_unavailable"}


def test_the_golden_contexts_cover_the_contract():
    bodies = [recorded(name)["body"] for name in [*CASES, "bot_unavailable"]]
    assert {b["reason"] for b in bodies} == set(contract.HANDOVER_REASONS)
    contexts = [b["context"] for b in bodies]
    assert {c.get("frustration_level") for c in contexts} >= {level.label for level in contract.FRUSTRATION_LEVELS}
    observed = {s["name"] for c in contexts for s in (c.get("signals") or {}).get("observed", [])}
    assert len(observed) >= 10 and observed <= set(contract.SIGNALS)
    customers = [c.get("customer") or {} for c in contexts]
    assert any(c.get("verified") for c in customers) and any(c.get("claimed") for c in customers)
    assert all(c.get("version") == contract.CONTEXT_VERSION for c in contexts)


def test_the_golden_contexts_match_the_schema():
    """(jsonschema here, in Rasa's environment; the bridge checks them with its own validator too.)"""
    import jsonschema

    validator = jsonschema.Draft202012Validator(contract.handover_schema())
    for name in [*CASES, "bot_unavailable"]:
        assert [e.message for e in validator.iter_errors(recorded(name)["body"])] == [], name
