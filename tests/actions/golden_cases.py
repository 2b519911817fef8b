"""The golden handover contexts: tracker fixtures that cover every reason code, the signals, each
frustration level, verified and claimed customers. `scripts/record_golden_contexts.py` runs the
real `build_handover` over them and writes tests/fixtures/handover/<case>.json;
test_golden_contexts.py checks the files are what build_handover produces now, the bridge checks
them against the schema, and the browser tests' fake Rasa posts them.

Trackers are the JSON fixtures of tests/actions/fixtures, or event lists built with
tests/dialogue/convo.py with the decision the EscalationPolicy stores (`sig.decide`, slot
`escalation`), as Rasa would have it when action_handover runs."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

from rasa_sdk import Tracker

from jieli_dialogue import signals as sig
from jieli_testkit import demo_owners, identity_token, load_tracker

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "fixtures" / "handover"
ORDER = "2024111500034503"
# what Rasa itself adds to every message's metadata, besides the widget's (the card must not show it)
RASA_METADATA = {"model_id": "5e1b0c7d9a2f4e3b8c6d", "assistant_id": "jieli"}
WIDGET = {"customer_id": "u20241115", "page": "/orders", "tier": "vip"}


def _convo():
    spec = importlib.util.spec_from_file_location("golden_convo", ROOT / "tests" / "dialogue" / "convo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Convo


def decided(convo, slots: dict | None = None, latest_metadata: dict | None = None) -> Tracker:
    """The tracker when action_handover runs: the policy's decision in slot `escalation`."""
    decision = sig.decide(convo.events, sig.Thresholds())
    assert decision is not None and decision.action == sig.HANDOVER_ACTION, decision
    events = convo.events  # the action does not see its own ActionExecuted yet
    last = next(e for e in reversed(events) if e.get("event") == "user")
    latest = {**last["parse_data"], "metadata": {**last["metadata"], **(latest_metadata or {})}}
    if latest_metadata:
        last["metadata"] = latest["metadata"]
    slot_values = {
        "order_id": None,
        "order_topic": None,
        "product": None,
        "pending_confirm": None,
        "handover_pending": None,
        **(slots or {}),
        sig.ESCALATION_SLOT: decision.as_dict(),
    }
    return Tracker.from_dict(
        {
            "sender_id": convo.sender,
            "slots": slot_values,
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
            "latest_input_channel": "rest",
        }
    )


def repeated_question() -> Tracker:
    answer = "您的退款申请已提交，原路退回一般 1-3 个工作日到账。"
    convo = _convo()("c-golden-repeated", {**RASA_METADATA, **WIDGET})
    convo.user("我的退款什么时候到", "refund").bot("action_refund", answer)
    convo.user("我的退款啥时候到账啊", "refund").bot("action_refund", answer)
    convo.user("退款到底什么时候到", "refund")
    return decided(convo)


def frustration() -> Tracker:
    convo = _convo()("c-golden-angry", dict(RASA_METADATA))
    convo.user("快递一个星期了还没到 气死我了", "order_status").bot(
        "action_order_status", "您的订单已发货，预计明天送达。"
    )
    convo.user("退款也一直不到账 太过分了!!!", "refund").bot("action_refund", "退款原路退回，一般 1-3 个工作日到账。")
    convo.user("发票也开不了 受不了了 崩溃!!!", "invoice")
    return decided(convo)


def problem_report() -> Tracker:
    convo = _convo()("c-golden-problem", dict(RASA_METADATA))
    convo.user("我买的耳机怎么配对", "product_usage").bot("action_product_usage", "长按电源键 3 秒进入配对模式。")
    convo.user("收到的耳机壳子是裂的", "complain", entities=[{"entity": "problem", "value": "damaged"}])
    return decided(convo)


def unreadable() -> Tracker:
    convo = _convo()("c-golden-unreadable", dict(RASA_METADATA))
    convo.user("我的订单怎么还没发货", "order_status").bot(
        "action_order_status", "请问您的订单号是多少？", clarify=True
    )
    convo.user("锟斤拷锟斤拷烫烫烫", "nlu_fallback", 0.2).bot("utter_default", "抱歉，我没太明白")
    convo.user("kjhkjh", "out_of_scope", 0.4)
    return decided(convo)


def verified_customer() -> Tracker:
    """A logged-in gold customer asks for a person about their own order (shop total ¥78.30)."""
    tracker = load_tracker("bad_input", text=f"订单{ORDER} 还没发货 转人工", intent="request_human")
    token = identity_token(demo_owners()[ORDER], tracker.sender_id, tier="gold")
    tracker.latest_message["metadata"] = {"jieli_identity": token}
    tracker.events[3]["metadata"] = {"jieli_identity": token, **RASA_METADATA}
    return tracker


CASES: dict[str, Callable[[], Tracker]] = {
    "request_human_upset": lambda: load_tracker("handover_after_refund"),
    "request_human_twice_claimed_vip": lambda: load_tracker("handover_news_case"),
    "request_human_first_message": lambda: load_tracker("handover_first_message"),
    "request_human_verified_customer": verified_customer,
    "abuse_angry": lambda: load_tracker("handover_insults"),
    "bot_failure_fallbacks": lambda: load_tracker("handover_fallbacks"),
    "bot_failure_unreadable": unreadable,
    "complaint_courier": lambda: load_tracker("handover_courier"),
    "repeated_question": repeated_question,
    "frustration_angry": frustration,
    "problem_report": problem_report,
}


def bot_unavailable_body() -> dict:
    """The bridge's own handover when Rasa is down (handover_claims.bridge_context), for the pages."""
    from handover_bridge.domain import handover_claims as claims

    stored = [claims.StoredText(1, "我要退货 订单2024111500034503"), claims.StoredText(2, "你们能不能快点处理")]
    summary, context = claims.bridge_context(stored, {1: "2024-11-20T01:50:21+00:00", 2: "2024-11-20T01:50:28+00:00"})
    return {
        "conversation_id": "c-golden-bot-down",
        "reason": "bot_unavailable",
        "category": "其他",
        "summary": summary,
        "context": context,
    }


def recorded(name: str) -> dict:
    return json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))


def as_file(name: str, body: dict, source: str) -> str:
    return (
        json.dumps({"case": name, "source": source, "body": body}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    )
