"""jieli_dialogue.signals: every signal, the frustration level and the decision, on event dicts
built the way Rasa writes them (convo.Convo). No Rasa import here: the module must not need it."""
from __future__ import annotations

import subprocess
import sys

import pytest

from convo import Convo, order
from jieli_dialogue import signals as sig
from jieli_dialogue.signals import (ACTION_LISTEN, ANGRY, ASK_ACTION, CALM, CLARIFY_ACTION, HANDOVER_ACTION, PROBLEM_ACTION, OFFER_ACTION, UPSET,
                                    Thresholds, compute_signals, decide)

PENDING = {"event": "slot", "name": "handover_pending", "value": True}


def asked(convo: Convo, text: str = "我的退款被拒绝了") -> Convo:
    """A bare first-message request, answered with the ask action."""
    return convo.user("转人工", "request_human").bot(ASK_ACTION, "请简单描述一下您遇到的问题，我马上为您转接人工客服～",
                                                     events=[PENDING])


def handed_over(convo: Convo, paused: bool = True) -> Convo:
    convo.bot(HANDOVER_ACTION, "好的，已经为您转接人工客服", listen=False,
              events=[{"event": "slot", "name": "handover_pending", "value": None}])
    if paused:
        convo.pause().action("action_listen")  # what action_handover returns after a successful POST
    return convo


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
    assert decide(asked_convo.events, ASK_FIRST) is None or decide(asked_convo.events, ASK_FIRST).action != HANDOVER_ACTION
    asked_convo.user("嗯", "affirm")
    decision = decide(asked_convo.events, ASK_FIRST)
    assert decision.action == HANDOVER_ACTION
    assert decision.signals.pending_description
    assert decision.explanations[0] == "客户一开始就要求人工，已按要求补充问题"


@pytest.mark.parametrize("text", ["转人工", "轉人工客服!!!", "rengong", "RENGONG!!!", "人工人工人工!!!", "有没有活人啊",
                                  "你好 转人工", "在吗 我要人工客服", "/request_human", "叫你们客服出来", "不要机器人 我要人"])
def test_bare_requests(text):
    convo = Convo().user(text, "request_human")
    assert not compute_signals(convo.events).request_has_description
    assert decide(convo.events, ASK_FIRST).action == ASK_ACTION
    assert decide(convo.events).action == HANDOVER_ACTION


@pytest.mark.parametrize("text", ["我的药还没发货 转人工", "订单2024111500034503 转人工", "退款半个月了还没到 转人工处理",
                                  "東西壞了 給我轉人工"])
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


def test_silent_while_paused_and_right_after_the_handover():
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    handed_over(convo)
    assert decide(convo.events) is None
    convo.user("人工人工人工", "request_human")  # logged while paused
    assert decide(convo.events) is None


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


# ---------------------------------------------------------------------------------------------
# fallbacks, repeats, complaints, insults

def fallback_turns(n: int, via_action: bool = False) -> Convo:
    convo = Convo()
    for i in range(n):
        if via_action:
            convo.user(f"耳机第{i}次连不上", "product_usage", confidence=0.2).bot("action_default_fallback", "抱歉")
        else:
            convo.user(f"蓝牙耳机第{i}次连不上手机", "nlu_fallback", confidence=0.3).bot("utter_default", "抱歉，我没太明白")
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


def test_different_questions_on_one_topic_are_not_repeats():
    convo = Convo()
    for text in ("优惠券怎么领", "优惠券怎么用", "优惠券能叠加吗"):
        convo.user(text, "coupon").bot("action_coupon", f"关于「{text}」的回答")
    convo.events.pop()
    convo.events.pop()  # the last question is unanswered: the decision is due
    assert compute_signals(convo.events).repeat_count < 3
    assert decide(convo.events) is None


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
# emotion, shouting, abuse

def score(text: str, intent: str = "order_status") -> sig.TurnEmotion:
    return sig.turn_emotion(sig.customer_turns(Convo().user(text, intent).events)[-1], sig.default_lexicon())


def test_negative_words_are_found_in_traditional_and_full_width_text():
    emotion = score("氣死我了，搞什麼？？？")
    assert emotion.negative_words == ("气死我了", "搞什么")
    assert emotion.shouting == ("??？",) or emotion.shouting == ("???",)


def test_a_word_inside_a_longer_hit_counts_once():
    assert score("气死我了").negative_words == ("气死我了",)
    assert score("都五天了还没发货").patterns == ("都五天了", "还没发货")
    assert score("都五天了还没发货").negative_words == ()


def test_shouting_is_measured_on_the_original_text():
    assert sig.shouting("人工!!!")[1] == ["!!!"]
    assert sig.shouting("人工！！！")[1] == ["!!!"]
    assert sig.shouting("为什么?!?!")[1] == ["?!?!"]
    assert sig.shouting("RENGONG!!!")[1] == ["!!!", "RENGONG"]
    assert sig.shouting("人工人工人工")[1] == ["人工人工人工"]
    assert sig.shouting("快快快")[1] == ["快快快"]
    assert sig.shouting("我的USB线坏了")[0] == 0.0
    assert sig.shouting("Where is my parcel?")[0] == 0.0
    assert sig.shouting("人工!!!???!!!")[0] <= 0.35


@pytest.mark.parametrize("text", ["怎么操作", "我妈的生日礼物还没到", "usb接口坏了", "滚筒洗衣机怎么用", "人工智能客服挺好用",
                                  "人工费怎么算", "有病能退吗"])
def test_innocent_text_is_not_profanity(text):
    assert sig.abusive_words(text, sig.default_lexicon()) == []


@pytest.mark.parametrize("text,words", [("傻逼", ["傻逼"]), ("SB客服", ["sb"]), ("你他媽的有病吧", ["他妈的", "有病吧"]),
                                        ("tmd 垃圾", ["tmd"])])
def test_profanity_is_flagged(text, words):
    assert sorted(sig.abusive_words(text, sig.default_lexicon())) == sorted(words)


def test_one_message_alone_is_never_angry():
    emotion = score("气死了！！！搞什么 骗子 几天了还没发货", "complain")
    assert emotion.score == 0.65
    assert compute_signals(Convo().user("气死了！！！搞什么 骗子", "complain").events).frustration_level == UPSET


def test_frustration_levels_and_the_threshold():
    convo = Convo().user("到底什么时候发货！！！气死了", "order_status")
    assert compute_signals(convo.events).frustration_level == UPSET
    assert decide(convo.events) is None
    convo.bot("action_order_status", "您的订单预计明天发货").user("几天了还没发货？？？ 搞什么", "order_status")
    decision = decide(convo.events)
    assert decision.signals.frustration >= 0.7 and decision.signals.frustration_level == ANGRY
    assert decision.action == HANDOVER_ACTION and "frustration" in decision.reasons


def test_calm_messages_are_calm():
    convo = Convo().user("我的快递一直没更新", "order_status")
    signals = compute_signals(convo.events)
    assert signals.frustration < 0.3 and signals.frustration_level == CALM


def test_level_boundaries():
    lexicon = sig.default_lexicon()
    assert [lexicon.level(x) for x in (0.0, 0.29, 0.3, 0.69, 0.7, 1.0)] == [CALM, CALM, UPSET, UPSET, ANGRY, ANGRY]


def test_frustration_fades_with_calm_messages_and_restarts_after_a_resume():
    convo = Convo().user("气死了 搞什么", "complain").bot("utter_complain", "抱歉")
    convo.user("好的", "affirm").bot("action_handle_affirm", "好").user("那退款什么时候到", "refund")
    assert compute_signals(convo.events).frustration < 0.7
    angry = Convo().user("搞什么！！！", "complain").bot("utter_complain", "抱歉").user("气死了 到底管不管", "complain")
    handed_over(angry).resume().user("你好", "greet")
    assert compute_signals(angry.events).frustration == 0.0


def test_a_broken_lexicon_path_gives_an_empty_lexicon(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("negative: [", encoding="utf-8")
    assert sig.default_lexicon(bad) == sig.Lexicon()
    assert sig.default_lexicon(tmp_path / "missing.yml") == sig.Lexicon()


# ---------------------------------------------------------------------------------------------
# thresholds

def test_thresholds_from_config():
    thresholds = Thresholds.from_mapping({"human_request_limit": 2, "fallback_limit": 0, "frustration_threshold": 0.8,
                                          "ask_description_first": False, "priority": 6})
    assert thresholds == Thresholds(human_request_limit=2, fallback_limit=0, frustration_threshold=0.8,
                                    ask_description_first=False)


@pytest.mark.parametrize("config", [{"human_request_limit": 0}, {"fallback_limit": -1}, {"repeat_limit": 1.5},
                                    {"frustration_threshold": 1.5}, {"insult_limit": "two"}])
def test_bad_thresholds_are_refused(config):
    with pytest.raises(ValueError):
        Thresholds.from_mapping(config)


def test_a_limit_of_zero_switches_its_rule_off():
    convo = fallback_turns(3).user("还是不行", "nlu_fallback", confidence=0.3)
    assert decide(convo.events, Thresholds(fallback_limit=0, unreadable_limit=0)) is None


def test_signals_serialise_to_json():
    import json

    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("气死了 人工人工人工!!!", "request_human")
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


# ---------------------------------------------------------------------------------------------
# unhelped_turns: the bot answers confidently beside the point

MENU = "接力 Air 蓝牙耳机的配对、触控和充电，您想了解哪一项？"
ASK_ID = "麻烦发一下您的订单号哦，我马上帮您查。"


def technical_problem() -> Convo:
    return (Convo()
            .user("耳机左边那只连上以后一直滋滋响还断断续续", "product_usage")
            .bot("action_product_usage", MENU, clarify=True)
            .user("固件升级到v2.3之后低频就失真", "return_exchange", confidence=0.7)
            .bot("action_return_exchange", ASK_ID, clarify=True)
            .user("那个什么eq均衡器在哪调啊", "nlu_fallback", confidence=0.3))


def test_a_technical_problem_bounced_between_menus_hands_over_on_the_third_miss():
    convo = technical_problem()
    signals = compute_signals(convo.events)
    assert signals.consecutive_fallbacks == 1 and signals.unhelped_turns == 3
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)
    assert "没帮上忙" in decision.explanations[0]


def test_saying_the_answer_did_not_help_counts():
    convo = (Convo()
             .user("耳机连不上手机", "product_usage").bot("action_product_usage", "请先长按5秒进入配对模式……")
             .user("我试过了没用", "product_usage").bot("action_product_usage", "请先长按5秒进入配对模式……")
             .user("重置了还是不行", "return_exchange", confidence=0.6))
    assert compute_signals(convo.events).unhelped_turns == 3
    assert decide(convo.events).action == HANDOVER_ACTION


@pytest.mark.parametrize("answer", [
    ("/product_usage{\"topic\":\"earbuds_pairing\"}", "product_usage", []),   # clicks a button
    ("左耳连不上", "product_usage", []),                                          # stays on the topic
    ("2024111500034503", "inform_order_id", [order("2024111500034503")]),         # gives the number
])
def test_a_question_of_the_bot_that_is_taken_up_is_not_a_miss(answer):
    text, intent, entities = answer
    convo = (Convo().user("耳机怎么用", "product_usage").bot("action_product_usage", MENU, clarify=True)
             .user(text, intent, entities=entities))
    assert compute_signals(convo.events).unhelped_turns == 0


def test_a_happy_customer_who_moves_on_is_not_handed_over():
    convo = (Convo()
             .user("发票怎么开", "invoice").bot("action_invoice", "您想开哪种发票？", clarify=True)
             .user("优惠券怎么领", "coupon").bot("action_coupon", "领券中心在……", clarify=True)
             .user("你是机器人吗", "bot_challenge").bot("utter_bot_challenge", "我是智能客服小接~")
             .user("好的谢谢", "thank"))
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
        "faq": {"response": {"intent_response_key": key, "confidence": 0.9}}}
    return convo


def test_two_different_faq_questions_are_not_one_question_repeated():
    convo = _faq(Convo(), "你们客服几点下班", "faq/service_hours").bot("utter_faq", "客服时间 9:00–22:00")
    _faq(convo, "到底从哪里发货", "faq/ship_from").bot("utter_faq", "杭州仓发货")
    _faq(convo, "到底从哪发的货啊", "faq/ship_from")
    signals = compute_signals(convo.events)
    assert signals.repeat_count == 2     # the ship-from question twice, not the service hours


def test_telling_what_happened_after_utter_complain_hands_over():
    """utter_complain asks what happened and promises to pass it on: the answer is handed over."""
    convo = Convo().user("快递员态度太差了 还骂人", "complain")
    assert decide(convo.events) is None
    convo.bot("utter_complain", "非常抱歉给您带来了不好的体验，您可以把情况简单说一下").user("订单号2024111800045604",
                                                                                 "inform_order_id")
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
    convo = (Convo()
             .user("水壶烧水有异味", "product_usage").bot("action_product_usage", KETTLE_SMELL)
             .user("按说明书清洗过了 还是有味道", "product_usage").bot("action_product_usage", KETTLE_SMELL)
             .user("试过了没用", "return_exchange", confidence=0.6))
    assert compute_signals(convo.events).unhelped_turns == 3
    assert decide(convo.events).reasons[0] == "bot_failure"


def test_asking_again_what_the_bot_could_only_answer_with_a_question_passed_over():
    """App crashes: a product menu passed over, a fallback, and the same question again."""
    convo = (Convo()
             .user("app一直闪退", "product_usage").bot("action_product_usage", "您想了解哪款商品的使用方法？", clarify=True)
             .user("重装了还是闪退", "nlu_fallback", confidence=0.3).bot("utter_default", "抱歉，我没太明白您的意思")
             .user("手机是华为的 系统最新", "product_usage", confidence=0.6))
    assert compute_signals(convo.events).unhelped_turns == 3
    assert decide(convo.events).action == HANDOVER_ACTION


def test_the_same_answer_to_a_button_clicked_twice_is_not_a_miss():
    convo = (Convo()
             .user("/invoice", "invoice", confidence=1.0).bot("action_invoice", "在订单详情里申请开票")
             .user("/invoice", "invoice", confidence=1.0).bot("action_invoice", "在订单详情里申请开票")
             .user("没用", "complain"))
    assert compute_signals(convo.events).unhelped_turns == 2


def test_asking_the_topic_again_with_an_order_number_is_new_information():
    convo = (Convo()
             .user("我的快递到哪了", "order_status").bot("action_order_status", ASK_ID, clarify=True)
             .user("怎么还没到", "nlu_fallback", confidence=0.3).bot("utter_default", "抱歉，我没太明白您的意思")
             .user("查物流 2024111500034503", "order_status", entities=[order("2024111500034503")]))
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


# ---------------------------------------------------------------------------------------------
# a "thanks" that is a complaint said the other way round

def late_refund() -> Convo:
    return Convo().user("说好三天退款到账 这都第九天了", "refund").bot("action_refund", "退款一般 1–3 个工作日到账")


def test_an_ironic_thanks_from_an_upset_customer_is_answered_as_a_complaint():
    convo = late_refund().user("真是太谢谢你们了 效率可真高", "thank")
    decision = decide(convo.events)
    assert decision.action == "utter_complain" and decision.reasons == ("sarcasm",)
    assert decision.signals.sarcasm and decision.signals.complaints == 1
    # having said it, the bot listens (and does not add 不客气)
    convo.bot("utter_complain", "非常抱歉给您带来了不好的体验", listen=False)
    assert decide(convo.events).action == ACTION_LISTEN
    # the next complaint is the second: a person
    convo.action("action_listen").user("行吧 你们接着拖", "complain")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and "complaint" in decision.reasons


@pytest.mark.parametrize("thanks", ["好的 谢谢", "明白了 谢谢你"])
def test_plain_thanks_after_an_upset_message_is_thanks(thanks):
    assert decide(late_refund().user(thanks, "thank").events) is None


def test_warm_thanks_from_a_calm_customer_is_thanks():
    convo = Convo().user("发票怎么开", "invoice").bot("action_invoice", "在订单详情里申请电子发票")
    assert decide(convo.user("真是帮了大忙 太感谢了", "thank").events) is None


def test_a_clarifying_question_after_two_passed_over_menus_is_the_third_miss():
    """The message the bot is unsure about also passes over the question the bot asked before."""
    convo = Convo().user("app一直闪退", "product_usage").bot("action_product_usage", "您想了解哪款商品？", clarify=True)
    convo.user("重装了还是闪退", "refund", confidence=0.64).bot("action_refund", "您想了解哪一项？", clarify=True)
    convo.user("手机是华为的 系统最新", "product_info", confidence=0.41)
    decision = decide(convo.events, Thresholds(clarify_below=0.6))
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("bot_failure",)


def test_abuse_inside_another_message_counts_as_an_insult():
    convo = Convo().user("我的退款啥时候到", "refund").bot("action_refund", "您想了解哪一项？", clarify=True)
    convo.user("你们是不是脑子有病 问个退款这么费劲", "refund", confidence=0.72).bot("action_refund", "您想了解哪一项？")
    convo.user("一群废物", "insult")
    decision = decide(convo.events)
    assert decision.signals.insults == 2
    assert decision.action == HANDOVER_ACTION and "abuse" in decision.reasons


def test_voice_input_that_is_only_filler_is_not_understood():
    convo = Convo().user("那个 嗯 就是说 喂喂 听得到吗", "order_status", confidence=0.58).bot("action_clarify", "抱歉")
    convo.user("嗯啊 这个这个 哎呀 不是 刚刚那个", "deny", confidence=0.92).bot("action_handle_deny", "好的~")
    convo.user("喂 喂 信号不好 那个 嗯嗯", "greet", confidence=0.67)
    assert compute_signals(convo.events).consecutive_fallbacks == 3
    assert decide(convo.events).action == HANDOVER_ACTION


def test_a_problem_that_went_away_does_not_hand_over():
    convo = Convo().user("小夜灯充不进电", "product_usage", entities=[{"entity": "problem", "value": "cannot_use"}])
    convo.bot(PROBLEM_ACTION, "非常抱歉，收到的商品用不了")
    convo.user("换了个插头 充上电了 好了 不用转人工了", "product_usage",
               entities=[{"entity": "problem", "value": "cannot_use"}])
    assert decide(convo.events) is None


def test_a_problem_that_did_not_go_away_still_hands_over():
    convo = Convo().user("小夜灯充不进电", "product_usage", entities=[{"entity": "problem", "value": "cannot_use"}])
    convo.bot(PROBLEM_ACTION, "非常抱歉，收到的商品用不了")
    convo.user("换了插头也弄不好了", "product_usage")
    assert decide(convo.events).action == HANDOVER_ACTION


def test_a_product_question_the_bot_said_it_cannot_answer_is_a_miss():
    convo = Convo().user("小夜灯能放卫生间吗", "product_info").bot("action_product_info", "商品的库存、尺码…都可以问我",
                                                            clarify=True)
    convo.user("浴室很潮 放进去会坏吗", "out_of_scope", confidence=0.68).bot("utter_out_of_scope", "这个问题我暂时回答不了")
    convo.user("到底能不能放厕所里", "product_info", confidence=0.61)
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and "bot_failure" in decision.reasons


def test_abuse_after_a_complaint_hands_over():
    convo = Convo().user("退款怎么还没到", "refund").bot("action_refund", "一般 1–3 个工作日")
    convo.user("你们这服务真是烂透了 一拖再拖", "complain").bot("utter_complain", "非常抱歉")
    convo.user("滚 一群骗子", "insult")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and "abuse" in decision.reasons

