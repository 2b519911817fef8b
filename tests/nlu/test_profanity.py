"""The escalation signals flag and mask profanity with the one matcher (jieli_contract.profanity):
every case of tests/cases/profanity.json (the bridge's tests and the console's read it too), and
the matcher's folding table agrees with OpenCC for every character of the lexicon."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import yaml

from jieli_contract.profanity import DEFAULT_PATH, FOLD
from jieli_dialogue import signals as sig
from jieli_nlu.normalize import _VARIANTS, _t2s

CASES = json.loads((Path(__file__).resolve().parents[1] / "cases" / "profanity.json").read_text(encoding="utf-8"))
CJK = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x20000, 0x2FA1F)]


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_the_signals_flag_and_mask_every_case(case):
    lexicon = sig.default_lexicon()
    assert bool(sig.abusive_words(case["text"], lexicon)) is case["abusive"]
    assert sig.mask_profanity(case["text"], lexicon) == case["masked"]


def test_the_folding_table_is_opencc_for_every_character_of_the_lexicon():
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    used = {ch for word in data["words"] + data["allow"] for ch in unicodedata.normalize("NFKC", str(word)).lower()}
    converter = _t2s()
    expected = {}
    for low, high in CJK:
        for point in range(low, high + 1):
            char = chr(point)
            if unicodedata.normalize("NFKC", char) != char:
                continue  # NFKC folds it first
            simple = converter.convert(char).translate(_VARIANTS)
            if simple != char and simple in used:
                expected[char] = simple
    missing = {k: v for k, v in expected.items() if FOLD.get(k) != v}
    assert not missing, f"add to jieli_contract/profanity.py _FOLD_SOURCE: {missing}"
    assert set(FOLD) == set(expected)
