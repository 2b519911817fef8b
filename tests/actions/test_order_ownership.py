"""Orders belong to someone: the verified customer (actions/identity.py), the second factor and the
enumeration guard (actions/order_access.py), through the real order actions on the seeded shop."""

from __future__ import annotations

import logging

import jwt
import pytest
from rasa_sdk.events import SlotSet

from actions import order_access
from actions.aftersales_actions import ActionRefund
from actions.confirm_actions import ActionHandleAffirm
from actions.identity import verified_customer
from actions.order_actions import ActionCancelOrder, ActionChangeAddress, ActionOrderStatus, ActionVerifyOrder
from actions.shop.factory import get_adapter
from jieli_testkit import HUMAN, TEST_ACTION_TOKEN, identity_token, load_tracker, message, question, run_action

SHIPPED = "2024111800045604"  # C1002's earphones, phone 13600004444
PAID = "2024112000023402"  # C1002's night lights, paid, phone 13900002222
ASK = question(order_access.ASK_SECOND_FACTOR)


def anonymous_status(order_id: str = SHIPPED, **metadata):
    tracker = load_tracker(
        "order_status_shipped",
        text=f"订单号{order_id}到哪了",
        entities=[{"entity": "order_id", "value": order_id}],
        slots={"order_id": order_id},
    )
    tracker.latest_message["metadata"] = metadata
    return tracker


def digits_answer(
    text: str, order_id: str = SHIPPED, topic: str = "order_status", failures: float | None = None, **extra
):
    slots = {"order_id": order_id, "order_verify": order_id, "order_topic": topic, **extra}
    if failures is not None:
        slots["second_factor_failures"] = failures
    return load_tracker("order_status_no_id", text=text, intent="inform_phone_last4", entities=[], slots=slots)


def said(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


# ---------------------------------------------------------------------------------------------
# who is verified


def test_only_a_valid_bridge_token_for_this_conversation_verifies():
    tracker = anonymous_status()
    sender = tracker.sender_id
    cases = {
        "good": identity_token("C1002", sender),
        "other secret": identity_token("C1002", sender, secret="another-secret-of-enough-length-0123456"),
        "expired": identity_token("C1002", sender, ttl=-120),
        "other conversation": identity_token("C1002", "c-someone-else"),
        "wrong audience": identity_token("C1002", sender, aud="jieli-bridge"),
        "wrong issuer": identity_token("C1002", sender, iss="the-widget"),
        "no expiry": identity_token("C1002", sender, exp=...),
        "alg none": jwt.encode(
            {"iss": "jieli-bridge", "aud": "jieli-actions", "sub": "C1002", "cid": sender, "iat": 1, "exp": 4102444800},
            None,
            algorithm="none",
        ),
        "garbage": "not-a-token",
    }
    results = {}
    for name, token in cases.items():
        tracker.latest_message["metadata"] = {"jieli_identity": token}
        customer = verified_customer(tracker)
        results[name] = customer.customer_id if customer else None
    assert results == {name: ("C1002" if name == "good" else None) for name in cases}


def test_no_secret_configured_means_nobody_is_verified(env):
    env(JIELI_ACTION_TOKEN="")
    tracker = anonymous_status()
    tracker.latest_message["metadata"] = {"jieli_identity": identity_token("C1002", tracker.sender_id)}
    assert verified_customer(tracker) is None


def test_claimed_metadata_is_not_identity():
    tracker = anonymous_status(customer_id="C1002", tier="svip", identity={"verified": True, "customer_id": "C1002"})
    assert verified_customer(tracker) is None
    events, messages = run_action(ActionOrderStatus(), tracker)
    assert messages == [ASK]
    assert "接力 Air" not in said(messages)


# ---------------------------------------------------------------------------------------------
# anonymous customers


def test_anonymous_order_question_asks_to_log_in_or_give_the_digits():
    events, messages = run_action(ActionOrderStatus(), anonymous_status())
    assert messages == [ASK]
    assert events == [SlotSet("order_verify", SHIPPED), SlotSet("order_topic", "order_status")]
    assert get_adapter().get_order(SHIPPED).status == "shipped"


def test_anonymous_customer_gets_the_same_question_for_an_order_that_does_not_exist():
    _, messages = run_action(ActionOrderStatus(), anonymous_status("2024000000000000"))
    assert messages == [ASK]


@pytest.mark.parametrize(
    "action,fixture,topic",
    [
        (ActionCancelOrder, "cancel_paid", "cancel_order"),
        (ActionChangeAddress, "change_address_unshipped", "change_address"),
    ],
)
def test_anonymous_cancel_and_address_change_need_the_second_factor(action, fixture, topic):
    events, messages = run_action(action(), load_tracker(fixture))
    assert messages == [ASK]
    assert SlotSet("order_topic", topic) in events
    assert not any(e.get("name") == "pending_confirm" for e in events)


def test_anonymous_refund_record_needs_the_second_factor():
    tracker = load_tracker(
        "refund_timeline",
        text="我的退款怎么样了",
        entities=[{"entity": "order_id", "value": "2024111500034503"}],
        slots={"order_id": "2024111500034503"},
    )
    _, messages = run_action(ActionRefund(), tracker)
    assert messages == [ASK] and "78.30" not in said(messages)


def test_affirm_without_proof_cancels_nothing():
    """A forged or stale pending_confirm alone cannot cancel someone's order."""
    events, messages = run_action(ActionHandleAffirm(), load_tracker("affirm_cancel"))
    assert messages == [ASK]
    assert get_adapter().get_order(PAID).status == "paid"
    assert SlotSet("pending_confirm", None) in events


# ---------------------------------------------------------------------------------------------
# the second factor


@pytest.mark.parametrize(
    "text", ["4444", "尾号4444", "后四位是 4444", "手机号13600004444", "尾號４４４４", "4 4 4 4", "136 0000 4444"]
)
def test_the_right_digits_carry_on_with_the_question(text):
    events, messages = run_action(ActionVerifyOrder(), digits_answer(text))
    assert "顺丰速运运单号 SF1428305566704" in said(messages)
    assert SlotSet("verified_orders", {SHIPPED: "4444"}) in events and SlotSet("order_verify", None) in events


def test_verified_digits_are_remembered_for_the_conversation():
    tracker = load_tracker("order_status_shipped", slots={"verified_orders": {SHIPPED: "4444"}})
    _, messages = run_action(ActionOrderStatus(), tracker)
    assert "SF1428305566704" in said(messages)


def test_a_forged_slot_with_wrong_digits_opens_nothing():
    tracker = load_tracker("order_status_shipped", slots={"verified_orders": {SHIPPED: "1234"}})
    _, messages = run_action(ActionOrderStatus(), tracker)
    assert "SF1428305566704" not in said(messages) and "接力 Air" not in said(messages)


def test_cancel_after_the_digits_asks_to_confirm_then_cancels():
    events, messages = run_action(ActionVerifyOrder(), digits_answer("尾号2222", PAID, "cancel_order"))
    assert messages[0]["text"].startswith(f"确认要取消订单 {PAID}")
    assert SlotSet("pending_confirm", "cancel_order") in events
    confirm = load_tracker("affirm_cancel", slots={"verified_orders": {PAID: "2222"}})
    _, messages = run_action(ActionHandleAffirm(), confirm)
    assert messages[0]["text"].startswith(f"已为您取消订单 {PAID}")
    assert get_adapter().get_order(PAID).status == "cancelled"


def test_wrong_digits_get_a_kind_retry_then_a_polite_stop():
    events, messages = run_action(ActionVerifyOrder(), digits_answer("尾号1234"))
    assert messages == [question(order_access.WRONG_DIGITS)]
    assert SlotSet("second_factor_failures", 1.0) in events and SlotSet("order_verify", SHIPPED) in events
    _, messages = run_action(ActionVerifyOrder(), digits_answer("1235", failures=1.0))
    assert messages == [question(order_access.WRONG_DIGITS)]
    events, messages = run_action(ActionVerifyOrder(), digits_answer("1236", failures=2.0))
    assert messages == [message(order_access.NO_MORE_TRIES, buttons=[HUMAN])]
    assert SlotSet("second_factor_failures", 3.0) in events and SlotSet("order_verify", None) in events
    # no more offers in this conversation, even for the right digits or another order
    _, messages = run_action(
        ActionOrderStatus(), load_tracker("order_status_shipped", slots={"second_factor_failures": 3.0})
    )
    assert messages == [message(order_access.NO_MORE_TRIES, buttons=[HUMAN])]


def test_an_answer_without_digits_is_asked_again_briefly():
    _, messages = run_action(ActionVerifyOrder(), digits_answer("我忘了"))
    assert messages == [question(order_access.DIGITS_PLEASE)]


def test_login_only_shops_do_not_offer_the_digits(env):
    env(JIELI_ORDER_SECOND_FACTOR="none")
    _, messages = run_action(ActionOrderStatus(), anonymous_status())
    assert messages == [message(order_access.ASK_LOGIN)]
    _, messages = run_action(ActionVerifyOrder(), digits_answer("4444"))
    assert "SF1428305566704" not in said(messages)


# ---------------------------------------------------------------------------------------------
# verified customers


def test_the_verified_owner_sees_the_order_without_being_asked():
    _, messages = run_action(ActionOrderStatus(), load_tracker("order_status_shipped", customer="C1002"))
    assert "SF1428305566704" in said(messages)


def test_a_verified_customer_asking_for_someone_elses_order_gets_no_details():
    events, messages = run_action(ActionOrderStatus(), load_tracker("order_status_shipped", customer="C1001"))
    assert messages == [question(order_access.NOT_IN_ACCOUNT.format(order_id=SHIPPED))]
    assert "接力 Air" not in said(messages) and "SF1428305566704" not in said(messages)
    _, messages = run_action(ActionCancelOrder(), load_tracker("cancel_paid", customer="C1001"))
    assert "确认要取消" not in said(messages)


def test_a_verified_customer_may_open_a_family_order_with_its_digits():
    tracker = digits_answer("尾号4444")
    tracker.latest_message["metadata"] = {"jieli_identity": identity_token("C1001", tracker.sender_id)}
    _, messages = run_action(ActionVerifyOrder(), tracker)
    assert "SF1428305566704" in said(messages)


# ---------------------------------------------------------------------------------------------
# enumeration


def test_failed_lookups_stop_lookups_for_a_while_and_are_logged(caplog):
    caplog.set_level(logging.WARNING, logger="actions.order_access")
    for number in range(5):
        _, messages = run_action(
            ActionVerifyOrder(), digits_answer(f"尾号{1000 + number}", order_id=f"20241120000{number:05d}")
        )
        assert "暂停" not in said(messages)
    refused = [r for r in caplog.records if "order lookup refused" in r.getMessage()]
    assert len(refused) == 5
    assert "c-order-status" in refused[0].getMessage() or "conversation=" in refused[0].getMessage()
    assert "2024112000000000" not in caplog.text and "2024*" in caplog.text
    # the sixth lookup, even with the right digits of a real order, is not made
    _, messages = run_action(ActionVerifyOrder(), digits_answer("尾号4444"))
    assert "订单查询先暂停一会儿" in said(messages) and "SF1428305566704" not in said(messages)
    assert messages[0]["buttons"] == [HUMAN]


def test_the_limit_follows_a_verified_customer_into_a_new_conversation():
    for number in range(5):
        tracker = load_tracker(
            "order_status_shipped",
            text=f"订单号20241120000{number:05d}",
            entities=[{"entity": "order_id", "value": f"20241120000{number:05d}"}],
            slots={"order_id": f"20241120000{number:05d}"},
        )
        tracker.latest_message["metadata"] = {"jieli_identity": identity_token("C1001", tracker.sender_id)}
        run_action(ActionOrderStatus(), tracker)
    other = load_tracker("order_status_news_case")
    other.sender_id = "c-a-fresh-conversation"
    other.latest_message["metadata"] = {"jieli_identity": identity_token("C1001", other.sender_id)}
    _, messages = run_action(ActionOrderStatus(), other)
    assert "订单查询先暂停一会儿" in said(messages)
    # another customer in another conversation is not affected
    third = load_tracker("order_status_shipped")
    third.sender_id = "c-another-customer"
    third.latest_message["metadata"] = {"jieli_identity": identity_token("C1002", third.sender_id)}
    _, messages = run_action(ActionOrderStatus(), third)
    assert "SF1428305566704" in said(messages)


def test_the_window_ages_out():
    from actions.lookup_guard import LookupGuard

    now = [1000.0]
    guard = LookupGuard(clock=lambda: now[0])
    for _ in range(5):
        guard.record_failure(["conversation:x"])
    assert guard.blocked_for(["conversation:x"], 5, 600) == pytest.approx(600)
    now[0] += 599
    assert guard.blocked_for(["conversation:x"], 5, 600) == pytest.approx(1)
    now[0] += 2
    assert guard.blocked_for(["conversation:x"], 5, 600) == 0


def test_masked_order_numbers():
    assert order_access.mask("2024111500034503") == "2024**********03"
    assert order_access.mask("12345") == "*****"
    assert TEST_ACTION_TOKEN not in order_access.mask(TEST_ACTION_TOKEN)


def test_logging_in_while_the_bot_waits_for_the_digits_carries_on():
    """ "好了" after logging in on the shop page: the next message is verified, the question goes on."""
    from actions.confirm_actions import ActionHandleAffirm as Affirm

    tracker = load_tracker(
        "affirm_nothing_pending",
        text="好了，登录了",
        intent="affirm",
        slots={"order_id": SHIPPED, "order_verify": SHIPPED, "order_topic": "order_status"},
    )
    tracker.latest_message["metadata"] = {"jieli_identity": identity_token("C1002", tracker.sender_id)}
    _, messages = run_action(Affirm(), tracker)
    assert "SF1428305566704" in said(messages)


def test_no_digits_is_fine_and_other_ways_are_offered():
    from actions.confirm_actions import ActionHandleDeny

    tracker = load_tracker(
        "affirm_nothing_pending",
        text="不记得了",
        intent="deny",
        slots={"order_id": SHIPPED, "order_verify": SHIPPED, "order_topic": "order_status"},
    )
    events, messages = run_action(ActionHandleDeny(), tracker)
    assert messages == [message(order_access.NO_DIGITS, buttons=[HUMAN])]
    assert events == [SlotSet("order_verify", None)]


# ---------------------------------------------------------------------------------------------
# a logged-in customer's own orders, without a number


def own_question(text: str, customer: str | None = "C1002"):
    return load_tracker("order_status_no_id", text=text, entities=[], slots={}, customer=customer)


def test_a_logged_in_customer_naming_the_goods_gets_that_orders_status():
    events, messages = run_action(ActionOrderStatus(), own_question("嗯 那个 我的耳机 今天能到吗"))
    assert SHIPPED in said(messages) and "王师傅" in said(messages)
    assert SlotSet("order_id", SHIPPED) in events


def test_goods_only_one_order_holds_pick_that_order_and_two_on_the_way_are_not_guessed():
    _, messages = run_action(ActionOrderStatus(), own_question("我买的小夜灯发了没"))
    assert PAID in said(messages)
    # C1002 has earphones shipped and two orders paid: "my parcel" could be any of them
    _, messages = run_action(ActionOrderStatus(), own_question("我的快递到哪了"))
    assert "订单号" in said(messages) and SHIPPED not in said(messages) and PAID not in said(messages)


def test_an_anonymous_customer_naming_the_goods_is_still_asked_for_the_number():
    _, messages = run_action(ActionOrderStatus(), own_question("我的耳机今天能到吗", customer=None))
    assert SHIPPED not in said(messages) and "王师傅" not in said(messages)
    _, messages = run_action(ActionOrderStatus(), own_question("我的耳机今天能到吗", customer="C1001"))
    assert SHIPPED not in said(messages) and "王师傅" not in said(messages)
