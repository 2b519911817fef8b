"""jieli_contract: one definition of states, reasons, signals, levels, categories, tiers and the
priority rule, which the action, the signals and the bridge all use."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import jieli_contract as contract
from jieli_contract import schema as schema_module
from jieli_dialogue import signals as sig


def test_states_and_transitions():
    assert contract.STATES == ("bot", "queued", "assigned", "closed", "ticket")
    allowed = {(a, b) for a in contract.STATES for b in contract.STATES if contract.can_transition(a, b)}
    assert allowed == {
        ("bot", "queued"),
        ("bot", "ticket"),
        ("queued", "assigned"),
        ("queued", "bot"),
        ("queued", "ticket"),
        ("assigned", "queued"),
        ("assigned", "assigned"),
        ("assigned", "bot"),
        ("assigned", "closed"),
    }
    assert not contract.can_transition("closed", "nowhere") and not contract.can_transition("x", "bot")
    assert contract.State("queued") == "queued" and set(contract.STATE_LABELS) == set(contract.State)


def test_the_frustration_levels_are_the_signals_levels():
    assert (
        (sig.CALM, sig.UPSET, sig.ANGRY) == (contract.CALM, contract.UPSET, contract.ANGRY) == ("平静", "不满", "愤怒")
    )
    lexicon = sig.Lexicon()
    assert (lexicon.upset_level, lexicon.angry_level) == (contract.UPSET_MIN, contract.ANGRY_MIN) == (0.3, 0.7)
    assert sig.Thresholds().frustration_threshold == contract.ANGRY_MIN
    assert [lexicon.level(x) for x in (0.0, 0.29, 0.3, 0.69, 0.7, 1.0)] == [
        "平静",
        "平静",
        "不满",
        "不满",
        "愤怒",
        "愤怒",
    ]
    assert sig.Lexicon.from_dict(sig.read_lexicon_file(sig.DEFAULT_LEXICON_PATH)).upset_level == contract.UPSET_MIN


def test_every_signal_and_reason_the_code_can_emit_has_a_label():
    source = inspect.getsource(sig.Signals.observed)
    assert set(re.findall(r'add\(\s*"([a-z_]+)"', source)) == set(contract.SIGNALS)
    triggers = inspect.getsource(sig.Signals.triggers) + inspect.getsource(sig.decide)
    handover_codes = set(re.findall(r'\(\s*"([a-z_]+)",\s*f?"', triggers)) - {
        "ask_description",
        "below_request_limit",
        "sarcasm",
        "unsure",
    }
    assert handover_codes <= set(contract.REASON_PRIORITY) and set(contract.REASON_PRIORITY) <= set(contract.REASONS)
    assert contract.first_reason(["frustration", "abuse"]) == "abuse" and contract.first_reason([]) == "request_human"


def test_the_one_priority_rule():
    assert contract.priority().level == 1
    full = contract.priority(frustration=0.7, human_requests=2, verified_tier=" SVIP ", verified_order_value=1000)
    assert full.level == 5 and full.factors == ("angry", "repeated_requests", "vip", "high_order_value")
    assert contract.priority(angry=True, verified_tier="黄金").factors == ("angry", "vip")
    assert (
        contract.priority(frustration=0.69, human_requests=1, verified_tier="silver", verified_order_value=999).level
        == 1
    )
    assert contract.priority(frustration=0.6, angry_at=0.6).level == 2


def test_the_schema_says_what_the_code_says():
    schema = contract.handover_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["reason"]["enum"] == [*contract.HANDOVER_REASONS, None]
    assert schema["$defs"]["context"]["properties"]["reason"]["enum"] == list(contract.HANDOVER_REASONS)
    context = schema["$defs"]["context"]["properties"]
    assert context["version"] == {
        "const": contract.CONTEXT_VERSION,
        "description": "the version of this context's shape",
    }
    assert context["frustration_level"]["enum"] == [level.label for level in contract.FRUSTRATION_LEVELS]


def test_nothing_is_read_at_import_time():
    probe = (
        "import builtins, pathlib, sys\n"
        "def refuse(*a, **k): raise AssertionError('a file read at import time')\n"
        "builtins.open = pathlib.Path.read_text = pathlib.Path.open = refuse\n"
        "import jieli_contract\n"
        "assert jieli_contract.schema._schema_text.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=schema_module.SCHEMA_PATH.parent.parent)


def test_the_public_json_has_the_pages_shape():
    data = json.loads(json.dumps(contract.as_public_json(), ensure_ascii=False))
    assert set(data) == {
        "version",
        "context_version",
        "states",
        "reasons",
        "signals",
        "frustration_levels",
        "categories",
        "tiers",
        "intents",
        "channels",
    }
    assert data["channels"]["wechat"] == {"label": "微信"} and data["channels"]["web"] == {"label": "网页"}
    assert data["frustration_levels"] == [
        {"code": "calm", "label": "平静", "min": 0.0},
        {"code": "upset", "label": "不满", "min": 0.3},
        {"code": "angry", "label": "愤怒", "min": 0.7},
    ]
    assert data["reasons"]["repeated_question"]["label"] and data["states"]["ticket"] == {"label": "已留言"}
    assert data["categories"]["物流"] == {"label": "物流", "skill": "logistics"}
    assert all(set(v) == {"label", "explanation"} for v in [*data["reasons"].values(), *data["signals"].values()])
    assert set(data["tiers"]) == set(contract.VIP_TIERS)


def test_every_intent_of_the_domain_has_a_chinese_label():
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    assert intents <= set(contract.INTENT_LABELS), intents - set(contract.INTENT_LABELS)
    assert contract.as_public_json()["intents"]["order_status"] == {"label": "查订单 / 物流"}
