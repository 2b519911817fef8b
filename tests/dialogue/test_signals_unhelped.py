"""jieli_dialogue.signals: unhelped_turns (the bot answers confidently beside the point), problem
reports, explanations after a complaint and clarifying questions (event dicts built with
convo.Convo)."""

from __future__ import annotations

import pytest

from convo import Convo, order
from jieli_dialogue.signals import (
    CLARIFY_ACTION,
    HANDOVER_ACTION,
    PROBLEM_ACTION,
    Thresholds,
    compute_signals,
    decide,
)

# ---------------------------------------------------------------------------------------------
# unhelped_turns: the bot answers confidently beside the point

MENU = "接力 Air 蓝牙耳机的配对、触控和充电，您想了解哪一项？"
ASK_ID = "麻烦发一下您的订单号哦，我马上帮您查。"


def technical_problem() -> Convo:
    return (
        Convo()
        .user("耳机左边那只连上以后一直滋滋响还断断续续", "product_usage")
        .bot("action_product_usage", MENU, clarify=True)
        .user("固件升级到v2.3之后低频就失真", "return_exchange", confidence=0.7)
        .bot("action_return_exchange", ASK_ID, clarify=True)
        .user("那个什么eq均衡器在哪调啊", "nlu_fallback", confidence=0.3)
    )


def test_a_technical_problem_bounced_between_menus_hands_over_on_the_third_miss():
    convo = technical_problem()
    signals = compute_signals(convo.events)
    assert signals.consecutive_fallbacks == 1 and signals.unhelped_turns == 3
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)
    assert "没帮上忙" in decision.explanations[0]


def test_saying_the_answer_did_not_help_counts():
    convo = (
        Convo()
        .user("耳机连不上手机", "product_usage")
        .bot("action_product_usage", "请先长按5秒进入配对模式……")
        .user("我试过了没用", "product_usage")
        .bot("action_product_usage", "请先长按5秒进入配对模式……")
        .user("重置了还是不行", "return_exchange", confidence=0.6)
    )
    assert compute_signals(convo.events).unhelped_turns == 3
    assert decide(convo.events).action == HANDOVER_ACTION


def test_following_the_advice_without_success_after_two_answers_hands_over():
    # "按你说的弄了 还是选不上": the bot answered twice, its advice was followed and did not work
    convo = (
        Convo()
        .user("红包怎么抵扣不了", "coupon")
        .bot("action_coupon", "结算时系统会自动选最划算的券……")
        .user("满200减20的那张一直是灰的", "coupon")
        .bot("action_coupon", "满减券要求实付金额达到门槛……")
        .user("照你说的都看过了 还是灰的", "product_usage", confidence=0.6)
    )
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)


@pytest.mark.parametrize(
    "answer",
    [
        ('/product_usage{"topic":"earbuds_pairing"}', "product_usage", []),  # clicks a button
        ("左耳连不上", "product_usage", []),  # stays on the topic
        ("2024111500034503", "inform_order_id", [order("2024111500034503")]),  # gives the number
    ],
)
def test_a_question_of_the_bot_that_is_taken_up_is_not_a_miss(answer):
    text, intent, entities = answer
    convo = (
        Convo()
        .user("耳机怎么用", "product_usage")
        .bot("action_product_usage", MENU, clarify=True)
        .user(text, intent, entities=entities)
    )
    assert compute_signals(convo.events).unhelped_turns == 0


def test_a_happy_customer_who_moves_on_is_not_handed_over():
    convo = (
        Convo()
        .user("发票怎么开", "invoice")
        .bot("action_invoice", "您想开哪种发票？", clarify=True)
        .user("优惠券怎么领", "coupon")
        .bot("action_coupon", "领券中心在……", clarify=True)
        .user("你是机器人吗", "bot_challenge")
        .bot("utter_bot_challenge", "我是智能客服小接~")
        .user("好的谢谢", "thank")
    )
    signals = compute_signals(convo.events)
    assert signals.unhelped_turns == 0
    assert decide(convo.events) is None


def test_miss_limit_comes_from_the_thresholds_and_zero_switches_it_off():
    convo = technical_problem()
    assert decide(convo.events, Thresholds(miss_limit=4)) is None
    assert decide(convo.events, Thresholds(miss_limit=0)) is None


def _faq(convo: Convo, text: str, key: str) -> Convo:
    convo.user(text, "faq")
    convo.events[-1]["parse_data"]["response_selector"] = {
        "faq": {"response": {"intent_response_key": key, "confidence": 0.9}}
    }
    return convo


def test_two_different_faq_questions_are_not_one_question_repeated():
    convo = _faq(Convo(), "你们客服几点下班", "faq/service_hours").bot("utter_faq", "客服时间 9:00–22:00")
    _faq(convo, "到底从哪里发货", "faq/ship_from").bot("utter_faq", "杭州仓发货")
    _faq(convo, "到底从哪发的货啊", "faq/ship_from")
    signals = compute_signals(convo.events)
    assert signals.repeat_count == 2  # the ship-from question twice, not the service hours


def test_telling_what_happened_after_utter_complain_hands_over():
    """utter_complain asks what happened and promises to pass it on: the answer is handed over."""
    convo = Convo().user("快递员态度太差了 还骂人", "complain")
    assert decide(convo.events) is None
    convo.bot("utter_complain", "非常抱歉给您带来了不好的体验，您可以把情况简单说一下").user(
        "订单号2024111800045604", "inform_order_id"
    )
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons[0] == "complaint"
    assert decision.signals.explains_complaint


@pytest.mark.parametrize("answer, intent", [("不用了", "deny"), ("好的谢谢", "thank"), ("嗯", "affirm")])
def test_small_talk_after_utter_complain_is_not_an_explanation(answer, intent):
    convo = Convo().user("快递员态度太差了 还骂人", "complain")
    convo.bot("utter_complain", "非常抱歉给您带来了不好的体验").user(answer, intent)
    assert decide(convo.events) is None


def test_a_question_after_another_answer_is_not_an_explanation():
    convo = Convo().user("发票怎么开", "invoice").bot("action_invoice", "在订单详情里申请开票")
    convo.user("发票抬头写错了能改吗", "invoice")
    assert not compute_signals(convo.events).explains_complaint


KETTLE_SMELL = "第一次使用前，装水到 MAX 刻度线烧开后倒掉，重复 2–3 次，可以去除新壶的气味。"


def test_the_same_script_said_again_then_no_help_is_the_third_miss():
    """The kettle still smells: the bot says the same lines twice, then "试过了没用"."""
    convo = (
        Convo()
        .user("水壶烧水有异味", "product_usage")
        .bot("action_product_usage", KETTLE_SMELL)
        .user("按说明书清洗过了 还是有味道", "product_usage")
        .bot("action_product_usage", KETTLE_SMELL)
        .user("试过了没用", "return_exchange", confidence=0.6)
    )
    assert compute_signals(convo.events).unhelped_turns == 3
    assert decide(convo.events).reasons[0] == "bot_failure"


def test_asking_again_what_the_bot_could_only_answer_with_a_question_passed_over():
    """App crashes: a product menu passed over, a fallback, and the same question again."""
    convo = (
        Convo()
        .user("app一直闪退", "product_usage")
        .bot("action_product_usage", "您想了解哪款商品的使用方法？", clarify=True)
        .user("重装了还是闪退", "nlu_fallback", confidence=0.3)
        .bot("utter_default", "抱歉，我没太明白您的意思")
        .user("手机是华为的 系统最新", "product_usage", confidence=0.6)
    )
    assert compute_signals(convo.events).unhelped_turns == 3
    assert decide(convo.events).action == HANDOVER_ACTION


def test_the_same_answer_to_a_button_clicked_twice_is_not_a_miss():
    convo = (
        Convo()
        .user("/invoice", "invoice", confidence=1.0)
        .bot("action_invoice", "在订单详情里申请开票")
        .user("/invoice", "invoice", confidence=1.0)
        .bot("action_invoice", "在订单详情里申请开票")
        .user("没用", "complain")
    )
    assert compute_signals(convo.events).unhelped_turns == 2


def test_asking_the_topic_again_with_an_order_number_is_new_information():
    convo = (
        Convo()
        .user("我的快递到哪了", "order_status")
        .bot("action_order_status", ASK_ID, clarify=True)
        .user("怎么还没到", "nlu_fallback", confidence=0.3)
        .bot("utter_default", "抱歉，我没太明白您的意思")
        .user("查物流 2024111500034503", "order_status", entities=[order("2024111500034503")])
    )
    assert compute_signals(convo.events).unhelped_turns == 0


PROBLEM = [{"entity": "problem", "value": "damaged"}]


def test_a_problem_report_is_answered_then_the_next_message_about_it_hands_over():
    convo = Convo().user("刚拆开 杯子把手断了", "return_exchange", entities=PROBLEM)
    decision = decide(convo.events)
    assert decision.action == PROBLEM_ACTION and decision.explanations == ("客户报告了商品破损",)
    convo.bot(PROBLEM_ACTION, "非常抱歉，收到的商品有破损")
    convo.user("2024111500067806", "inform_order_id")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("problem_report",)


def test_thanks_after_a_problem_report_is_not_a_handover():
    convo = Convo().user("刚拆开 杯子把手断了", "return_exchange", entities=PROBLEM)
    convo.bot(PROBLEM_ACTION, "非常抱歉，收到的商品有破损").user("好的 我先拍照 谢谢", "thank")
    assert decide(convo.events) is None


def test_a_problem_after_the_bot_already_answered_hands_over_at_once():
    convo = Convo().user("水壶怎么除垢", "product_usage").bot("action_product_usage", "用白醋……")
    convo.user("用了两天就坏了", "complain", entities=[{"entity": "problem", "value": "cannot_use"}])
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("problem_report",)
    assert "机器人之前的答复没有解决" in decision.explanations[0]


def test_saying_it_did_not_help_after_two_answers_hands_over():
    convo = Convo().user("退款几天到账", "refund").bot("action_refund", "原路退回，1–3 个工作日")
    convo.user("那我这单具体哪天能到", "refund").bot("action_refund", "审核通过后 48 小时内退回")
    convo.user("翻来覆去就这些 没用", "complain")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.explanations[0] == "机器人答复了两次，客户说没有用"
    once = Convo().user("退款几天到账", "refund").bot("action_refund", "原路退回，1–3 个工作日").user("没用", "deny")
    decision = decide(once.events)
    assert decision is None or decision.action != HANDOVER_ACTION


def test_a_follow_up_on_the_topic_just_answered_is_not_unsure():
    unsure = Thresholds(clarify_below=0.6)
    convo = Convo().user("能开专票吗", "invoice").bot("action_invoice", "专票需要单位名称、税号……")
    convo.user("要准备啥", "invoice", confidence=0.45)
    assert decide(convo.events, unsure) is None
    other = Convo().user("能开专票吗", "invoice").bot("action_invoice", "专票需要单位名称、税号……")
    other.user("那个咋弄", "payment", confidence=0.45)
    assert decide(other.events, unsure).action == CLARIFY_ACTION


def test_a_clarifying_question_after_two_passed_over_menus_is_the_third_miss():
    """The message the bot is unsure about also passes over the question the bot asked before."""
    convo = Convo().user("app一直闪退", "product_usage").bot("action_product_usage", "您想了解哪款商品？", clarify=True)
    convo.user("重装了还是闪退", "refund", confidence=0.64).bot("action_refund", "您想了解哪一项？", clarify=True)
    convo.user("手机是华为的 系统最新", "product_info", confidence=0.41)
    decision = decide(convo.events, Thresholds(clarify_below=0.6))
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)


def test_voice_input_that_is_only_filler_is_not_understood():
    convo = Convo().user("那个 嗯 就是说 喂喂 听得到吗", "order_status", confidence=0.58).bot("action_clarify", "抱歉")
    convo.user("嗯啊 这个这个 哎呀 不是 刚刚那个", "deny", confidence=0.92).bot("action_handle_deny", "好的~")
    convo.user("喂 喂 信号不好 那个 嗯嗯", "greet", confidence=0.67)
    assert compute_signals(convo.events).consecutive_fallbacks == 3
    assert decide(convo.events).action == HANDOVER_ACTION


def test_a_problem_that_went_away_does_not_hand_over():
    convo = Convo().user("小夜灯充不进电", "product_usage", entities=[{"entity": "problem", "value": "cannot_use"}])
    convo.bot(PROBLEM_ACTION, "非常抱歉，收到的商品用不了")
    convo.user(
        "换了个插头 充上电了 好了 不用转人工了",
        "product_usage",
        entities=[{"entity": "problem", "value": "cannot_use"}],
    )
    assert decide(convo.events) is None


def test_a_problem_that_did_not_go_away_still_hands_over():
    convo = Convo().user("小夜灯充不进电", "product_usage", entities=[{"entity": "problem", "value": "cannot_use"}])
    convo.bot(PROBLEM_ACTION, "非常抱歉，收到的商品用不了")
    convo.user("换了插头也弄不好了", "product_usage")
    assert decide(convo.events).action == HANDOVER_ACTION


def test_a_product_question_the_bot_said_it_cannot_answer_is_a_miss():
    convo = (
        Convo()
        .user("小夜灯能放卫生间吗", "product_info")
        .bot("action_product_info", "商品的库存、尺码…都可以问我", clarify=True)
    )
    convo.user("浴室很潮 放进去会坏吗", "out_of_scope", confidence=0.68).bot(
        "utter_out_of_scope", "这个问题我暂时回答不了"
    )
    convo.user("到底能不能放厕所里", "product_info", confidence=0.61)
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and "bot_failure" in decision.reasons
