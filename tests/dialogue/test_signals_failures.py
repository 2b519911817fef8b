"""jieli_dialogue.signals: fallbacks, unreadable messages, repeated questions, complaints and
insults, and the thresholds (event dicts built with convo.Convo)."""

from __future__ import annotations

import pytest

from convo import Convo, order
from jieli_dialogue import signals as sig
from jieli_dialogue.signals import (
    ANGRY,
    CALM,
    HANDOVER_ACTION,
    UPSET,
    Thresholds,
    compute_signals,
    decide,
)

# ---------------------------------------------------------------------------------------------
# fallbacks, repeats, complaints, insults


def fallback_turns(n: int, via_action: bool = False) -> Convo:
    convo = Convo()
    for i in range(n):
        if via_action:
            convo.user(f"耳机第{i}次连不上", "product_usage", confidence=0.2).bot("action_default_fallback", "抱歉")
        else:
            convo.user(f"蓝牙耳机第{i}次连不上手机", "nlu_fallback", confidence=0.3).bot(
                "utter_default", "抱歉，我没太明白"
            )
    return convo


def test_three_fallbacks_in_a_row_hand_over():
    # the fallback_limit rule on its own (unreadable_limit, below, fires earlier on nlu_fallback)
    convo = fallback_turns(2).user("重置了也不行", "nlu_fallback", confidence=0.3)
    decision = decide(convo.events, Thresholds(unreadable_limit=0))
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)
    assert decision.explanations == ("机器人连续三次没听懂",)


def test_two_messages_the_bot_could_not_read_at_all_hand_over():
    # text broken on the way twice: a clarifying question cannot help, a person can
    convo = Convo().user("锟斤拷锟斤拷锟斤拷", "nlu_fallback", confidence=0.0).bot("utter_default", "抱歉，我没太明白")
    convo.user("æˆ‘è¦é€€æ¬¾ è¿™ä¸ª", "nlu_fallback", confidence=0.0)
    signals = compute_signals(convo.events)
    assert signals.unreadable_turns == 2
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)
    assert decision.explanations == ("连续两条消息机器人完全无法识别",)
    assert "unreadable_turns" in [o["name"] for o in signals.observed()]


def test_emoji_only_then_filler_only_voice_input_hand_over_at_the_second():
    convo = Convo().user("🙏🙏🙏", "out_of_scope", confidence=0.7).bot("utter_out_of_scope", "这个问题我暂时回答不了")
    convo.user("那个 嗯 就是 呃 那个", "greet", confidence=0.5)
    assert decide(convo.events).action == HANDOVER_ACTION


def test_one_unreadable_message_or_an_unsure_one_between_does_not_hand_over():
    convo = Convo().user("ｑｗｅｒ", "out_of_scope", confidence=0.6).bot("utter_default", "抱歉，我没太明白")
    assert decide(convo.events) is None
    # an understood question between two unreadable messages breaks the run
    convo.user("退款几天到账", "refund").bot("action_refund", "……")
    convo.user("锟斤拷锟斤拷", "nlu_fallback", confidence=0.0)
    assert compute_signals(convo.events).unreadable_turns == 1
    assert decide(convo.events) is None
    # a button is never unreadable
    convo2 = fallback_turns(1).user("/affirm", "affirm", confidence=1.0)
    assert compute_signals(convo2.events).unreadable_turns == 0


def test_a_meaningful_message_the_nlu_was_unsure_of_is_not_unreadable():
    # "需要提供哪些信息" after an answer, or a technical detail: words the bot could ask about
    convo = fallback_turns(1).user("左边那个滋滋的一直响", "nlu_fallback", confidence=0.2)
    assert compute_signals(convo.events).unreadable_turns == 0
    assert decide(convo.events) is None


def test_unreadable_limit_comes_from_the_thresholds_and_zero_switches_it_off():
    convo = Convo().user("锟斤拷锟斤拷锟斤拷", "nlu_fallback", confidence=0.0).bot("utter_default", "抱歉，我没太明白")
    convo.user("😂😂😂", "out_of_scope", confidence=0.8)
    assert decide(convo.events, Thresholds(unreadable_limit=3)) is None
    assert decide(convo.events, Thresholds(unreadable_limit=0)) is None
    assert Thresholds.from_mapping({"unreadable_limit": 4}).unreadable_limit == 4


def test_fallback_actions_count_too():
    convo = fallback_turns(2, via_action=True).user("重置了也不行", "nlu_fallback", confidence=0.3)
    assert compute_signals(convo.events).consecutive_fallbacks == 3


def test_an_understood_message_breaks_the_fallback_run():
    convo = fallback_turns(2).user("退款什么时候到账", "refund").bot("action_refund", "……")
    convo.user("还是连不上", "nlu_fallback", confidence=0.3)
    assert compute_signals(convo.events).consecutive_fallbacks == 1
    assert decide(convo.events) is None


def test_nonsense_read_as_out_of_scope_is_not_understood_three_times_over():
    convo = Convo().user("kjhkjh", "out_of_scope", confidence=0.83).bot("utter_out_of_scope", "这个我帮不上忙")
    convo.user("？？", "out_of_scope", confidence=0.99).bot("utter_default", "抱歉，我没太明白")
    convo.user("😂😂😂", "out_of_scope", confidence=0.91)
    assert compute_signals(convo.events).consecutive_fallbacks == 3
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and "bot_failure" in decision.reasons


def test_honest_questions_the_shop_cannot_answer_are_not_misses():
    convo = Convo().user("今天杭州会下雨吗", "out_of_scope").bot("utter_out_of_scope", "这个我帮不上忙")
    convo.user("那你给我讲个笑话吧", "out_of_scope")
    assert compute_signals(convo.events).consecutive_fallbacks == 0
    assert decide(convo.events) is None


def test_rephrasings_close_in_meaning_are_the_same_question():
    assert sig.similarity(sig.normalize_text("我的退款什么时候到"), sig.normalize_text("我的退款啥时候到账啊")) >= 0.5
    convo = Convo().user("我的退款什么时候到", "refund").bot("action_refund", "一般 1–3 个工作日")
    convo.user("我的退款啥时候到账啊", "payment")
    signals = compute_signals(convo.events)
    assert signals.repeat_count == 2 and signals.repeated_texts == ("我的退款什么时候到",)


def test_the_same_intent_with_insistence_is_the_same_question_asked_again():
    convo = Convo().user("退款什么时候到账", "refund").bot("action_refund", "一般 1–3 个工作日到账")
    convo.user("我的退款到底什么时候能到", "refund").bot("action_refund", "一般 1–3 个工作日到账")
    convo.user("钱怎么还没退回来", "refund")
    decision = decide(convo.events)
    assert decision.signals.repeat_count == 3
    assert decision.action == HANDOVER_ACTION and "repeated_question" in decision.reasons


def test_the_bot_repeating_its_answer_makes_the_next_same_intent_question_a_repeat():
    convo = Convo().user("退款为什么被拒", "refund").bot("action_refund", "退款被驳回的常见原因有……")
    convo.user("拒绝理由是什么", "refund").bot("action_refund", "退款被驳回的常见原因有……")
    convo.user("我申请的是仅退款", "refund")
    assert compute_signals(convo.events).repeat_count == 3


def test_saying_the_answer_did_not_help_repeats_the_last_topic_whatever_the_intent():
    convo = Convo().user("蓝牙耳机连上了但是左耳没声音", "product_usage").bot("action_product_usage", "配对方法……")
    convo.user("左耳一直没声音 右耳正常", "product_usage").bot("action_product_usage", "您想了解哪一项？")
    convo.user("重置了也不行 换手机也不行", "complain")
    decision = decide(convo.events)
    assert decision.signals.repeat_count == 3
    assert decision.action == HANDOVER_ACTION and decision.reasons[0] == "repeated_question"
    calm = Convo().user("优惠券怎么用", "coupon").bot("action_coupon", "……").user("能叠加吗", "coupon")
    calm.bot("action_coupon", "……").user("还是算了", "deny")
    assert compute_signals(calm.events).repeat_count == 0


def test_an_insisting_message_misread_between_two_askings_is_the_question_asked_once_more():
    # the second asking was read as another intent; it insists ("我是问"), and the third asks the
    # first question again: asked three times, a person takes over
    convo = Convo().user("发票开了多久能收到", "invoice").bot("action_invoice", "电子发票 24 小时内发到邮箱")
    convo.user("我是问纸质的那张 多久寄到", "order_status").bot("action_order_status", "我们从杭州仓发货……")
    convo.user("我只想知道纸质发票什么时候能拿到", "invoice")
    decision = decide(convo.events)
    assert decision.signals.repeat_count == 3
    assert decision.action == HANDOVER_ACTION and "repeated_question" in decision.reasons
    # without the insisting word, a question in between is another question
    calm = Convo().user("发票开了多久能收到", "invoice").bot("action_invoice", "电子发票 24 小时内发到邮箱")
    calm.user("纸质的那张多久寄到", "order_status").bot("action_order_status", "我们从杭州仓发货……")
    calm.user("我只想知道纸质发票什么时候能拿到", "invoice")
    assert compute_signals(calm.events).repeat_count == 2


def test_just_one_question_asked_a_third_time_is_the_same_question():
    # "就问一句" insists like "我问的是": the refund's arrival asked three times over
    convo = Convo().user("退款几天能回来", "refund").bot("action_refund", "原路退回，1–3 个工作日")
    convo.user("我问的是我自己这笔 到底哪天到", "refund").bot("action_refund", "您想了解哪一项？")
    convo.user("就问一句 钱哪天回来", "refund")
    decision = decide(convo.events)
    assert decision.signals.repeat_count == 3
    assert decision.action == HANDOVER_ACTION and "repeated_question" in decision.reasons


def test_can_i_return_it_asked_as_refund_then_return_and_again_outright_is_one_question():
    # "能退吗" is a refund and a return at once: asked a third time with "就问一句 … 能还是不能",
    # the refund question of the first message counts too
    convo = Convo().user("围巾的退款被驳回了 这还能退吗", "refund").bot("action_refund", "退款已被驳回，原因是…")
    convo.user("那究竟还能不能退啊", "return_exchange").bot("action_return_exchange", "签收后 7 天内…")
    convo.user("就问一句 能退还是不能退", "return_exchange")
    decision = decide(convo.events)
    assert decision.signals.repeat_count == 3
    assert decision.action == HANDOVER_ACTION and "repeated_question" in decision.reasons
    # without saying it asks again, a return question after a refund question is another question
    calm = Convo().user("退款多久能到", "refund").bot("action_refund", "原路退回，1–3 个工作日")
    calm.user("退货地址是哪里", "return_exchange").bot("action_return_exchange", "寄到…")
    calm.user("退回去的运费还是我出吗", "return_exchange")
    assert compute_signals(calm.events).repeat_count < 3
    assert decide(calm.events) is None


def test_a_complaint_after_two_answers_on_the_same_question_hands_over():
    # the earphones would not pair: two answers on how to pair them, then "折腾一晚上 烦死了"
    convo = Convo().user("耳机蓝牙搜不到", "product_usage").bot("action_product_usage", "打开盒盖，白灯闪烁…")
    convo.user("白灯一直不闪", "product_usage").bot("action_product_usage", "长按背面按键 3 秒…")
    convo.user("折腾我一晚上了 真烦人", "complain")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)
    # a complaint after two different questions answered is a first complaint: an apology
    other = Convo().user("耳机蓝牙搜不到", "product_usage").bot("action_product_usage", "打开盒盖，白灯闪烁…")
    other.user("发票怎么开", "invoice").bot("action_invoice", "在订单详情里申请")
    other.user("你们家东西真难用", "complain")
    apology = decide(other.events)
    assert apology is None or apology.action != HANDOVER_ACTION


def test_not_used_yet_is_not_useless():
    # "还没用过" reports a new item, not an answer that did not help: no frustration from it
    calm = Convo().user("刚拆的快递 杯子边上有道裂缝 还没用过", "return_exchange")
    assert compute_signals(calm.events).frustration_level == CALM
    useless = Convo().user("重启了也没用 还是不亮", "product_usage")
    assert compute_signals(useless.events).frustration > 0


def test_different_questions_on_one_topic_are_not_repeats():
    convo = Convo()
    for text in ("优惠券怎么领", "优惠券怎么用", "优惠券能叠加吗"):
        convo.user(text, "coupon").bot("action_coupon", f"关于「{text}」的回答")
    convo.events.pop()
    convo.events.pop()  # the last question is unanswered: the decision is due
    assert compute_signals(convo.events).repeat_count < 3
    assert decide(convo.events) is None


def test_the_same_words_about_other_orders_are_other_questions():
    # a customer looking up several orders one by one asks three questions, not one three times
    convo = Convo()
    for serial in range(3):
        convo.user(f"查一下订单 20241120000000{serial:02d}", "order_status").bot(
            "action_order_status", "没有查到这个订单，麻烦核对一下订单号"
        )
    convo.events.pop()
    assert compute_signals(convo.events).repeat_count < 3
    assert decide(convo.events) is None
    # the same order asked about again is the same question
    again = Convo()
    for _ in range(3):
        again.user("查一下订单 2024112000000001 到哪了", "order_status").bot("action_order_status", "还在仓库")
    again.events.pop()
    assert compute_signals(again.events).repeat_count == 3


def test_a_second_complaint_hands_over_the_first_does_not():
    convo = Convo().user("快递员态度太差了 我要投诉", "complain")
    assert decide(convo.events) is None
    convo.bot("utter_complain", "非常抱歉给您带来了不好的体验").user("他把包裹直接扔在门口 东西丢了", "complain")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons[0] == "complaint"


def test_one_insult_gets_a_calm_answer_a_second_hands_over():
    convo = Convo().user("垃圾客服", "insult")
    signals = compute_signals(convo.events)
    assert decide(convo.events) is None and signals.frustration_level == UPSET
    convo.bot("utter_insult", "理解您现在很着急").user("傻逼", "insult")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION
    assert decision.reasons == ("abuse", "frustration")
    assert decision.signals.abusive_words == ("傻逼",)


def test_bot_challenge_alone_is_not_a_signal():
    convo = Convo()
    for _ in range(3):
        convo.user("你是机器人吗", "bot_challenge").bot("utter_bot_challenge", "我是智能助理")
    convo.user("你到底是不是机器人", "bot_challenge")
    assert decide(convo.events) is None
    assert compute_signals(convo.events).repeat_count == 0


# ---------------------------------------------------------------------------------------------
# thresholds


def test_thresholds_from_config():
    thresholds = Thresholds.from_mapping(
        {
            "human_request_limit": 2,
            "fallback_limit": 0,
            "frustration_threshold": 0.8,
            "ask_description_first": False,
            "priority": 6,
        }
    )
    assert thresholds == Thresholds(
        human_request_limit=2, fallback_limit=0, frustration_threshold=0.8, ask_description_first=False
    )


@pytest.mark.parametrize(
    "config",
    [
        {"human_request_limit": 0},
        {"fallback_limit": -1},
        {"repeat_limit": 1.5},
        {"frustration_threshold": 1.5},
        {"insult_limit": "two"},
    ],
)
def test_bad_thresholds_are_refused(config):
    with pytest.raises(ValueError):
        Thresholds.from_mapping(config)


def test_a_limit_of_zero_switches_its_rule_off():
    convo = fallback_turns(3).user("还是不行", "nlu_fallback", confidence=0.3)
    assert decide(convo.events, Thresholds(fallback_limit=0, unreadable_limit=0)) is None


def test_signals_serialise_to_json():
    import json

    convo = (
        Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("气死了 人工人工人工!!!", "request_human")
    )
    decision = decide(convo.events)
    data = json.loads(json.dumps(decision.as_dict(), ensure_ascii=False))
    assert data["action"] == HANDOVER_ACTION
    assert data["signals"]["frustration_level"] in (CALM, UPSET, ANGRY)
    assert data["thresholds"]["human_request_limit"] == 1
    names = [o["name"] for o in decide(convo.events).signals.observed()]
    assert "explicit_request" in names and "shouting" in names


def test_order_numbers_count_as_description():
    convo = Convo().user("2024111500034503 人工", "request_human", entities=[order("2024111500034503")])
    assert compute_signals(convo.events).request_has_description
