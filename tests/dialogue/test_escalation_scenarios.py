"""Whole conversations, end to end inside one process: the trained model (NLU, RulePolicy, TED,
EscalationPolicy) and the real actions (tests/dialogue/harness.py), a seeded shop database and a
fake bridge. For each scenario: the customer message that was handed over (or none) and the facts
the agent must find in the handover context — the order number and the problem in the customer's
own words.

Skipped when there is no trained model (`make train`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "jieli.tar.gz"
ORDER = "2024111500034503"  # demo order: cold medicine, paid, not shipped, refund rejected
SHIPPED = "2024112000012345"  # demo order used by the happy order lookup

pytestmark = [
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `make train`"),
    pytest.mark.filterwarnings("ignore"),
]  # TensorFlow's and Rasa's deprecation noise


@pytest.fixture
def fresh(bot):
    bot.bridge.bodies.clear()
    bot.bridge.down = False
    return bot


def talk(bot, messages, **metadata):
    conversation = bot.conversation(**metadata)
    for text in messages:
        conversation.say(text)
        if conversation.handover_turn():
            break
    return conversation


def the_handover(bot) -> dict:
    [body] = bot.bridge.bodies
    assert set(body) == {"conversation_id", "reason", "category", "priority", "summary", "context"}
    assert body["category"] in ("物流", "售后", "账单", "产品", "其他")
    return body


# ---------------------------------------------------------------------------------------------
# conversations that must reach a person


def test_the_news_report_case(fresh):
    """A logged-in VIP customer (the bridge verified them: C1001 placed the order)."""
    conversation = fresh.verified_conversation("C1001", "VIP", current_order={"order_id": ORDER, "amount": "78.30"})
    for text in [
        f"我买的感冒药五天了还没发货 订单号{ORDER}",
        "我申请的退款被自动拒绝了 为什么",
        "为什么自动拒绝我的退款",
        "人工客服",
    ]:
        conversation.say(text)
        if conversation.handover_turn():
            break
    assert conversation.handover_turn() in (3, 4)
    body = the_handover(fresh)
    context = body["context"]
    assert ORDER in context["order_ids"] and ORDER in body["summary"]
    assert "退款" in context["problem"]["text"] and "感冒药" in context["problem"]["text"]
    assert body["category"] == "售后" and body["priority"] >= 2
    assert context["customer"]["verified"] is True and context["order"]["order_verified"] is True
    assert "您不用再重复说明" in conversation.replies[-1].said


def test_human_three_times(fresh):
    """The news report: "人工客服" sent again and again. The first one hands over, at once."""
    conversation = talk(fresh, ["人工客服", "人工客服", "人工客服"])
    assert conversation.handover_turn() == 1
    said = conversation.replies[0].said
    assert "已经为您转接人工客服" in said and "请简单描述一下您遇到的问题" not in said
    # nothing described yet: asked while waiting, and what they write in the queue reaches the agent
    assert "等待的时候，您可以先简单说说遇到了什么问题" in said
    assert the_handover(fresh)["context"]["problem"]["text"] == ""


def test_traditional_request_then_the_problem(fresh):
    conversation = talk(fresh, ["轉人工客服", f"我的退款被拒絕了 訂單號{ORDER}"])
    assert conversation.handover_turn() == 1
    assert len(fresh.bridge.bodies) == 1


def test_pinyin_and_shouting(fresh):
    conversation = talk(fresh, ["RENGONG!!!", "rengong 快点!!!"])
    assert conversation.handover_turn() == 1
    signals = the_handover(fresh)["context"]["signals"]
    assert "shouting" in {s["name"] for s in signals["observed"]}


def test_a_request_that_describes_the_problem_hands_over_at_once(fresh):
    conversation = talk(fresh, [f"订单{ORDER}一直没发货 转人工"])
    assert conversation.handover_turn() == 1
    assert the_handover(fresh)["context"]["order_ids"] == [ORDER]


def test_rephrasing_the_same_refund_question_until_losing_patience(fresh):
    conversation = talk(fresh, ["退款什么时候到账", "我的退款到底什么时候能到", "都一个星期了 钱怎么还没退回来？？？"])
    assert conversation.handover_turn() == 3
    body = the_handover(fresh)
    assert body["reason"] in ("repeated_question", "frustration") and body["category"] == "售后"
    assert "退款什么时候到账" in body["context"]["problem"]["text"]


def test_three_messages_the_bot_cannot_help_with(fresh):
    conversation = talk(fresh, ["蓝牙耳机连上了但是左耳没声音", "左耳一直没声音 右耳正常", "重置了也不行 换手机也不行"])
    # the second message reports a defect after the bot already answered: it may hand over there
    assert conversation.handover_turn() in (2, 3)
    body = the_handover(fresh)
    assert body["category"] == "产品"
    assert "左耳" in body["context"]["problem"]["text"]


def test_three_fallbacks_in_a_row(fresh):
    """DIET is confident about almost anything, so the fallbacks are forced (/nlu_fallback, as
    the FallbackClassifier would say): this is about the rules and the policy, not the NLU."""
    conversation = talk(fresh, ["/nlu_fallback", "/nlu_fallback", "/nlu_fallback"])
    assert [r.actions for r in conversation.replies[:2]] == [["utter_default"], ["utter_default"]]
    assert conversation.handover_turn() == 3
    assert the_handover(fresh)["reason"] == "bot_failure"


def test_insults(fresh):
    conversation = talk(fresh, ["垃圾客服", "你们这帮傻逼"])
    assert conversation.replies[0].actions == ["utter_insult"]
    assert conversation.handover_turn() == 2
    context = the_handover(fresh)["context"]
    assert context["abuse"]["turns"] == [1, 2] and "傻逼" in context["abuse"]["words"]
    assert "傻逼" not in context["summary"]


def test_a_complaint_about_a_courier(fresh):
    conversation = talk(fresh, ["快递员态度太差了 我要投诉", "他没打电话就把包裹扔在驿站门口 东西还丢了"])
    assert conversation.replies[0].actions == ["utter_complain"]
    assert conversation.handover_turn() == 2
    body = the_handover(fresh)
    assert body["category"] == "物流" and "驿站" in body["context"]["problem"]["text"]


def test_a_three_button_gadget_nobody_can_work_out(fresh):
    conversation = talk(fresh, ["这个小夜灯三个按钮分别是干嘛的", "按了还是不亮啊", "小夜灯还是不亮 到底怎么弄"])
    assert conversation.replies[0].actions == ["action_product_usage"]
    assert conversation.handover_turn() in (2, 3)  # "还是不亮" after the answer: a defect the answer did not fix
    body = the_handover(fresh)
    assert body["category"] == "产品" and "小夜灯" in body["context"]["problem"]["text"]


def test_an_account_that_will_not_log_in(fresh):
    conversation = talk(fresh, ["手机号停用了 短信验证码一直收不到 现在登不进去", "那怎么办 我还有单子要看"])
    first = conversation.replies[0]
    assert first.actions == ["action_problem_report"] and "核实您的身份" in first.said
    assert "订单号" not in first.said  # an account problem needs no order number
    assert conversation.handover_turn() == 2
    body = the_handover(fresh)
    assert body["reason"] == "problem_report" and body["category"] == "其他"
    assert "验证码" in body["context"]["problem"]["text"]


def test_an_ironic_thanks_after_a_late_refund_is_not_answered_with_you_are_welcome(fresh):
    conversation = talk(fresh, ["说好的三天退款到账 这都第九天了", "真是太谢谢你们了 效率可真高", "行吧 你们就接着拖"])
    second = conversation.replies[1]
    assert second.actions == ["utter_complain"] and "不客气" not in second.said
    assert conversation.handover_turn() == 3
    assert the_handover(fresh)["reason"] in ("complaint", "frustration")


# ---------------------------------------------------------------------------------------------
# after the agent


def test_rating_then_ordinary_bot_then_a_second_escalation(fresh):
    conversation = talk(fresh, ["我的退款被拒绝了", "人工客服"])
    assert conversation.handover_turn() == 2
    rating = conversation.resume_and_rate()
    assert rating.actions == ["utter_ask_rating"] and not rating.paused
    assert [b["payload"] for b in rating.messages[0]["buttons"]][0] == '/rate{"rating":"5"}'
    thanks = conversation.say('/rate{"rating":"2"}')
    assert thanks.actions == ["action_rating_thanks"] and thanks.said.startswith("非常抱歉这次没能让您满意")
    assert conversation.say("退款什么时候到账").actions == ["action_refund"]
    again = conversation.say("还是没解决 转人工")
    assert again.actions == ["action_handover"] and again.paused
    first, second = fresh.bridge.bodies
    assert first["context"]["problem"]["text"] == "我的退款被拒绝了"
    # the second handover is about what the customer said since the agent handed back
    assert second["context"]["problem"]["text"] == "退款什么时候到账；还是没解决 转人工"
    assert second["context"]["human_requests"] == 1


def test_typed_ratings(fresh):
    conversation = talk(fresh, ["我的退款被拒绝了", "人工客服"])
    conversation.resume_and_rate()
    assert conversation.say("5分").actions == ["action_rating_thanks"]
    assert "很高兴" in conversation.replies[-1].said


def test_bridge_down_apologises_and_the_next_request_tries_again(fresh):
    fresh.bridge.down = True
    conversation = talk(fresh, ["我的退款被拒绝了", "人工客服"])
    reply = conversation.replies[-1]
    assert reply.actions == ["action_handover"] and not reply.paused
    assert "400-820-5151" in reply.said
    # text and custom payload reach the channel as two messages (as over the REST channel)
    assert [m["custom"]["type"] for m in reply.messages if m.get("custom")] == ["ticket_offer"]
    fresh.bridge.down = False
    assert conversation.say("退款什么时候到账").actions == ["action_refund"]  # the bot carries on
    assert conversation.say("人工客服").paused
    context = the_handover(fresh)["context"]
    assert context["human_requests"] == 2 and "客户两次要求人工" in context["priority_factors"]


# ---------------------------------------------------------------------------------------------
# happy conversations that must not hand over


@pytest.mark.parametrize(
    "messages",
    [
        ["怎么开增值税专用发票", "发票抬头写错了能改吗", "电子发票在哪里下载"],
        ["优惠券怎么用不了", "买完就降价了 能补差价吗", "优惠券能叠加使用吗"],
        ["你是机器人吗", f"帮我查下订单{SHIPPED}"],
        ["人工智能客服挺好用的"],
        ["安装的人工费怎么算", "人工草坪还有货吗"],
        ["你好", "退款什么时候到账", "好的谢谢"],
    ],
    ids=["invoice", "coupons", "bot-then-order", "praise-ai", "labour-fee", "refund-timeline"],
)
def test_happy_conversations_stay_with_the_bot(fresh, messages):
    conversation = talk(fresh, messages)
    assert conversation.handover_turn() is None
    assert fresh.bridge.bodies == []
    assert all(
        "action_handover" not in r.actions and "action_ask_handover_problem" not in r.actions
        for r in conversation.replies
    )
