"""No input crashes an action: empty text, 5,000 characters, only emoji, odd entities and slots,
a broken policy file, an unreachable shop."""

from __future__ import annotations

import pytest

from actions.aftersales_actions import ActionRefund, ActionReturnExchange
from actions.common import GENERIC_APOLOGY, SHOP_UNAVAILABLE
from actions.confirm_actions import ActionHandleAffirm, ActionHandleDeny
from actions.faq_actions import ActionCoupon, ActionInvoice, ActionPayment, ActionProductInfo
from actions.handover_actions import ActionHandover
from actions.order_actions import ActionCancelOrder, ActionChangeAddress, ActionContinueOrder, ActionOrderStatus
from actions.product_actions import ActionProductUsage
from jieli_testkit import HUMAN, closed_port_url, load_tracker, message, run_action

ACTIONS = [
    ActionOrderStatus,
    ActionCancelOrder,
    ActionChangeAddress,
    ActionContinueOrder,
    ActionRefund,
    ActionReturnExchange,
    ActionInvoice,
    ActionPayment,
    ActionCoupon,
    ActionProductInfo,
    ActionProductUsage,
    ActionHandleAffirm,
    ActionHandleDeny,
    ActionHandover,
]
INTENT = {
    "action_order_status": "order_status",
    "action_cancel_order": "cancel_order",
    "action_change_address": "change_address",
    "action_continue_order": "inform_order_id",
    "action_refund": "refund",
    "action_return_exchange": "return_exchange",
    "action_invoice": "invoice",
    "action_payment": "payment",
    "action_coupon": "coupon",
    "action_product_info": "product_info",
    "action_product_usage": "product_usage",
    "action_handle_affirm": "affirm",
    "action_handle_deny": "deny",
    "action_handover": "request_human",
}
BAD_TEXTS = {
    "empty": "",
    "long": "我要退款怎么还没到账" * 500,  # 5,000 characters
    "digits": "1" * 5000,
    "emoji": "😡😡😡🙏🙏",
    "invisible": "\u200b\u200b\ufeff",
    "payload": '/refund{"topic": [1, 2]}',
    "mixed": "ＡＢＣ！！！？??...~~~" + "訂單" * 100,
}


def check(events, messages):
    assert isinstance(events, list) and all(isinstance(e, dict) and "event" in e for e in events)
    assert messages, "the customer always gets an answer"
    for m in messages:
        assert m["text"] or m["response"]
        assert len(m["buttons"]) <= 6


@pytest.mark.parametrize("name", list(BAD_TEXTS))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a().name())
def test_bad_text(action, name):
    instance = action()
    tracker = load_tracker(
        "bad_input", as_owner=True, text=BAD_TEXTS[name], intent=INTENT[instance.name()], entities=[]
    )
    check(*run_action(instance, tracker))


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a().name())
def test_no_latest_message_and_strange_slots(action):
    tracker = load_tracker(
        "bad_input",
        as_owner=True,
        slots={"order_id": "abc", "order_topic": "???", "pending_confirm": "", "product": "no-such-product"},
    )
    tracker.latest_message = {}
    check(*run_action(action(), tracker))


@pytest.mark.parametrize(
    "entities",
    [
        [{"entity": "order_id", "value": None}],
        [{"entity": "order_id", "value": ["2024111800045604"]}],
        [{"entity": "order_id", "value": "12"}],
        [{"entity": "order_id", "value": 2024111800045604}],
        [{"entity": "topic", "value": {"x": 1}}],
        [{"no": "entity key"}, "not even a dict"],
    ],
)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a().name())
def test_odd_entities(action, entities):
    tracker = load_tracker("bad_input", as_owner=True, text="查一下", intent=INTENT[action().name()], entities=entities)
    check(*run_action(action(), tracker))


def test_numeric_order_id_entity_is_understood():
    tracker = load_tracker(
        "bad_input",
        as_owner=True,
        text="查一下",
        intent="order_status",
        entities=[{"entity": "order_id", "value": 2024111800045604}],
    )
    _, messages = run_action(ActionOrderStatus(), tracker)
    assert "SF1428305566704" in messages[0]["text"]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a().name())
def test_broken_policy_file_gives_an_apology(action, env, tmp_path):
    bad = tmp_path / "policy.yml"
    bad.write_text("shop: [", encoding="utf-8")
    env(JIELI_POLICY_PATH=str(bad), JIELI_MANUALS_PATH=str(tmp_path / "missing.yml"))
    tracker = load_tracker(
        "bad_input",
        as_owner=True,
        text="发票抬头写错了 2024111800045604",
        intent=INTENT[action().name()],
        slots={"pending_confirm": "cancel_order", "order_id": "2024111800045604"},
    )
    events, messages = run_action(action(), tracker)
    check(events, messages)
    if action not in (ActionHandover, ActionHandleDeny):  # these two need no policy to answer
        assert messages[-1] == message(GENERIC_APOLOGY, buttons=[HUMAN])


@pytest.mark.parametrize(
    "action",
    [ActionOrderStatus, ActionCancelOrder, ActionChangeAddress, ActionContinueOrder, ActionRefund],
    ids=lambda a: a().name(),
)
def test_unreachable_shop_gives_an_apology(action, env):
    env(JIELI_SHOP_ADAPTER="http", JIELI_SHOP_API_URL=closed_port_url(), JIELI_SHOP_API_TIMEOUT="1")
    tracker = load_tracker("order_status_shipped", as_owner=True, intent=INTENT[action().name()])
    events, messages = run_action(action(), tracker)
    assert events == [] and messages == [message(SHOP_UNAVAILABLE, buttons=[HUMAN])]


def test_unreachable_shop_during_confirmation_keeps_the_question(env):
    env(JIELI_SHOP_ADAPTER="http", JIELI_SHOP_API_URL=closed_port_url(), JIELI_SHOP_API_TIMEOUT="1")
    events, messages = run_action(ActionHandleAffirm(), load_tracker("affirm_cancel", as_owner=True))
    assert events == [] and messages == [message(SHOP_UNAVAILABLE, buttons=[HUMAN])]


def test_database_that_cannot_be_opened_gives_an_apology(env, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env(JIELI_SHOP_DB_URL=f"sqlite:///{blocker}/sub/shop.db")
    events, messages = run_action(ActionOrderStatus(), load_tracker("order_status_shipped", as_owner=True))
    assert events == [] and messages[0]["text"] in (SHOP_UNAVAILABLE, GENERIC_APOLOGY)
