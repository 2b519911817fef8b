"""The handover context action_handover builds from tracker fixtures (actions/handover_context.py):
the body the bridge accepts, the whole conversation, reasons, category, priority, identity."""

from __future__ import annotations

import json

import pytest

from actions.handover_context import CATEGORIES, build_handover
from jieli_testkit import FROZEN_NOW, identity_token, load_tracker

ORDER = "2024111500034503"


def test_handover_body_matches_what_the_bridge_accepts():
    body = build_handover(load_tracker("handover_after_refund"))
    assert body["conversation_id"] == "c-handover"
    assert body["reason"] == "request_human"
    assert body["category"] == "售后" and body["category"] in CATEGORIES
    assert body["priority"] == 1 and isinstance(body["priority"], int)
    assert body["summary"] == (
        "客户诉求：我的退款被驳回了 为什么???；这什么破服务 答非所问 / 订单号：2024111500034503 / "
        "机器人已答复：订单 2024111500034503：您 11月18日 10:00 申请的退款 ¥78.30 已被驳回…… / "
        "转人工原因：客户要求转人工 / 情绪：不满"
    )
    assert isinstance(body["context"], dict) and body["context"]["summary"] == body["summary"]


def test_handover_context_carries_the_whole_conversation():
    context = build_handover(load_tracker("handover_after_refund"))["context"]
    assert context["conversation_id"] == "c-handover"
    assert context["order_id"] == ORDER and context["order_ids"] == [ORDER]
    assert context["order"] == {
        "order_id": ORDER,
        "status": "paid",
        "status_text": "待发货",
        "total": "78.30",
        "items": ["感冒灵颗粒 ×1", "维生素C泡腾片 ×2"],
        "order_verified": False,
    }
    assert context["slots"] == {"order_id": ORDER, "order_topic": None, "product": None, "pending_confirm": None}
    assert context["reasons"] == [{"code": "request_human", "explanation": "客户要求转人工"}]
    assert context["problem"]["text"] == "我的退款被驳回了 为什么???；这什么破服务 答非所问"
    assert [m["turn"] for m in context["problem"]["messages"]] == [2, 4]
    assert [(i["turn"], i["intent"], i["confidence"]) for i in context["intents"]] == [
        (1, "greet", 0.97),
        (2, "refund", 0.97),
        (3, "inform_order_id", 0.97),
        (4, "complain", 0.88),
        (5, "request_human", 0.99),
    ]
    assert context["entities"] == [{"entity": "order_id", "value": ORDER, "turn": 3}]
    assert context["metadata"] == {"customer_id": "cust-42"}
    # a customer id the widget sent is a claim (顾客自述), not identity
    assert context["customer"] == {"verified": False, "claimed": {"customer_id": "cust-42"}}
    assert context["channel"] == "rest"
    assert context["requested_at"] == FROZEN_NOW.isoformat()
    assert context["frustration_level"] == "不满" and 0.3 <= context["frustration"] < 0.7
    assert context["human_requests"] == 1
    transcript = context["transcript"]
    assert [t["sender"] for t in transcript] == [
        "customer",
        "bot",
        "customer",
        "bot",
        "bot",
        "customer",
        "bot",
        "customer",
        "bot",
        "customer",
    ]
    assert transcript[0] == {
        "turn": 1,
        "sender": "customer",
        "text": "你好",
        "timestamp": "2024-11-20T01:50:28+00:00",
        "intent": "greet",
        "confidence": 0.97,
        "abusive": False,
    }
    assert transcript[1]["action"] == "utter_greet"
    assert transcript[3]["buttons"] == ["转人工"]
    assert transcript[5]["entities"] == [{"entity": "order_id", "value": ORDER}]
    assert transcript[-1]["text"] == "人工客服" and transcript[-1]["intent"] == "request_human"
    assert all(t["timestamp"].startswith("2024-11-20T01:") for t in transcript)
    assert context["transcript_truncated"] is False
    observed = {s["name"] for s in context["signals"]["observed"]}
    assert {"explicit_request", "complaint", "negative_emotion", "frustration"} <= observed
    assert context["signals"]["thresholds"]["human_request_limit"] == 1


def test_the_news_report_case():
    """Medicine unshipped, refund rejected automatically, the same script twice, 人工客服 (the bridge
    was down), 人工客服 again — in Traditional Chinese, from a VIP customer."""
    body = build_handover(load_tracker("handover_news_case"))
    context = body["context"]
    assert body["reason"] == "request_human" and body["category"] == "售后"
    # "VIP" is only what the widget claimed: it raises nothing
    assert body["priority"] == 2 and context["priority_factors"] == ["客户两次要求人工"]
    assert context["order_ids"] == [ORDER] and ORDER in body["summary"]
    assert context["problem"]["text"] == (
        "我買的感冒藥付款五天了還沒發貨，訂單號2024111500034503；"
        "我申請退款也被自動拒絕了 為什麼；商家讓我找平台人工客服 到底怎麼回事？？？"
    )
    assert "转人工原因：客户连续两次要求人工" in body["summary"]
    assert "机器人已答复：订单 2024111500034503：您 11月18日 10:00 申请的退款 ¥78.30 已被驳回。" in body["summary"]
    assert context["customer"] == {
        "verified": False,
        "page": f"/orders/{ORDER}",
        "claimed": {"customer_id": "cust-1001", "tier": "VIP"},
    }
    assert context["metadata"]["current_order"] == {"order_id": ORDER, "amount": "78.30"}
    assert [s["name"] for s in context["signals"]["observed"]][:2] == ["explicit_request", "human_requests"]


def test_a_first_message_request_carries_the_description():
    body = build_handover(load_tracker("handover_first_message"))
    context = body["context"]
    assert body["category"] == "物流"
    assert context["problem"]["text"] == f"我的藥買了五天還沒發貨 訂單號 {ORDER}"
    assert context["reasons"] == [{"code": "request_human", "explanation": "客户一开始就要求人工，已按要求补充问题"}]
    assert body["summary"].startswith(
        f"客户诉求：我的藥買了五天還沒發貨 訂單號 {ORDER} / 订单号：{ORDER} / "
        "机器人已答复：还没有给出具体答复 / 转人工原因：客户一开始就要求人工"
    )
    assert "escalation" not in context["slots"] and context["slots"]["handover_pending"] is True


def test_insults_are_flagged_turn_by_turn_and_masked_in_the_summary():
    body = build_handover(load_tracker("handover_insults"))
    context = body["context"]
    assert body["reason"] == "abuse" and body["category"] == "售后"
    customer = [t for t in context["transcript"] if t["sender"] == "customer"]
    assert [(t["abusive"], t.get("abuse_words")) for t in customer] == [
        (False, None),
        (True, ["垃圾客服"]),
        (True, ["傻逼", "tmd"]),
    ]
    assert customer[2]["text"] == "你们这帮傻逼 tmd 钱到底什么时候退给我"  # the console masks, the record is whole
    assert context["abuse"] == {"turns": [2, 3], "words": ["tmd", "傻逼", "垃圾客服"]}
    assert "傻逼" not in body["summary"] and "tmd" not in body["summary"]
    assert "你们这帮** *** 钱到底什么时候退给我" in context["problem"]["text"]
    assert body["summary"].endswith("转人工原因：客户两次出言辱骂（已标记，可屏蔽）；客户情绪愤怒 / 情绪：愤怒")
    assert body["priority"] == 2 and context["priority_factors"] == ["客户情绪愤怒"]


@pytest.mark.parametrize(
    "fixture,reason,category,why",
    [
        ("handover_fallbacks", "bot_failure", "产品", "机器人连续三次没听懂"),
        ("handover_courier", "complaint", "物流", "客户两次投诉"),
    ],
)
def test_implicit_escalations(fixture, reason, category, why):
    body = build_handover(load_tracker(fixture))
    assert (body["reason"], body["category"]) == (reason, category)
    assert f"转人工原因：{why}" in body["summary"]
    assert body["context"]["problem"]["messages"]


def test_claimed_tier_and_order_value_raise_nothing():
    tracker = load_tracker("bad_input", text="订单2024111500034503 转人工", intent="request_human")
    tracker.events[3]["metadata"] = {
        "tier": "gold",
        "customer_id": "C1001",
        "current_order": {"order_id": "2024111500034503", "amount": 1299},
    }
    body = build_handover(tracker)
    assert body["priority"] == 1 and body["context"]["priority_factors"] == []
    assert body["context"]["customer"] == {"verified": False, "claimed": {"customer_id": "C1001", "tier": "gold"}}
    assert body["context"]["order"]["order_verified"] is False


def _expensive(shop_db, order_id: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(shop_db)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE shop_orders SET total_cents = 129900 WHERE order_id = :o"), {"o": order_id})
    engine.dispose()


def test_verified_tier_and_the_owners_order_value_raise_the_priority(shop_db):
    _expensive(shop_db, ORDER)
    tracker = load_tracker("bad_input", text=f"订单{ORDER} 转人工", intent="request_human")
    token = identity_token("C1001", tracker.sender_id, tier="gold")
    tracker.latest_message["metadata"] = {"jieli_identity": token}
    tracker.events[3]["metadata"] = {"jieli_identity": token, "tier": "svip"}
    body = build_handover(tracker)
    context = body["context"]
    assert context["customer"] == {
        "verified": True,
        "customer_id": "C1001",
        "tier": "gold",
        "claimed": {"tier": "svip"},
    }
    assert context["order"]["order_verified"] is True and context["order"]["total"] == "1299.00"
    assert body["priority"] == 3 and context["priority_factors"] == ["会员等级 gold", "订单金额 ¥1299.00"]
    assert "jieli_identity" not in context["metadata"] and token not in json.dumps(body, ensure_ascii=False)


def test_someone_elses_order_is_not_verified_for_a_logged_in_customer(shop_db):
    _expensive(shop_db, ORDER)
    tracker = load_tracker("bad_input", text=f"订单{ORDER} 转人工", intent="request_human")
    tracker.latest_message["metadata"] = {"jieli_identity": identity_token("C1002", tracker.sender_id)}
    context = build_handover(tracker)["context"]
    assert context["customer"]["verified"] is True and context["order"]["order_verified"] is False
    assert "订单金额 ¥1299.00" not in context["priority_factors"]


def test_an_order_verified_by_the_phone_digits_is_verified(shop_db):
    tracker = load_tracker(
        "bad_input", text=f"订单{ORDER} 转人工", intent="request_human", slots={"verified_orders": {ORDER: "3333"}}
    )
    assert build_handover(tracker)["context"]["order"]["order_verified"] is True
    forged = load_tracker(
        "bad_input", text=f"订单{ORDER} 转人工", intent="request_human", slots={"verified_orders": {ORDER: "1234"}}
    )  # digits that do not match the order
    assert build_handover(forged)["context"]["order"]["order_verified"] is False


def test_handover_context_clips_huge_messages():
    context = build_handover(load_tracker("bad_input", text="啊" * 5000, intent="request_human"))["context"]
    assert context["transcript"][-1]["text"] == "啊" * 4000 + "…"
    assert context["category"] == "其他" and context["reason"] == "request_human"


def test_a_rule_or_button_handover_without_the_policy_still_explains_itself():
    context = build_handover(load_tracker("bad_input", text="/request_human", intent="request_human"))["context"]
    assert context["reasons"] == [{"code": "request_human", "explanation": "客户要求转人工"}]
    context = build_handover(load_tracker("bad_input", text="嗯", intent="affirm"))["context"]
    assert context["reasons"] == [{"code": "request_human", "explanation": "机器人判断需要人工处理"}]
