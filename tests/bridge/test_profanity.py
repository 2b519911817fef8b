"""The bridge's profanity flag and the console's list follow the one matcher (jieli_contract.profanity):
every case of tests/cases/profanity.json, the same file the signals' tests (tests/nlu) and the
console's (tests/js/profanity.test.mjs) read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handover_bridge.domain import abuse

CASES = json.loads((Path(__file__).resolve().parents[1] / "cases" / "profanity.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_the_bridge_flags_and_masks_every_case(case):
    lexicon = abuse.Lexicon.load()
    assert lexicon.is_abusive(case["text"]) is case["abusive"]
    assert lexicon.mask(case["text"]) == case["masked"]


def test_the_console_gets_the_folding_table_with_the_list():
    data = abuse.Lexicon.load().as_json()
    assert data["fold"]["媽"] == "妈" and data["fold"]["妳"] == "你"
    assert {"version", "words", "allow", "fold", "etag"} <= set(data)
