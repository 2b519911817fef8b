"""action_handover with a fake bridge client (success and failure), and the real bridge client
against a local HTTP server (headers, idempotency key, one retry, time-outs)."""
from __future__ import annotations

import pytest
from rasa_sdk.events import ConversationPaused

from actions import handover_actions
from actions.bridge_client import BridgeClient, BridgeError, HandoverTicket, get_bridge_client
from actions.handover_actions import ActionHandover, build_context, queued_text
from actions.settings import get_settings
from jieli_testkit import FROZEN_NOW, LocalServer, closed_port_url, load_tracker, message, run_action

FALLBACK = ("非常抱歉，现在没能为您接通人工客服 🙏 人工客服的服务时间是每天 9:00–22:00，"
            "您也可以拨打客服热线 400-820-5151（每天 9:00–21:00）。"
            "或者直接在这里留言，写下您的问题、订单号和联系方式，客服会尽快联系您。")


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


def test_handover_queues_and_pauses(bridge):
    fake = bridge(ticket=HandoverTicket(queue_position=2, eta_seconds=95, agents_online=3))
    tracker = load_tracker("handover_after_refund")
    events, messages = run_action(ActionHandover(), tracker)
    assert events == [ConversationPaused()]
    assert messages == [message("好的，已经为您转接人工客服 🙋 您现在排在第 2 位，预计等待约 2 分钟（当前 3 位客服在线）。"
                                "我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~")]
    [(context, key)] = fake.calls
    assert key == f"c-handover:{len(tracker.events)}"
    assert fake.closed


def test_handover_context_carries_the_whole_conversation():
    context = build_context(load_tracker("handover_after_refund"))
    assert context["conversation_id"] == "c-handover"
    assert context["order_id"] == "2024111500034503"
    assert context["slots"] == {"order_id": "2024111500034503", "order_topic": None, "product": None,
                                "pending_confirm": None}
    assert context["reason"] == "customer_request"
    assert context["category"] == "after_sales"
    assert context["priority"] == "high"
    assert context["summary"] == "顾客要求转人工；话题：退款售后；订单 2024111500034503；最近的问题：这什么破服务 答非所问"
    assert [i["intent"] for i in context["latest_intents"]] == ["greet", "refund", "inform_order_id", "complain", "request_human"]
    assert context["metadata"] == {"customer_id": "cust-42"}
    assert context["channel"] == "rest"
    assert context["requested_at"] == FROZEN_NOW.isoformat()
    transcript = context["transcript"]
    assert [t["sender"] for t in transcript] == ["customer", "bot", "customer", "bot", "bot", "customer", "bot",
                                                 "customer", "bot", "customer"]
    assert transcript[0] == {"sender": "customer", "text": "你好", "timestamp": "2024-11-20T01:50:28+00:00", "intent": "greet"}
    assert transcript[3]["buttons"] == ["转人工"]
    assert transcript[-1]["text"] == "人工客服" and transcript[-1]["intent"] == "request_human"
    assert all(t["timestamp"].startswith("2024-11-20T01:") for t in transcript)
    assert context["transcript_truncated"] is False


def test_handover_context_clips_huge_messages():
    context = build_context(load_tracker("bad_input", text="啊" * 5000, intent="request_human"))
    assert context["transcript"][-1]["text"] == "啊" * 4000 + "…"
    assert context["reason"] == "customer_request" and context["category"] == "general"


@pytest.mark.parametrize("intent,reason,category", [
    ("complain", "complaint", "complaint"), ("insult", "abuse", "complaint"), ("nlu_fallback", "bot_failure", "general")])
def test_handover_reason(intent, reason, category):
    context = build_context(load_tracker("bad_input", text="...", intent=intent))
    assert (context["reason"], context["category"], context["priority"]) == (
        reason, category, "high" if intent in ("complain", "insult") else "normal")


@pytest.mark.parametrize("ticket,text", [
    (HandoverTicket(1, 30, 1), "好的，已经为您转接人工客服 🙋 您现在排在第 1 位，预计等待不到 1 分钟（当前 1 位客服在线）。"
                               "我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"),
    (HandoverTicket(4, None, 0), "好的，已经为您转接人工客服 🙋 您现在排在第 4 位。现在暂时没有在线的客服（人工服务时间 每天 9:00–22:00），"
                                 "客服上线后会按顺序接待您，着急的话也可以直接留言。我们刚才的聊天记录客服都能看到，您不用再重复说明。"),
    (HandoverTicket(), "好的，已经为您转接人工客服 🙋 我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"),
])
def test_queued_text(ticket, text):
    assert queued_text(ticket) == text


def test_bridge_failure_apologises_and_keeps_the_bot(bridge):
    fake = bridge(error=BridgeError("bridge unreachable"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [message(FALLBACK)]
    assert len(fake.calls) == 1 and fake.closed


def test_unexpected_error_still_apologises(bridge):
    bridge(error=RuntimeError("bug"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [message(FALLBACK)]


def test_no_bridge_configured_apologises():
    assert get_bridge_client() is None
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [message(FALLBACK)]


def test_broken_policy_still_apologises(bridge, env, tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text("shop: [", encoding="utf-8")
    env(JIELI_POLICY_PATH=str(bad))
    bridge(error=BridgeError("down"))
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == []
    assert messages[0]["text"].startswith("非常抱歉，现在没能为您接通人工客服")


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
    assert events == [ConversationPaused()]
    assert "您现在排在第 3 位，预计等待约 2 分钟（当前 2 位客服在线）" in messages[0]["text"]
    [request] = server.requests
    assert request["headers"]["Idempotency-Key"] == f"c-handover:{len(tracker.events)}"
    assert request["body"]["conversation_id"] == "c-handover"
    assert request["body"]["order_id"] == "2024111500034503"
    assert len(request["body"]["transcript"]) == 10


def test_handover_end_to_end_when_the_bridge_is_down(env):
    env(JIELI_BRIDGE_URL=closed_port_url(), JIELI_ACTION_TOKEN="action-token", JIELI_BRIDGE_TIMEOUT="0.5")
    events, messages = run_action(ActionHandover(), load_tracker("handover_after_refund"))
    assert events == [] and messages == [message(FALLBACK)]
