"""The export writes Rasa 3 training data that `rasa data validate --fail-on-warnings` accepts and
that Rasa reads back exactly as meant — awkward customer text included — with nothing that the
training data (or the held-out test set) already has; the seed FAQ answers agree with the shop
policy. Runs the export code of the bridge and the Rasa of .venv-rasa on a copy of the project."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from handover_bridge.services.learning import training_export as tx
from handover_bridge.services.learning import training_text

from .rasa_project import KNOWN_NOTICE, ROOT, Project, need_rasa

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def candidate(
    number: int, examples: list[str], *, intent: str | None = None, answer: str | None = None, reusable: bool = False
) -> dict:
    return {
        "id": number,
        "handover_id": 100 + number,
        "conversation_id": f"{number:02d}" + "ab" * 15,
        "intent": intent,
        "examples": examples,
        "answer": answer,
        "reusable": reusable,
        "reviewed_at": NOW + timedelta(minutes=number),
    }


CANDIDATES = [
    # a reusable answer: a new FAQ, with awkward text (brackets, braces, quotes, a new line, emoji)
    candidate(
        1,
        ["你们有实体店吗", "有没有[线下]门店", "可以去店里{看看}吗", "店在哪儿😊", "客服几点上班"],
        intent="product_info",
        reusable=True,
        answer='我们目前只有"线上店铺"，暂时没有线下实体店 🙏\n有问题随时找我们 {客服}',
    ),
    # tagged examples under existing intents; one order number; Traditional and full-width text
    candidate(2, ["订单2024112300012399的快递停在中转站三天不动了", "我的快递怎么卡在中转站了"], intent="order_status"),
    candidate(3, ["退款退到哪张卡上了", "我的快递怎么卡在中转站了！", "退款退到哪張卡上了", "！！"], intent="refund"),
    # nothing new: every example is already in the training data or the held-out set
    candidate(4, ["查物流", "我的快递到哪了"], intent="order_status"),
    # the held-out set must never leak into training
    candidate(5, ["客服这个工作累不累"], intent="out_of_scope"),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    need_rasa()
    project = Project.copy(tmp_path_factory.mktemp("project"))
    existing = tx.existing_examples(project.nlu_dir, [ROOT / "tests" / "nlu" / "heldout.yml"])
    plan = tx.plan_export(
        CANDIDATES,
        known_origins=[tx.origin_of(c["conversation_id"], c["handover_id"]) for c in CANDIDATES],
        previous=[],
        existing=existing,
    )
    project.learned.write_text(plan.text, encoding="utf-8")
    return project, plan


def test_rasa_data_validate_accepts_the_export(exported):
    project, _ = exported
    result = project.validate()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    notices = [line for line in output.splitlines() if "UserWarning" in line]
    assert all(KNOWN_NOTICE in line for line in notices), notices


def test_rasa_reads_back_what_was_meant(exported):
    project, plan = exported
    data = project.load_nlu()
    faq = f"faq/{tx.faq_key(CANDIDATES[0]['conversation_id'], CANDIDATES[0]['handover_id'])}"
    assert faq == "faq/learned_01ababab_101"
    # brackets do not become entity annotations, braces are no slot placeholders
    assert data["examples"][faq] == ["你们有实体店吗", "有没有【线下】门店", "可以去店里{看看}吗", "店在哪儿😊"]
    assert data["responses"][f"utter_{faq}"] == [
        {"text": '我们目前只有"线上店铺"，暂时没有线下实体店 🙏\n有问题随时找我们 ｛客服｝'}
    ]
    # the order number is the order_id entity; the text reads as the customer wrote it
    assert "订单2024112300012399的快递停在中转站三天不动了" in data["examples"]["order_status"]
    assert "退款退到哪张卡上了" in data["examples"]["refund"]
    assert "退款退到哪張卡上了" not in data["examples"]["refund"] or training_text._t2s() is None
    assert plan.faqs == 1


def test_no_example_is_written_twice_nor_one_the_data_already_has(exported):
    project, plan = exported
    data = yaml.safe_load(project.learned.read_text(encoding="utf-8"))
    written = [line[2:] for item in data["nlu"] for line in item["examples"].strip().split("\n")]
    keys = [tx.dedupe_key(text) for text in written]
    assert len(keys) == len(set(keys))
    others = tx.existing_examples(project.nlu_dir)
    assert not [text for text, key in zip(written, keys) if key in others]
    reasons = {(s["candidate"], s["example"]): s["reason"] for s in plan.summary()["skipped"]}
    assert reasons[(1, "客服几点上班")] == "duplicate"  # a seed FAQ example
    assert reasons[(3, "我的快递怎么卡在中转站了！")] == "duplicate"  # candidate 2 has it
    assert reasons[(3, "！！")] == "too_short"
    assert reasons[(4, None)] == "empty"  # nothing new at all
    assert reasons[(5, None)] == "empty" and reasons[(5, "客服这个工作累不累")] == "duplicate"
    assert [item["intent"] for item in data["nlu"]] == ["faq/learned_01ababab_101", "order_status", "refund"]


def test_the_export_is_deterministic(exported, tmp_path):
    project, plan = exported
    again = tx.plan_export(
        list(reversed(CANDIDATES)),
        known_origins=[],
        previous=[],
        existing=tx.existing_examples(project.nlu_dir, [ROOT / "tests" / "nlu" / "heldout.yml"]),
    )
    assert again.text == plan.text
    # and an export from a store that knows none of these handovers keeps them as they are
    kept = tx.plan_export(
        [],
        known_origins=[],
        previous=tx.read_generated(project.learned),
        existing=tx.existing_examples(project.nlu_dir),
    )
    assert kept.text == plan.text


def test_the_seed_faq_answers_agree_with_the_shop_policy():
    policy = yaml.safe_load((ROOT / "shop" / "policy.yml").read_text(encoding="utf-8"))["shop"]
    faq = yaml.safe_load((ROOT / "data" / "nlu" / "faq.yml").read_text(encoding="utf-8"))
    hours = faq["responses"]["utter_faq/service_hours"][0]["text"]
    ship = faq["responses"]["utter_faq/ship_from"][0]["text"]
    assert policy["service_hours"].replace("每天 ", "") in hours and policy["hotline"] in hours
    assert policy["hotline_hours"].replace("每天 ", "") in hours
    assert f"{policy['dispatch_hours']} 小时内发货" in ship and "杭州仓" in ship
    delivery = next(
        t
        for t in yaml.safe_load((ROOT / "shop" / "policy.yml").read_text(encoding="utf-8"))["shipping"]["topics"]
        if t["id"] == "delivery_time"
    )["answer"]
    assert "杭州仓发货" in delivery and "江浙沪皖 1–2 天" in delivery


def test_the_repository_export_if_any_is_valid_and_generated():
    """data/nlu/learned_from_agents.yml, when the project has one, is the export's own output."""
    path = Path(ROOT / "data" / "nlu" / tx.GENERATED_FILE)
    if not path.exists():
        pytest.skip("no learned_from_agents.yml in this checkout yet")
    entries = tx.read_generated(path)
    assert path.read_text(encoding="utf-8") == tx.render(entries)
