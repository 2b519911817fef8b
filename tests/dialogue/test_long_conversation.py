"""A long conversation through the trained bot goes the same whether Rasa keeps it in one session or
the tracker store rolls it into short ones (jieli_dialogue/tracker_store.py): the same actions and
replies after every message, the order the customer gave still known after the rolls, and the
complaint that hands over counted across them. In one process (tests/dialogue/harness.py), on a
SQLite tracker store rolled every 8 messages; skipped when there is no trained model."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

from jieli_dialogue.signals import CARRY_TURNS
from jieli_dialogue.tracker_store import RollingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "jieli.tar.gz"
ORDER, DIGITS, TRACKING = "2024111800045604", "4444", "SF1428305566704"  # shop/demo_orders.yml: shipped

pytestmark = [
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `make train`"),
    pytest.mark.filterwarnings("ignore"),
]

SCRIPT = [
    "你好",
    "我的快递到哪了",
    ORDER,
    f"尾号{DIGITS}",
    "你们这服务也太差了吧",  # the first complaint: utter_complain
    "好的",  # (telling what happened now would count as the second)
    "退货运费谁出",
    "怎么开增值税专用发票",
    "买完就降价了能补差价吗",
    "支持哪些付款方式",
    "这个小夜灯三个按钮分别是干嘛的",
    "七天无理由退货吗",
    "优惠券怎么用",
    "这个订单什么时候能到",  # the order given at message 3, two rolls ago
    "发票抬头写错了怎么办",
    "可以用花呗吗",
    "退款多久到账",
    "人工智能客服挺好用",
    "我想改一下收货地址",
    "你们服务真的太差劲了",  # the second complaint of the session: a person
]


@contextlib.contextmanager
def tracker_store(bot, store):
    """The in-process bot on another tracker store for a while."""
    agent = bot.agent
    saved = agent.tracker_store, agent.processor.tracker_store
    wrapped = FailSafeTrackerStore(store)
    agent.tracker_store = agent.processor.tracker_store = wrapped
    try:
        yield
    finally:
        agent.tracker_store, agent.processor.tracker_store = saved


def play(bot):
    conversation = bot.conversation()
    for text in SCRIPT:
        conversation.say(text)
        if conversation.handover_turn():
            break
    return conversation


def test_rolled_sessions_change_nothing_the_customer_sees(bot, tmp_path):
    bot.bridge.bodies.clear()
    with tracker_store(bot, InMemoryTrackerStore(bot.agent.domain)):
        whole = play(bot)
    rolling = RollingSQLTrackerStore(
        domain=bot.agent.domain, dialect="sqlite", db=str(tmp_path / "trackers.db"), roll_after=CARRY_TURNS
    )
    with tracker_store(bot, rolling):
        rolled = play(bot)
        full = bot.run(bot.agent.tracker_store.retrieve_full_tracker(rolled.sender))
    sessions = sum(1 for e in full.events if e.type_name == "session_started")
    assert sessions >= 3  # Rasa's own session start, then rolls
    assert [r.actions for r in rolled.replies] == [r.actions for r in whole.replies]
    assert [r.said for r in rolled.replies] == [r.said for r in whole.replies]
    # the order and its verification, given before the rolls, still answer the later question
    later = rolled.replies[SCRIPT.index("这个订单什么时候能到")]
    assert TRACKING in later.said and "订单号" not in later.said
    # the second complaint, many messages and two rolls after the first, hands over in both
    assert rolled.handover_turn() == whole.handover_turn() == len(SCRIPT)
    whole_body, rolled_body = bot.bridge.bodies
    assert rolled_body["reason"] == whole_body["reason"] == "complaint"
    for key in ("category", "priority", "order_id", "frustration_level", "human_requests"):
        assert rolled_body["context"][key] == whole_body["context"][key], key
    assert rolled_body["context"]["signals"]["values"] == whole_body["context"]["signals"]["values"]
    # the agent sees the turns numbered from the conversation's start, and is told the bot's record is partial
    assert rolled_body["context"]["intents"][-1]["turn"] == whole_body["context"]["intents"][-1]["turn"] == len(SCRIPT)
    assert rolled_body["context"]["transcript_truncated"]
