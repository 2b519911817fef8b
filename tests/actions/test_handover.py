"""action_handover with a fake bridge client (success and failure), the context it builds from
tracker fixtures, the ask / offer actions, and the real bridge client against a local HTTP server
(headers, idempotency key, one retry, time-outs)."""
from __future__ import annotations

import json

import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused, SlotSet

from actions import handover_actions
from actions.bridge_client import BridgeClient, BridgeError, HandoverTicket, get_bridge_client
from actions.handover_actions import (ActionAskHandoverProblem, ActionHandover, ActionOfferHandover, queued_text)
from actions.handover_context import CATEGORIES, build_handover
from actions.settings import get_settings
from jieli_testkit import (HUMAN, FROZEN_NOW, LocalServer, closed_port_url, identity_token, load_tracker, message,
                           run_action)

FALLBACK = ("非常抱歉，现在没能为您接通人工客服 🙏 人工客服的服务时间是每天 9:00–22:00，"
            "您也可以拨打客服热线 400-820-5151（每天 9:00–21:00）。"
            "或者直接在这里留言，写下您的问题、订单号和联系方式，客服会尽快联系您。")
TICKET_OFFER = {"type": "ticket_offer", "service_hours": "每天 9:00–22:00", "hotline": "400-820-5151",
                "hotline_hours": "每天 9:00–21:00"}
ORDER = "2024111500034503"
PAUSED = [ConversationPaused(), ActionExecuted("action_listen")]  # paused, then listening for the resume


def apology(text: str = FALLBACK, custom: dict | None = None) -> dict:
    return {**message(text), "custom": TICKET_OFFER if custom is None else custom}


class FakeBridge:
    def __init__(self, ticket: HandoverTicket | None = None, error: Exception | None = None):
        self.ticket, self.error = ticket, error
        self.calls: list[tuple[dict, str]] = []
        self.closed = False

    def create_handover(self, context: dict, idempotency_key: str) -> HandoverTicket:
        self.calls.append((context, idempotency_key))
        if self.error:
            raise self.error
        return self.ticket

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def bridge(monkeypatch):
    def install(**kwargs) -> FakeBridge:
        fake = FakeBridge(**kwargs)
        monkeypatch.setattr(handover_actions, "get_bridge_client", lambda: fake)
        return fake
    return install


# ---------------------------------------------------------------------------------------------
# action_handover

def test_handover_queues_and_pauses(bridge):
    fake = bridge(ticket=HandoverTicket(queue_position=2, eta_seconds=95, agents_online=3))
    tracker = load_tracker("handover_after_refund")
    events, messages = run_action(ActionHandover(), tracker)
    assert events == PAUSED
    assert messages == [message("好的，已经为您转接人工客服 🙋 您现在排在第 2 位，预计等待约 2 分钟（当前 3 位客服在线）。"
                                "我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~")]
    [(body, key)] = fake.calls
    assert key == "handover:c-handover:m005"
    assert fake.closed
    assert set(body) == {"conversation_id", "reason", "category", "priority", "summary", "context"}
    json.dumps(body)  # what the bridge receives is JSON


def test_handover_clears_the_escalation_slots_and_pauses(bridge):
    bridge(ticket=HandoverTicket(queue_position=1, eta_seconds=30, agents_online=1))
    events, _ = run_action(ActionHandover(), load_tracker("handover_first_message"))
    assert events == [SlotSet("handover_pending", None), SlotSet("escalation", None), *PAUSED]


def test_handover_body_matches_what_the_bridge_accepts():
    body = build_handover(load_tracker("handover_after_refund"))
    assert body["conversation_id"] == "c-handover"
    assert body["reason"] == "request_human"
    assert body["category"] == "售后" and body["category"] in CATEGORIES
    assert body["priority"] == 1 and isinstance(body["priority"], int)
    assert body["summary"] == ("客户诉求：我的退款被驳回了 为什么???；这什么破服务 答非所问 / 订单号：2024111500034503 / "
                               "机器人已答复：订单 2024111500034503：您 11月18日 10:00 申请的退款 ¥78.30 已被驳回…… / "
                               "转人工原因：客户要求转人工 / 情绪：不满")
    assert isinstance(body["context"], dict) and body["context"]["summary"] == body["summary"]


def test_handover_context_carries_the_whole_conversation():
    context = build_handover(load_tracker("handover_after_refund"))["context"]
    assert context["conversation_id"] == "c-handover"
    assert context["order_id"] == ORDER and context["order_ids"] == [ORDER]
    assert context["order"] == {"order_id": ORDER, "status": "paid", "status_text": "待发货", "total": "78.30",
                                "items": ["感冒灵颗粒 ×1", "维生素C泡腾片 ×2"], "order_verified": False}
    assert context["slots"] == {"order_id": ORDER, "order_topic": None, "product": None, "pending_confirm": None}
    assert context["reasons"] == [{"code": "request_human", "explanation": "客户要求转人工"}]
    assert context["problem"]["text"] == "我的退款被驳回了 为什么???；这什么破服务 答非所问"
    assert [m["turn"] for m in context["problem"]["messages"]] == [2, 4]
    assert [(i["turn"], i["intent"], i["confidence"]) for i in context["intents"]] == [
        (1, "greet", 0.97), (2, "refund", 0.97), (3, "inform_order_id", 0.97), (4, "complain", 0.88),
        (5, "request_human", 0.99)]
    assert context["entities"] == [{"entity": "order_id", "value": ORDER, "turn": 3}]
    assert context["metadata"] == {"customer_id": "cust-42"}
    # a customer id the widget sent is a claim (顾客自述), not identity
    assert context["customer"] == {"verified": False, "claimed": {"customer_id": "cust-42"}}
    assert context["channel"] == "rest"
    assert context["requested_at"] == FROZEN_NOW.isoformat()
    assert context["frustration_level"] == "不满" and 0.3 <= context["frustration"] < 0.7
    assert context["human_requests"] == 1
    transcript = context["transcript"]
    assert [t["sender"] for t in transcript] == ["customer", "bot", "customer", "bot", "bot", "customer", "bot",
                                                 "customer", "bot", "customer"]
    assert transcript[0] == {"turn": 1, "sender": "customer", "text": "你好", "timestamp": "2024-11-20T01:50:28+00:00",
                             "intent": "greet", "confidence": 0.97, "abusive": False}
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
    assert context["problem"]["text"] == ("我買的感冒藥付款五天了還沒發貨，訂單號2024111500034503；"
                                          "我申請退款也被自動拒絕了 為什麼；商家讓我找平台人工客服 到底怎麼回事？？？")
    assert "转人工原因：客户连续两次要求人工" in body["summary"]
    assert "机器人已答复：订单 2024111500034503：您 11月18日 10:00 申请的退款 ¥78.30 已被驳回。" in body["summary"]
    assert context["customer"] == {"verified": False, "page": f"/orders/{ORDER}",
                                   "claimed": {"customer_id": "cust-1001", "tier": "VIP"}}
    assert context["metadata"]["current_order"] == {"order_id": ORDER, "amount": "78.30"}
    assert [s["name"] for s in context["signals"]["observed"]][:2] == ["explicit_request", "human_requests"]


def test_a_first_message_request_carries_the_description():
    body = build_handover(load_tracker("handover_first_message"))
    context = body["context"]
    assert body["category"] == "物流"
    assert context["problem"]["text"] == f"我的藥買了五天還沒發貨 訂單號 {ORDER}"
    assert context["reasons"] == [{"code": "request_human", "explanation": "客户一开始就要求人工，已按要求补充问题"}]
    assert body["summary"].startswith(f"客户诉求：我的藥買了五天還沒發貨 訂單號 {ORDER} / 订单号：{ORDER} / "
                                      "机器人已答复：还没有给出具体答复 / 转人工原因：客户一开始就要求人工")
    assert "escalation" not in context["slots"] and context["slots"]["handover_pending"] is True


def test_insults_are_flagged_turn_by_turn_and_masked_in_the_summary():
    body = build_handover(load_tracker("handover_insults"))
    context = body["context"]
    assert body["reason"] == "abuse" and body["category"] == "售后"
    customer = [t for t in context["transcript"] if t["sender"] == "customer"]
    assert [(t["abusive"], t.get("abuse_words")) for t in customer] == [
        (False, None), (True, ["垃圾客服"]), (True, ["傻逼", "tmd"])]
    assert customer[2]["text"] == "你们这帮傻逼 tmd 钱到底什么时候退给我"  # the console masks, the record is whole
    assert context["abuse"] == {"turns": [2, 3], "words": ["tmd", "傻逼", "垃圾客服"]}
    assert "傻逼" not in body["summary"] and "tmd" not in body["summary"]
    assert "你们这帮** *** 钱到底什么时候退给我" in context["problem"]["text"]
    assert body["summary"].endswith("转人工原因：客户两次出言辱骂（已标记，可屏蔽）；客户情绪愤怒 / 情绪：愤怒")
    assert body["priority"] == 2 and context["priority_factors"] == ["客户情绪愤怒"]


@pytest.mark.parametrize("fixture,reason,category,why", [
    ("handover_fallbacks", "bot_failure", "产品", "机器人连续三次没听懂"),
    ("handover_courier", "complaint", "物流", "客户两次投诉"),
])
def test_implicit_escalations(fixture, reason, category, why):
    body = build_handover(load_tracker(fixture))
    assert (body["reason"], body["category"]) == (reason, category)
    assert f"转人工原因：{why}" in body["summary"]
    assert body["context"]["problem"]["messages"]


def test_claimed_tier_and_order_value_raise_nothing():
    tracker = load_tracker("bad_input", text="订单2024111500034503 转人工", intent="request_human")
    tracker.events[3]["metadata"] = {"tier": "gold", "customer_id": "C1001",
                                     "current_order": {"order_id": "2024111500034503", "amount": 1299}}
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
    assert context["customer"] == {"verified": True, "customer_id": "C1001", "tier": "gold", "claimed": {"tier": "svip"}}
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
    tracker = load_tracker("bad_input", text=f"订单{ORDER} 转人工", intent="request_human",
                           slots={"verified_orders": {ORDER: "3333"}})
    assert build_handover(tracker)["context"]["order"]["order_verified"] is True
    forged = load_tracker("bad_input", text=f"订单{ORDER} 转人工", intent="request_human",
                          slots={"verified_orders": {ORDER: "1234"}})   # digits that do not match the order
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


@pytest.mark.parametrize("ticket,text", [
    (HandoverTicket(1, 30, 1), "好的，已经为您转接人工客服 🙋 您现在排在第 1 位，预计等待不到 1 分钟（当前 1 位客服在线）。"
                               "我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"),
    (HandoverTicket(4, None, 0, {"ticket_offered": True}),
     "好的，已经为您转接人工客服 🙋 您现在排在第 4 位。现在暂时没有在线的客服（人工服务时间 每天 9:00–22:00），"
     "客服上线后会按顺序接待您，着急的话也可以直接留言。我们刚才的聊天记录客服都能看到，您不用再重复说明。"),
    (HandoverTicket(), "好的，已经为您转接人工客服 🙋 我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"),
    (HandoverTicket(0, 0, 2, {"already": True, "state": "assigned"}),
     "客服已经在为您处理啦，请稍等片刻～我们刚才的聊天记录客服都能看到，您不用再重复说明。"),
])
def test_queued_text(ticket, text):
    assert queued_text(ticket) == text


def test_bridge_failure_apologises_offers_a_ticket_and_keeps_the_bot(bridge):
    fake = bridge(error=BridgeError("bridge unreachable"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [apology()]
    assert len(fake.calls) == 1 and fake.closed


def test_bridge_failure_still_clears_the_escalation_slots(bridge):
    bridge(error=BridgeError("bridge unreachable"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_news_case"))
    assert events == [SlotSet("escalation", None)] and messages == [apology()]


def test_unexpected_error_still_apologises(bridge):
    bridge(error=RuntimeError("bug"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [apology()]


def test_no_bridge_configured_apologises():
    assert get_bridge_client() is None
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [apology()]


def test_broken_policy_still_apologises(bridge, env, tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text("shop: [", encoding="utf-8")
    env(JIELI_POLICY_PATH=str(bad))
    bridge(error=BridgeError("down"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == []
    assert messages == [apology("非常抱歉，现在没能为您接通人工客服 🙏 请稍后再试，或者直接在这里留言，客服会尽快联系您。",
                                {"type": "ticket_offer"})]


# ---------------------------------------------------------------------------------------------
# the ask and offer actions

def test_ask_for_the_problem_when_a_bridge_is_configured(env):
    env(JIELI_BRIDGE_URL="http://127.0.0.1:8080")
    events, messages = run_action(ActionAskHandoverProblem(), load_tracker("bad_input", text="轉人工客服!!!",
                                                                           intent="request_human"))
    assert events == [SlotSet("handover_pending", True)]
    assert messages == [message("请简单描述一下您遇到的问题，我马上为您转接人工客服～")]


def test_without_a_bridge_the_ask_action_apologises_at_once():
    events, messages = run_action(ActionAskHandoverProblem(), load_tracker("bad_input", text="转人工",
                                                                           intent="request_human"))
    assert events == [] and messages == [apology()]


def test_offer_before_the_request_limit():
    events, messages = run_action(ActionOfferHandover(), load_tracker("bad_input", text="人工", intent="request_human"))
    assert events == []
    assert messages == [message("我可以为您转接人工客服 🙋 方便先说说遇到了什么问题吗？简单的问题我现在就能帮您查；"
                                "还是想找人工的话，再点一下「转人工」就行。", buttons=[HUMAN])]


# ---------------------------------------------------------------------------------------------
# the real client, against a local bridge

def scripted(*answers):
    """A bridge that gives the scripted answers in turn (the last one repeats)."""
    queue = list(answers)

    def respond(method, path, headers, body):
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return respond


OK = (201, {"queue_position": 3, "eta_seconds": 120, "agents_online": 2})
CONTEXT = {"conversation_id": "c1", "transcript": [{"sender": "customer", "text": "人工"}]}


def client(server, **kwargs) -> BridgeClient:
    return BridgeClient(server.url, "action-token", timeout=kwargs.pop("timeout", 1.0), retry_delay=0.01, **kwargs)


def test_client_posts_context_with_token_and_idempotency_key():
    with LocalServer(scripted(OK)) as server:
        ticket = client(server).create_handover(CONTEXT, "c1:12")
    assert (ticket.queue_position, ticket.eta_seconds, ticket.agents_online) == (3, 120, 2)
    [request] = server.requests
    assert request["method"] == "POST" and request["path"] == "/api/handovers"
    assert request["headers"]["Authorization"] == "Bearer action-token"
    assert request["headers"]["Idempotency-Key"] == "c1:12"
    assert request["body"] == CONTEXT


def test_client_retries_once_after_a_server_error():
    with LocalServer(scripted((503, {"error": {"code": "busy", "message": "x"}}), OK)) as server:
        assert client(server).create_handover(CONTEXT, "c1:12").queue_position == 3
    assert len(server.requests) == 2
    assert {r["headers"]["Idempotency-Key"] for r in server.requests} == {"c1:12"}


def test_client_gives_up_after_two_server_errors():
    with LocalServer(scripted((500, {"error": {"code": "internal", "message": "x"}}))) as server:
        with pytest.raises(BridgeError):
            client(server).create_handover(CONTEXT, "k")
    assert len(server.requests) == 2


def test_client_does_not_retry_a_refusal():
    with LocalServer(scripted((401, {"error": {"code": "unauthorized", "message": "bad token"}}))) as server:
        with pytest.raises(BridgeError):
            client(server).create_handover(CONTEXT, "k")
    assert len(server.requests) == 1


def test_client_retries_after_a_time_out():
    with LocalServer(scripted((201, {"queue_position": 9}, 1.0), OK)) as server:
        assert client(server, timeout=0.3).create_handover(CONTEXT, "k").queue_position == 3
    assert len(server.requests) == 2


def test_client_rejects_an_answer_that_is_not_json():
    with LocalServer(scripted((201, b"created"))) as server:
        with pytest.raises(BridgeError):
            client(server).create_handover(CONTEXT, "k")


def test_client_unreachable_bridge():
    with pytest.raises(BridgeError):
        BridgeClient(closed_port_url(), "t", timeout=0.5, retry_delay=0.01).create_handover(CONTEXT, "k")


def test_client_from_settings(env):
    env(JIELI_BRIDGE_URL="http://127.0.0.1:8080/", JIELI_ACTION_TOKEN="tok", JIELI_BRIDGE_TIMEOUT="2.5")
    configured = get_bridge_client()
    assert (configured.base_url, configured.token, configured.timeout, configured.retries) == (
        "http://127.0.0.1:8080", "tok", 2.5, 1)
    configured.close()


def test_handover_end_to_end_through_a_local_bridge(env):
    with LocalServer(scripted(OK)) as server:
        env(JIELI_BRIDGE_URL=server.url, JIELI_ACTION_TOKEN="action-token", JIELI_BRIDGE_TIMEOUT="2")
        assert get_settings().bridge_url == server.url
        tracker = load_tracker("handover_after_refund")
        events, messages = run_action(ActionHandover(), tracker)
    assert events == PAUSED
    assert "您现在排在第 3 位，预计等待约 2 分钟（当前 2 位客服在线）" in messages[0]["text"]
    [request] = server.requests
    assert request["headers"]["Idempotency-Key"] == "handover:c-handover:m005"
    assert request["headers"]["Authorization"] == "Bearer action-token"
    body = request["body"]
    assert body["conversation_id"] == "c-handover" and body["category"] == "售后" and body["priority"] == 1
    assert body["context"]["order_ids"] == [ORDER]
    assert len(body["context"]["transcript"]) == 10


def test_handover_end_to_end_when_the_bridge_is_down(env):
    env(JIELI_BRIDGE_URL=closed_port_url(), JIELI_ACTION_TOKEN="action-token", JIELI_BRIDGE_TIMEOUT="0.5")
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [apology()]
