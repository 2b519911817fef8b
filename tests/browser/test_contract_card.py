"""The handover card with contexts produced by the real action: the golden contexts
(tests/fixtures/handover, recorded from `build_handover`; the bot_unavailable one made by the bridge
itself while Rasa is down) show every reason code, every signal in them and each frustration level
in Chinese (jieli_contract's labels, served at GET /api/contract), and no raw JSON anywhere in the
console: no "{" or '"' fragments, no model_id or assistant_id."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

import jieli_contract as contract

from .conftest import ACTION_TOKEN, DESKTOP, PageWatch
from .fake_rasa import GOLDEN, golden_body
from .test_widget_console import login_console, queue_item

RAW = ("{", "}", '"', "model_id", "assistant_id", "5e1b0c7d9a2f4e3b8c6d")
LABELS = contract.as_public_json()
ACTION_GOLDEN = sorted(p.stem for p in GOLDEN.glob("*.json") if p.stem != "bot_unavailable")


def handed_over_as_recorded(bridge, name: str) -> tuple[str, dict]:
    """A customer who wrote what the golden conversation's customer wrote, handed over with the
    golden body, as action_handover posts it."""
    body = golden_body(name)
    context = body["context"]
    widget = {k: v for k, v in (context.get("metadata") or {}).items() if k not in ("model_id", "assistant_id")}
    said = [t["text"] for t in context["transcript"] if t["sender"] == "customer"]
    customer = bridge.customer(*said, metadata=widget)
    body["conversation_id"] = context["conversation_id"] = customer["conversation_id"]
    response = httpx.post(
        f"{bridge.url}/api/handovers",
        json=body,
        timeout=20,
        headers={"Authorization": f"Bearer {ACTION_TOKEN}", "Idempotency-Key": f"golden-{name}"},
    )
    assert response.status_code == 201, response.text
    return customer["conversation_id"], body


def level_label(score: float) -> str:
    return [level["label"] for level in LABELS["frustration_levels"] if score >= level["min"]][-1]


def assert_no_raw_json(text: str, where: str) -> None:
    found = [fragment for fragment in RAW if fragment in text]
    assert not found, f"{where} shows raw JSON or internal keys {found}:\n{text}"


def test_the_card_shows_every_reason_signal_and_level_in_chinese(bridge, contexts):
    agent = contexts(DESKTOP).new_page()
    watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent1")
    bridge.fake.hand_over = False  # the golden bodies are posted as recorded, not the fake's
    cases = [(name, *handed_over_as_recorded(bridge, name)) for name in ACTION_GOLDEN]
    # Rasa is down: the bridge hands over itself (reason bot_unavailable, its own context)
    bridge.fake.fail = True
    down = bridge.customer("我要退货 订单2024111500034503", "你们能不能快点处理")
    bridge.fake.fail = False
    cases.append(("bot_unavailable", down["conversation_id"], golden_body("bot_unavailable")))
    expect(agent.locator(".q-item")).to_have_count(len(cases))

    reasons, signals, levels = set(), set(), set()
    for name, cid, body in cases:
        agent.locator(".tab[data-view=queue]").click()
        queue_item(agent, cid).locator(".q-preview").click()
        card = agent.locator("#handover-card .handover-card")
        expect(card).to_be_visible()
        context = body["context"]
        for reason in context.get("reasons") or [{"code": body["reason"]}]:
            label = LABELS["reasons"][reason["code"]]["label"]
            expect(card.locator(".row", has_text="原因")).to_contain_text(label)
            reasons.add(reason["code"])
        expect(card.locator(".badge.reason")).to_have_text(LABELS["reasons"][body["reason"]]["label"])
        for signal in context.get("signals", {}).get("observed", []):
            label = re.compile("^" + re.escape(LABELS["signals"][signal["name"]]["label"]) + "$")
            expect(
                card.locator(".row", has_text="信号").locator(".chip.signal .chip-label", has_text=label)
            ).to_have_count(1)
            signals.add(signal["name"])
        if "frustration" in context:
            label = level_label(context["frustration"])
            assert label == context["frustration_level"]
            expect(card.locator(".badge.mood")).to_contain_text(f"挫败感 {label}")
            levels.add(label)
        for item in (context.get("intents") or [])[-6:]:  # 最近意图: the bot's intents in Chinese
            label = LABELS["intents"].get(item["intent"], {}).get("label")
            assert label, f"no label for the intent {item['intent']}"
            expect(card.locator(".row", has_text="最近意图")).to_contain_text(label)
        assert_no_raw_json(card.inner_text(), f"the card of {name}")
        assert_no_raw_json(agent.locator("#app").inner_text(), f"the console showing {name}")

    assert reasons == set(contract.HANDOVER_REASONS)
    assert levels == {level["label"] for level in LABELS["frustration_levels"]}
    assert signals == {s["name"] for _, _, b in cases for s in b["context"].get("signals", {}).get("observed", [])}
    assert len(signals) >= 10
    agent.locator(".tab[data-view=queue]").click()
    assert_no_raw_json(agent.locator("#app").inner_text(), "the queue")
    watch.assert_clean()
