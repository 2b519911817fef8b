"""jieli_dialogue.signals on event dicts built the way Rasa writes them (convo.Convo): explicit
requests for a person, and when the decision speaks at all. No Rasa import here: the package must
not need it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from convo import PENDING, Convo, asked, handed_over
from jieli_dialogue.signals import (
    ACTION_LISTEN,
    ASK_ACTION,
    CLARIFY_ACTION,
    HANDOVER_ACTION,
    OFFER_ACTION,
    Thresholds,
    compute_signals,
    decide,
)


def test_the_module_does_not_import_rasa():
    code = "import sys, jieli_dialogue.signals; assert 'rasa' not in sys.modules and 'rasa_sdk' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# explicit requests


def test_explicit_request_hands_over_at_once_when_the_customer_already_said_something():
    convo = Convo().user("我的退款被拒绝了", "refund").bot("action_refund", "退款被驳回的常见原因有……")
    convo.user("人工客服", "request_human")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION
    assert decision.reasons == ("request_human",)
    assert decision.explanations == ("客户要求转人工",)
    assert decision.signals.explicit_request and decision.signals.human_requests == 1


def test_the_human_button_is_an_explicit_request():
    convo = Convo().user("我的退款被拒绝了", "refund").bot("action_refund", "……")
    convo.user("/request_human", "request_human", confidence=1.0)
    assert decide(convo.events).action == HANDOVER_ACTION


ASK_FIRST = Thresholds(ask_description_first=True)


def test_a_bare_first_message_request_hands_over_at_once_by_default():
    for text in ("转人工", "rg", "人工客服"):
        decision = decide(Convo().user(text, "request_human").events)
        assert decision.action == HANDOVER_ACTION and decision.reasons[0] == "request_human"


def test_a_bare_first_message_request_asks_for_the_problem_then_hands_over_whatever_comes():
    """Only when a designer switches ask_description_first on."""
    convo = Convo().user("轉人工客服!!!", "request_human")
    decision = decide(convo.events, ASK_FIRST)
    assert decision.action == ASK_ACTION and decision.reasons == ("ask_description",)
    asked_convo = Convo()
    asked(asked_convo)
    assert (
        decide(asked_convo.events, ASK_FIRST) is None or decide(asked_convo.events, ASK_FIRST).action != HANDOVER_ACTION
    )
    asked_convo.user("嗯", "affirm")
    decision = decide(asked_convo.events, ASK_FIRST)
    assert decision.action == HANDOVER_ACTION
    assert decision.signals.pending_description
    assert decision.explanations[0] == "客户一开始就要求人工，已按要求补充问题"


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "轉人工客服!!!",
        "rengong",
        "RENGONG!!!",
        "人工人工人工!!!",
        "有没有活人啊",
        "你好 转人工",
        "在吗 我要人工客服",
        "/request_human",
        "叫你们客服出来",
        "不要机器人 我要人",
    ],
)
def test_bare_requests(text):
    convo = Convo().user(text, "request_human")
    assert not compute_signals(convo.events).request_has_description
    assert decide(convo.events, ASK_FIRST).action == ASK_ACTION
    assert decide(convo.events).action == HANDOVER_ACTION


@pytest.mark.parametrize(
    "text",
    ["我的药还没发货 转人工", "订单2024111500034503 转人工", "退款半个月了还没到 转人工处理", "東西壞了 給我轉人工"],
)
def test_a_first_request_that_describes_the_problem_hands_over_at_once(text):
    convo = Convo().user(text, "request_human")
    assert compute_signals(convo.events).request_has_description
    assert decide(convo.events).action == HANDOVER_ACTION


def test_greetings_and_bot_challenge_do_not_count_as_describing_the_problem():
    convo = Convo().user("你好", "greet").bot("utter_greet", "您好").user("你是机器人吗", "bot_challenge")
    convo.bot("utter_bot_challenge", "我是智能助理")
    convo.user("人工", "request_human")
    assert decide(convo.events, ASK_FIRST).action == ASK_ACTION


def test_unsure_messages_get_a_clarifying_question_that_counts_as_a_miss():
    unsure = Thresholds(clarify_below=0.6)
    convo = Convo().user("这个那个怎么弄啊", "product_usage", confidence=0.41)
    decision = decide(convo.events, unsure)
    assert decision.action == CLARIFY_ACTION and decision.reasons == ("unsure",)
    assert decide(convo.events) is None  # clarify_below 0 (the default): off
    sure = Convo().user("小夜灯怎么充电", "product_usage", confidence=0.93)
    assert decide(sure.events, unsure) is None
    for text, intent in (("2024111500034503", "inform_order_id"), ("嗯", "affirm"), ("人工", "request_human")):
        decision = decide(Convo().user(text, intent, confidence=0.3).events, unsure)
        assert decision is None or decision.action != CLARIFY_ACTION
    # three unsure messages in a row, each about something else: the third hands over (fallback_limit)
    convo = Convo()
    topics = [("这个咋整", "product_usage"), ("弹出来一个框", "payment"), ("灯一直闪紫色", "product_info")]
    for n, (text, intent) in enumerate(topics, start=1):
        convo.user(text, intent, confidence=0.4)
        decision = decide(convo.events, unsure)
        if n < 3:
            assert decision.action == CLARIFY_ACTION
            convo.bot(CLARIFY_ACTION, f"抱歉，我不太确定您的意思（{n}）", clarify=True)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)
    assert decision.explanations == ("机器人连续三次没把握听懂",)


def test_human_request_limit_two_offers_help_first_then_hands_over():
    limit = Thresholds(human_request_limit=2)
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    decision = decide(convo.events, limit)
    assert decision.action == OFFER_ACTION and decision.reasons == ("below_request_limit",)
    convo.bot(OFFER_ACTION, "我可以为您转接人工客服")
    convo.user("人工客服", "request_human")
    decision = decide(convo.events, limit)
    assert decision.action == HANDOVER_ACTION
    assert decision.explanations == ("客户连续两次要求人工",)


def test_requests_are_counted_since_the_last_handover_or_resume():
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    assert compute_signals(convo.events).human_requests == 1
    handed_over(convo).resume().user("EXTERNAL: request_rating", "request_rating", external=True)
    convo.bot("utter_ask_rating", "请打分").user('/rate{"rating":"2"}', "rate").bot("action_rating_thanks", "抱歉")
    convo.user("人工客服", "request_human")
    signals = compute_signals(convo.events)
    assert signals.human_requests == 1 and not signals.first_contact
    assert decide(convo.events).action == HANDOVER_ACTION  # a second escalation works like the first


def test_a_failed_handover_is_retried_on_the_next_request():
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    handed_over(convo, paused=False).action(ACTION_LISTEN)
    convo.user("人工", "request_human")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.signals.human_requests == 1


# ---------------------------------------------------------------------------------------------
# when the policy speaks at all


def test_no_opinion_on_an_ordinary_question():
    assert decide(Convo().user("退款什么时候到账", "refund").events) is None


def test_silent_right_after_the_handover():
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    handed_over(convo)
    assert decide(convo.events) is None
    # While paused the policy is not asked (Rasa's ConversationPaused, after the bridge's own state
    # check): test_escalation_policy.py::test_silent_while_paused_and_after_the_handover.


def test_listens_right_after_its_own_actions():
    convo = Convo()
    asked(convo)
    convo.events.pop()  # no action_listen yet: the next prediction is due
    assert decide(convo.events).action == ACTION_LISTEN
    failed = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    handed_over(failed, paused=False)
    assert decide(failed.events).action == ACTION_LISTEN


def test_only_right_after_a_customer_message():
    convo = Convo().user("人工客服", "request_human").bot("utter_greet", "您好", listen=False)
    assert decide(convo.events) is None


def test_external_messages_are_not_the_customer():
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……")
    convo.user("EXTERNAL: request_rating", "request_rating", external=True)
    assert decide(convo.events) is None
    assert compute_signals(convo.events).customer_turns == 1


def test_restart_and_rewind_are_applied():
    convo = Convo().user("人工客服", "request_human").bot(ASK_ACTION, "请描述", events=[PENDING])
    convo.events.append({"event": "restart"})
    convo.action("action_listen").user("退款什么时候到", "refund")
    assert decide(convo.events) is None
    rewound = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工", "request_human")
    rewound.events.append({"event": "rewind"})
    assert compute_signals(rewound.events).human_requests == 0
