"""action_handover with a fake bridge client (success and failure; the context it builds:
test_handover_context.py), the ask / offer actions, and the real bridge client against a local HTTP server
(headers, idempotency key, one retry, time-outs)."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused, SlotSet

from actions import handover_actions
from actions.bridge_client import BridgeClient, BridgeError, HandoverTicket, get_bridge_client
from actions.handover_actions import ActionAskHandoverProblem, ActionHandover, ActionOfferHandover, queued_text
from actions.settings import get_settings
from jieli_testkit import HUMAN, LocalServer, closed_port_url, load_tracker, message, run_action

FALLBACK = (
    "非常抱歉，现在没能为您接通人工客服 🙏 人工客服的服务时间是每天 9:00–22:00，"
    "您也可以拨打客服热线 400-820-5151（每天 9:00–21:00）。"
    "或者直接在这里留言，写下您的问题、订单号和联系方式，客服会尽快联系您。"
)
TICKET_OFFER = {
    "type": "ticket_offer",
    "service_hours": "每天 9:00–22:00",
    "hotline": "400-820-5151",
    "hotline_hours": "每天 9:00–21:00",
}
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
    assert messages == [
        message(
            "好的，已经为您转接人工客服 🙋 您现在排在第 2 位，预计等待约 2 分钟（当前 3 位客服在线）。"
            "我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"
        )
    ]
    [(body, key)] = fake.calls
    assert key == "handover:c-handover:m005"
    assert fake.closed
    assert set(body) == {"conversation_id", "reason", "category", "priority", "summary", "context"}
    json.dumps(body)  # what the bridge receives is JSON


def test_handover_clears_the_escalation_slots_and_pauses(bridge):
    bridge(ticket=HandoverTicket(queue_position=1, eta_seconds=30, agents_online=1))
    events, _ = run_action(ActionHandover(), load_tracker("handover_first_message"))
    assert events == [SlotSet("handover_pending", None), SlotSet("escalation", None), *PAUSED]


@pytest.mark.parametrize(
    "ticket,text",
    [
        (
            HandoverTicket(1, 30, 1),
            "好的，已经为您转接人工客服 🙋 您现在排在第 1 位，预计等待不到 1 分钟（当前 1 位客服在线）。"
            "我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~",
        ),
        (
            HandoverTicket(4, None, 0, {"ticket_offered": True}),
            "好的，已经为您转接人工客服 🙋 您现在排在第 4 位。现在暂时没有在线的客服（人工服务时间 每天 9:00–22:00），"
            "客服上线后会按顺序接待您，着急的话也可以直接留言。我们刚才的聊天记录客服都能看到，您不用再重复说明。",
        ),
        (HandoverTicket(), "好的，已经为您转接人工客服 🙋 我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"),
        (
            HandoverTicket(0, 0, 2, {"already": True, "state": "assigned"}),
            "客服已经在为您处理啦，请稍等片刻～我们刚才的聊天记录客服都能看到，您不用再重复说明。",
        ),
    ],
)
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
    assert messages == [
        apology(
            "非常抱歉，现在没能为您接通人工客服 🙏 请稍后再试，或者直接在这里留言，客服会尽快联系您。",
            {"type": "ticket_offer"},
        )
    ]


# ---------------------------------------------------------------------------------------------
# the ask and offer actions


def test_ask_for_the_problem_when_a_bridge_is_configured(env):
    env(JIELI_BRIDGE_URL="http://127.0.0.1:8080")
    events, messages = run_action(
        ActionAskHandoverProblem(), load_tracker("bad_input", text="轉人工客服!!!", intent="request_human")
    )
    assert events == [SlotSet("handover_pending", True)]
    assert messages == [message("请简单描述一下您遇到的问题，我马上为您转接人工客服～")]


def test_without_a_bridge_the_ask_action_apologises_at_once():
    events, messages = run_action(
        ActionAskHandoverProblem(), load_tracker("bad_input", text="转人工", intent="request_human")
    )
    assert events == [] and messages == [apology()]


def test_offer_before_the_request_limit():
    events, messages = run_action(ActionOfferHandover(), load_tracker("bad_input", text="人工", intent="request_human"))
    assert events == []
    assert messages == [
        message(
            "我可以为您转接人工客服 🙋 方便先说说遇到了什么问题吗？简单的问题我现在就能帮您查；"
            "还是想找人工的话，再点一下「转人工」就行。",
            buttons=[HUMAN],
        )
    ]


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
        "http://127.0.0.1:8080",
        "tok",
        2.5,
        1,
    )
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
