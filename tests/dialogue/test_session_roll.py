"""A rolled Rasa session changes nothing the escalation sees (jieli_dialogue/signals/carry.py).

The tracker store rolls a long session into a new Rasa session every `roll_after` customer
messages; its `session_started` carries the last messages and counters. These tests play long
conversations (the bot doing what `decide` says, as the policy makes it) twice — as one session,
and rolled every few messages as the store rolls them — and require the same decision and the same
signals after every customer message. Event dicts built with convo.Convo."""

from __future__ import annotations

import random

import pytest

from convo import Convo, handed_over, order
from jieli_dialogue.signals import (
    ACTION_LISTEN,
    ASK_ACTION,
    CARRY_KEY,
    CARRY_TURNS,
    CLARIFY_ACTION,
    COMPLAINT_REPLY,
    HANDOVER_ACTION,
    OFFER_ACTION,
    PROBLEM_ACTION,
    Thresholds,
    compute_signals,
    continued,
    customer_turns,
    decide,
    roll_events,
)

EXPIRES_AFTER = 3600.0  # domain.yml session_config: 60 minutes

# (text, intent, confidence, entities, the bot's action, its reply, the reply is a question of its own)
MESSAGES = [
    ("退货运费谁出", "return_exchange", 0.95, [], "action_return_exchange", "七天无理由退货，运费由买家承担。", False),
    ("优惠券怎么用", "coupon", 0.93, [], "action_coupon", "下单时在结算页选择优惠券即可。", False),
    ("发票抬头写错了怎么办", "invoice", 0.9, [], "action_invoice", "可以在订单详情里申请换开。", False),
    ("你们这服务太差了", "complain", 0.92, [], COMPLAINT_REPLY, "非常抱歉给您带来不好的体验。", False),
    ("什么垃圾客服", "insult", 0.9, [], "utter_insult", "理解您着急，我们一起把问题解决好。", False),
    ("你们是不是脑子有病 问个退款这么费劲", "refund", 0.8, [], "action_refund", "退款一般 1-3 个工作日到账。", False),
    ("啊吧啊吧", "nlu_fallback", 0.3, [], "utter_default", "抱歉，我没太明白，您能换个说法吗？", False),
    ("没用", "out_of_scope", 0.7, [], "utter_out_of_scope", "这个问题我暂时回答不了。", False),
    ("转人工", "request_human", 0.99, [], HANDOVER_ACTION, "好的", False),
    ("我的快递到哪了", "order_status", 0.95, [], "action_order_status", "麻烦发一下您的订单号哦。", True),
    (
        "2024111800045604",
        "inform_order_id",
        0.97,
        [order("2024111800045604")],
        "action_continue_order",
        "已发货。",
        False,
    ),
    (
        "刚拆开 杯子把手断了",
        "return_exchange",
        0.9,
        [{"entity": "problem", "value": "damaged"}],
        "action_return_exchange",
        "可以退换。",
        False,
    ),
    ("真是太感谢了 效率真高", "thank", 0.9, [], "utter_thank", "不客气～", False),
    ("那个东西怎么弄", "product_usage", 0.45, [], "action_product_usage", "请问是哪个商品呢？", True),
    ("气死了！！！搞什么 骗子", "complain", 0.9, [], COMPLAINT_REPLY, "非常抱歉。", False),
    ("好的谢谢", "thank", 0.95, [], "utter_thank", "不客气～", False),
    ("说好三天到账 这都第八天了", "refund", 0.88, [], "action_refund", "我帮您看看。", False),
    ("小夜灯三个按钮分别是干嘛的", "product_usage", 0.93, [], "action_product_usage", "左边开关，中间调光。", False),
]
# the bot's words for what the policy decides
DECIDED = {
    ASK_ACTION: ("请简单描述一下您遇到的问题～", True),
    OFFER_ACTION: ("需要的话我帮您转人工～", False),
    CLARIFY_ACTION: ("您是想问发票还是退款？", True),
    PROBLEM_ACTION: ("很抱歉，商品破损可以申请退换，需要的话我帮您转人工。", False),
    COMPLAINT_REPLY: ("非常抱歉给您带来不好的体验。", False),
}


class Twins:
    """One conversation kept twice: as one Rasa session, and rolled every `roll_after` customer
    messages at a quiet point (the bot listens, not paused), as RollingSQLTrackerStore rolls it."""

    def __init__(self, roll_after: int) -> None:
        self.whole = Convo()
        self.rolled: list[dict] = list(self.whole.events)
        self.roll_after = roll_after
        self.rolls = 0

    def sync(self) -> None:
        self.rolled.extend(self.whole.events[len(self.rolled) - self.extra :])
        session = self.rolled[max(i for i, e in enumerate(self.rolled) if e["event"] == "session_started") :]
        paused = False
        for event in session:
            paused = {"pause": True, "resume": False}.get(event["event"], paused)
        listening = self.rolled[-1]["event"] == "action" and self.rolled[-1]["name"] == ACTION_LISTEN
        if listening and not paused and sum(e["event"] == "user" for e in session) >= self.roll_after:
            slots = {}
            for event in self.rolled:
                if event["event"] == "slot":
                    slots[event["name"]] = event["value"]
            now = self.rolled[-1]["timestamp"] + 1  # Convo's next event comes 7 s later
            roll = roll_events(session, now, {k: v for k, v in slots.items() if v is not None}, EXPIRES_AFTER)
            self.rolled.extend(roll)
            self.extra += len(roll)
            self.rolls += 1

    extra = 0


def play(twins: Twins, seed: int, turns: int, thresholds: Thresholds, messages: list = MESSAGES) -> int:
    """Play `turns` customer messages; the bot does what `decide` says (else the message's own
    answer), hands over and is handed back like the bridge does. Returns the handovers."""
    rng = random.Random(seed)
    handovers = 0
    for _ in range(turns):
        text, intent, confidence, entities, action, reply, asks = rng.choice(messages)
        twins.whole.user(text, intent, confidence, entities=entities)
        twins.sync()
        whole, rolled = decide(twins.whole.events, thresholds), decide(twins.rolled, thresholds)
        assert rolled == whole, f"after {len(customer_turns(twins.whole.events))} messages, {twins.rolls} rolls"
        assert compute_signals(twins.rolled) == compute_signals(twins.whole.events)
        if whole is not None and whole.action == HANDOVER_ACTION:
            handovers += 1
            handed_over(twins.whole)
            twins.whole.resume().user("EXTERNAL: request_rating", "request_rating", external=True)
            twins.whole.bot("utter_ask_rating", "请为本次服务打分")
            twins.whole.user("5", "rate").bot("action_rating_thanks", "谢谢您的评价")
        elif whole is not None:
            said, question = DECIDED[whole.action]
            twins.whole.bot(whole.action, said, clarify=question)
        else:
            twins.whole.bot(action, reply, clarify=asks)
        twins.sync()
    return handovers


@pytest.mark.parametrize("roll_after", [CARRY_TURNS, 9, 13])
@pytest.mark.parametrize("seed", range(6))
def test_a_rolled_conversation_gets_the_same_decision_after_every_message(seed, roll_after):
    twins = Twins(roll_after)
    handovers = play(twins, seed, 90, Thresholds(clarify_below=0.6))
    assert twins.rolls >= 4 and handovers >= 1  # the conversation did roll, and escalated on the way


def test_with_every_limit_raised_the_counters_carry_across_many_rolls():
    # nothing hands over for a long time: complaints, insults, requests pile up across the rolls
    raised = Thresholds(
        human_request_limit=40,
        fallback_limit=0,
        unreadable_limit=0,
        miss_limit=0,
        repeat_limit=0,
        complaint_limit=0,
        insult_limit=0,
        frustration_threshold=0,
        upset_limit=0,
    )
    twins = Twins(CARRY_TURNS)
    counted = [
        m for m in MESSAGES if m[1] in ("return_exchange", "coupon", "complain", "insult", "refund") and not m[3]
    ]
    assert play(twins, 7, 120, raised, counted) == 0
    assert twins.rolls >= 10
    signals = compute_signals(twins.rolled)
    assert signals.customer_turns > 100 and signals.complaints > 5 and signals.insults > 3


def test_two_complaints_either_side_of_a_roll_hand_over():
    twins = Twins(CARRY_TURNS)
    twins.whole.user("你们这服务太差了", "complain").bot(COMPLAINT_REPLY, "非常抱歉给您带来不好的体验。")
    for number in range(CARRY_TURNS + 2):
        twins.whole.user(f"第{number}个问题 退货运费谁出", "return_exchange").bot(
            "action_return_exchange", "七天无理由退货。"
        )
    twins.sync()
    assert twins.rolls == 1
    # the first complaint is no longer among the carried events: its counter is
    carry = continued(twins.rolled)[1]
    assert carry is not None and carry.window.complaints == 1
    assert all(e.get("parse_data", {}).get("intent", {}).get("name") != "complain" for e in carry.events)
    twins.whole.user("还是这么差劲", "complain")
    twins.sync()
    decision = decide(twins.rolled)
    assert decision.action == HANDOVER_ACTION and "complaint" in decision.reasons
    assert decision == decide(twins.whole.events)


def test_a_roll_carries_the_last_messages_trimmed_and_the_turn_count():
    twins = Twins(CARRY_TURNS)
    for number in range(CARRY_TURNS + 3):
        twins.whole.user(f"第{number}个问题 发票抬头写错了", "invoice").bot("action_invoice", "可以申请换开。")
    twins.sync()
    marker = next(e for e in twins.rolled if e["event"] == "session_started" and CARRY_KEY in (e.get("metadata") or {}))
    carried = marker["metadata"][CARRY_KEY]
    assert carried["turns"] == 3
    users = [e for e in carried["events"] if e["event"] == "user"]
    assert [e["text"] for e in users] == [f"第{n}个问题 发票抬头写错了" for n in range(3, CARRY_TURNS + 3)]
    assert set(users[0]["parse_data"]) == {"intent", "entities"}  # no ranking, no featurisation
    assert not any(e["event"] == "action" and e["name"] == ACTION_LISTEN for e in carried["events"])


def test_after_the_session_would_have_expired_a_rolled_session_starts_afresh():
    twins = Twins(CARRY_TURNS)
    twins.whole.user("你们这服务太差了", "complain").bot(COMPLAINT_REPLY, "非常抱歉给您带来不好的体验。")
    for number in range(CARRY_TURNS):
        twins.whole.user(f"第{number}个问题 退货运费谁出", "return_exchange").bot(
            "action_return_exchange", "七天无理由退货。"
        )
    twins.sync()
    assert twins.rolls == 1
    soon, later = list(twins.rolled), list(twins.rolled)
    complaint = {**Convo().user("还是这么差劲", "complain").events[-1]}
    soon.append({**complaint, "timestamp": soon[-1]["timestamp"] + 60})
    later.append({**complaint, "timestamp": later[-1]["timestamp"] + EXPIRES_AFTER + 60})
    assert decide(soon).action == HANDOVER_ACTION  # the second complaint of the session
    assert decide(later) is None  # a new session: the first complaint of it gets utter_complain
    assert compute_signals(later).customer_turns == 1


def test_requests_in_a_row_are_counted_across_a_roll():
    twins = Twins(CARRY_TURNS + 4)  # four requests older than the carried messages
    patient = Thresholds(human_request_limit=40)
    for number in range(2 * (CARRY_TURNS + 4) + 1):
        twins.whole.user("人工" * (1 + number % 3), "request_human")
        twins.sync()
        assert decide(twins.rolled, patient) == decide(twins.whole.events, patient)
        twins.whole.bot(OFFER_ACTION, "需要的话我帮您转人工～")
        twins.sync()
    twins.whole.user("转人工", "request_human")
    twins.sync()
    assert twins.rolls == 2
    signals = compute_signals(twins.rolled)
    assert signals.consecutive_requests == signals.requests_since_resume == 2 * (CARRY_TURNS + 4) + 2
    assert signals == compute_signals(twins.whole.events)


@pytest.mark.parametrize("before", ["informative", "handover"])
def test_something_said_or_a_handover_before_the_carried_messages_still_counts(before):
    # a bare 转人工 asks for the problem only at first contact (ask_description_first)
    asking = Thresholds(ask_description_first=True)
    twins = Twins(CARRY_TURNS)
    if before == "informative":
        twins.whole.user("我的退款被拒绝了", "refund").bot("action_refund", "我帮您看看。")
    else:
        handed_over(twins.whole.user("我的退款被拒绝了 转人工", "request_human"))
        twins.whole.resume().user("EXTERNAL: request_rating", "request_rating", external=True)
        twins.whole.bot("utter_ask_rating", "请为本次服务打分")
    for _ in range(CARRY_TURNS + 1):
        twins.whole.user("好的谢谢", "thank").bot("utter_thank", "不客气～")
    twins.sync()
    twins.whole.user("转人工", "request_human")
    twins.sync()
    assert twins.rolls == 1 and continued(twins.rolled)[1] is not None
    decision = decide(twins.rolled, asking)
    assert decision.action == HANDOVER_ACTION  # not "please describe your problem first"
    assert decision == decide(twins.whole.events, asking)
