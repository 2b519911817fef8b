"""action_problem_report (a damaged, wrong, missing … item) and action_clarify (the bot is not sure)."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.clarify_actions import ActionClarify
from actions.problem_actions import ActionProblemReport
from jieli_testkit import HUMAN, load_tracker, message, question, run_action

ORDER = "2024111500067806"


def test_a_damaged_item_is_named_with_its_policy_line_and_the_order_number_asked():
    tracker = load_tracker(
        "refund_timeline",
        text="刚拆开快递 杯子把手断了",
        intent="return_exchange",
        entities=[{"entity": "problem", "value": "damaged"}],
        slots={"order_id": None},
    )
    events, messages = run_action(ActionProblemReport(), tracker)
    assert events == []
    assert messages == [
        message(
            "非常抱歉，收到的商品有破损，给您添麻烦了 🙏破损属于质量问题，签收 15 天内包退换，来回运费由我们承担。"
            "麻烦发一下订单号，方便的话再拍一张问题部位的照片，我马上帮您转人工客服处理，您也可以直接点「转人工」。",
            buttons=[HUMAN],
        )
    ]


def test_an_order_number_in_the_report_is_kept_not_asked_again():
    tracker = load_tracker(
        "refund_timeline",
        text=f"订单{ORDER} 显示签收了但我没收到",
        intent="order_status",
        entities=[{"entity": "order_id", "value": ORDER}, {"entity": "problem", "value": "not_received"}],
        slots={"order_id": None},
    )
    events, messages = run_action(ActionProblemReport(), tracker)
    assert events == [SlotSet("order_id", ORDER)]
    text = messages[0]["text"]
    assert "没有收到包裹" in text and f"订单 {ORDER} 我已经记下了" in text and "麻烦发一下订单号" not in text


def test_a_fault_the_manual_explains_gets_the_manual_fix_first_then_the_policy_and_a_person():
    tracker = load_tracker(
        "refund_timeline",
        text="小夜灯开了感应模式 晚上人走过去还是不亮 用不了",
        intent="product_usage",
        entities=[{"entity": "problem", "value": "cannot_use"}],
        slots={"order_id": None},
    )
    events, messages = run_action(ActionProblemReport(), tracker)
    text = messages[0]["text"]
    assert text.startswith("非常抱歉，收到的商品用不了")
    assert "\n说明书上的办法：" in text and "感应模式" in text and "长按电源键 3 秒" in text
    assert "质量问题签收 15 天内包退换" in text and "麻烦发一下订单号" in text
    assert messages[0]["buttons"] == [HUMAN]


def test_a_fault_of_an_unnamed_product_gets_no_guessed_manual_text():
    tracker = load_tracker(
        "refund_timeline",
        text="东西收到就用不了 按哪里都没反应",
        intent="product_usage",
        entities=[{"entity": "problem", "value": "cannot_use"}],
        slots={"order_id": None, "product": None},
    )
    _, messages = run_action(ActionProblemReport(), tracker)
    assert "说明书" not in messages[0]["text"] and "麻烦发一下订单号" in messages[0]["text"]


def test_an_account_that_will_not_log_in_needs_a_person_not_an_order_number():
    tracker = load_tracker(
        "refund_timeline",
        text="换了手机号收不到验证码 登不上了",
        intent="change_address",
        entities=[{"entity": "problem", "value": "account"}],
        slots={"order_id": None},
    )
    events, messages = run_action(ActionProblemReport(), tracker)
    assert events == []
    assert messages == [
        message(
            "登录不上、收不到验证码或者 App 用不了，确实耽误事，给您添麻烦了 🙏账号和 App 的问题需要人工客服核实您的身份和"
            "情况后处理，我这边没法直接操作。我马上帮您转人工客服处理，您也可以直接点「转人工」。",
            buttons=[HUMAN],
        )
    ]


def test_clarify_offers_the_two_likeliest_topics_and_a_person():
    tracker = load_tracker("refund_timeline", text="钱的事怎么弄", intent="refund")
    tracker.latest_message["intent_ranking"] = [
        {"name": "refund", "confidence": 0.45},
        {"name": "greet", "confidence": 0.2},
        {"name": "payment", "confidence": 0.18},
        {"name": "coupon", "confidence": 0.1},
    ]
    events, messages = run_action(ActionClarify(), tracker)
    assert events == []
    assert messages == [
        question(
            "抱歉，我不太确定您的意思 😅 您是想问「退款」，还是「付款问题」呢？都不是的话，可以换个说法告诉我，或者直接转人工客服。",
            buttons=[{"title": "退款", "payload": "/refund"}, {"title": "付款问题", "payload": "/payment"}, HUMAN],
        )
    ]
