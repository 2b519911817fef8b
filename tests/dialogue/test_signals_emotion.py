"""jieli_dialogue.signals: negative words, shouting, profanity and the frustration level; a "thanks"
that is a complaint said the other way round; abuse (event dicts built with convo.Convo)."""

from __future__ import annotations

import pytest

from convo import Convo, handed_over
from jieli_dialogue import signals as sig
from jieli_dialogue.signals import (
    ACTION_LISTEN,
    ANGRY,
    CALM,
    HANDOVER_ACTION,
    UPSET,
    compute_signals,
    decide,
)

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


@pytest.mark.parametrize(
    "text",
    [
        "怎么操作",
        "我妈的生日礼物还没到",
        "usb接口坏了",
        "滚筒洗衣机怎么用",
        "人工智能客服挺好用",
        "人工费怎么算",
        "有病能退吗",
    ],
)
def test_innocent_text_is_not_profanity(text):
    assert sig.abusive_words(text, sig.default_lexicon()) == []


@pytest.mark.parametrize(
    "text,words",
    [("傻逼", ["傻逼"]), ("SB客服", ["sb"]), ("你他媽的有病吧", ["他妈的", "有病吧"]), ("tmd 垃圾", ["tmd"])],
)
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


def upset_three_times(calm_between: bool = False) -> Convo:
    """Three messages, each a little upset, about three different things: none is anger alone."""
    convo = Convo().user("等了好久了 还不发货", "order_status").bot("action_order_status", "预计明天发货")
    if calm_between:
        convo.user("好的 那发什么快递", "order_status").bot("action_order_status", "顺丰")
    convo.user("发票也没开 郁闷", "invoice").bot("action_invoice", "发票在确认收货后开具")
    return convo.user("退款说了几遍了", "refund")


def test_impatience_that_does_not_let_up_hands_over_on_the_third_negative_message():
    convo = upset_three_times()
    decision = decide(convo.events)
    assert decision.signals.frustration < 0.7  # not anger: three upset messages in a row
    assert decision.signals.upset_streak == 3
    assert decision.action == HANDOVER_ACTION and decision.reasons == ("frustration",)
    assert decision.explanations == ("客户连续三条消息都表达不满",)


def test_a_calm_message_breaks_the_run_of_upset_ones():
    convo = upset_three_times(calm_between=True)
    assert decide(convo.events) is None
    assert compute_signals(convo.events).upset_streak == 2


def test_the_upset_rule_can_be_switched_off():
    assert decide(upset_three_times().events, sig.Thresholds(upset_limit=0)) is None


def test_a_broken_lexicon_path_gives_an_empty_lexicon(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("negative: [", encoding="utf-8")
    assert sig.default_lexicon(bad) == sig.Lexicon()
    assert sig.default_lexicon(tmp_path / "missing.yml") == sig.Lexicon()


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


def test_abuse_inside_another_message_counts_as_an_insult():
    convo = Convo().user("我的退款啥时候到", "refund").bot("action_refund", "您想了解哪一项？", clarify=True)
    convo.user("你们是不是脑子有病 问个退款这么费劲", "refund", confidence=0.72).bot(
        "action_refund", "您想了解哪一项？"
    )
    convo.user("一群废物", "insult")
    decision = decide(convo.events)
    assert decision.signals.insults == 2
    assert decision.action == HANDOVER_ACTION and "abuse" in decision.reasons


def test_abuse_after_a_complaint_hands_over():
    convo = Convo().user("退款怎么还没到", "refund").bot("action_refund", "一般 1–3 个工作日")
    convo.user("你们这服务真是烂透了 一拖再拖", "complain").bot("utter_complain", "非常抱歉")
    convo.user("滚 一群骗子", "insult")
    decision = decide(convo.events)
    assert decision.action == HANDOVER_ACTION and "abuse" in decision.reasons
