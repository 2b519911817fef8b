"""Order actions: status and tracking, cancellation (asks to confirm), address changes, and
carrying on once the customer sends the order number we asked for."""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import order_access, order_text, policy
from actions.aftersales_actions import handle_refund
from actions.common import (
    HUMAN_BUTTON,
    JieliAction,
    answer_topic,
    ask_order_id,
    choose_topic,
    find_topic,
    follow_up_topic,
    latest_text,
    resolve_order,
    topic_entity,
)
from actions.shop.base import CancelResult, Order, yuan
from actions.shop.factory import get_adapter
from jieli_nlu.normalize import normalize_text

# "我的快递到哪了", "帮我查下我买的东西": about one order (ask for its number), not the shop's rules
ABOUT_AN_ORDER = re.compile(r"我的|我买的|我家的|我拍的|我那|俺的|单号|订单|查一下|查查|帮我查|到哪|在哪|物流信息|包裹")

CONFIRM_BUTTONS = [{"title": "确认取消", "payload": "/affirm"}, {"title": "先不取消", "payload": "/deny"}]


# ---------------------------------------------------------------------------------------------
# handlers (shared with action_continue_order)


def handle_order_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    order_id, events = resolve_order(tracker)
    text = latest_text(tracker)
    about_an_order = bool(ABOUT_AN_ORDER.search(normalize_text(text)))
    if not order_id and about_an_order:
        # a logged-in customer asking about "我的耳机" need not look up its number
        order_id = order_access.own_order_meant(tracker, text)
        events += [SlotSet("order_id", order_id)] if order_id else []
    if not order_id:
        topic = choose_topic(tracker, "shipping", text, topic_entity(tracker), search=False)
        if topic is None and not about_an_order:
            topic = find_topic(tracker, ["shipping"], text)  # "发到北京要几天": the shop's rule, no order
        if topic is None:
            return ask_order_id(dispatcher, "order_status")
        dispatcher.utter_message(
            text=policy.fmt(topic.get("answer")), buttons=[HUMAN_BUTTON] if topic.get("offer_human") else []
        )
        if topic.get("ask_order_id"):
            return ask_order_id(dispatcher, "order_status")
        return []
    opened = order_access.open_order(dispatcher, tracker, order_id, "order_status")
    if opened.order is None:
        return opened.events
    order = opened.order
    refund = get_adapter().get_refund(order_id, opened.owner) if order.status != "pending_payment" else None
    text, buttons = order_text.describe_order(order, refund)
    dispatcher.utter_message(text=text, buttons=buttons)
    return events + opened.events


def not_cancellable_reply(order: Order, result: CancelResult | None = None) -> tuple[str, list[dict]]:
    """Why an order cannot be cancelled, and what the customer can do instead."""
    reason = result.reason if result else None
    if order.status == "cancelled" or reason == "already_cancelled":
        return f"订单 {order.order_id} 已经是取消状态了，不需要再操作。", []
    if order.status == "shipped" or (order.is_shipped and order.status != "delivered"):
        carrier = policy.carrier(order.carrier)
        text = policy.answer(
            "order_help",
            "cancel_shipped",
            order_id=order.order_id,
            carrier=carrier["name"],
            tracking_no=order.tracking_no or "",
        )
        return text or f"订单 {order.order_id} 已经发货，没办法直接取消了。", [
            order_text.HOW_TO_RETURN_BUTTON,
            HUMAN_BUTTON,
        ]
    if order.status == "delivered":
        days = order_text.shop_number("after_sales_days", 7)
        return (
            f"订单 {order.order_id} 已经签收，不能取消了。不想要的话，签收 {days} 天内可以申请退货。",
            [order_text.HOW_TO_RETURN_BUTTON, HUMAN_BUTTON],
        )
    status = policy.order_status_text(order.status)
    return (
        f"订单 {order.order_id} 当前状态是「{status}」，不能再取消了。需要的话我帮您转人工客服看看。",
        [HUMAN_BUTTON],
    )


def handle_cancel_order(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    order_id, events = resolve_order(tracker)
    if not order_id and (topic := follow_up_topic(tracker)):
        answer_topic(dispatcher, topic)
        return events
    if not order_id:
        return ask_order_id(dispatcher, "cancel_order")
    opened = order_access.open_order(dispatcher, tracker, order_id, "cancel_order")
    if opened.order is None:
        return opened.events
    order, events = opened.order, events + opened.events
    if not order.is_cancellable:
        text, buttons = not_cancellable_reply(order)
        dispatcher.utter_message(text=text, buttons=buttons)
        return events
    if order.paid_at or order.status == "paid":
        money = f"取消后 {yuan(order.total_cents)} 会全额{order_text.refund_way(order)}。"
    else:
        money = "订单还没付款，取消后不会产生任何费用。"
    items = order_text.items_summary(order)
    what = f"（{items}，{yuan(order.total_cents)}）" if items else ""
    dispatcher.utter_message(text=f"确认要取消订单 {order.order_id}{what}吗？{money}", buttons=CONFIRM_BUTTONS)
    return events + [SlotSet("pending_confirm", "cancel_order")]


def handle_change_address(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    order_id, events = resolve_order(tracker)
    if not order_id and (topic := follow_up_topic(tracker)):
        answer_topic(dispatcher, topic)  # "收件人写谁" after the return address: not about an order
        return events
    if not order_id:
        return ask_order_id(dispatcher, "change_address")
    opened = order_access.open_order(dispatcher, tracker, order_id, "change_address")
    if opened.order is None:
        return opened.events
    order, events = opened.order, events + opened.events
    if order.status in ("pending_payment", "paid") and not order.is_shipped:
        text = policy.answer("order_help", "change_address_unshipped", order_id=order_id)
    elif order.status == "shipped" or (order.status == "paid" and order.is_shipped):
        carrier = policy.carrier(order.carrier)
        text = policy.answer(
            "order_help",
            "change_address_shipped",
            order_id=order_id,
            carrier=carrier["name"],
            tracking_no=order.tracking_no or "",
            carrier_hotline=carrier["hotline"] or "",
        )
    else:
        text = policy.answer(
            "order_help", "change_address_done", order_id=order_id, status_text=policy.order_status_text(order.status)
        )
        dispatcher.utter_message(text=text)
        return events
    dispatcher.utter_message(text=text, buttons=[HUMAN_BUTTON])
    return events


# ---------------------------------------------------------------------------------------------
# actions


class ActionOrderStatus(JieliAction):
    def name(self) -> str:
        return "action_order_status"

    def handle(self, dispatcher, tracker, domain):
        return handle_order_status(dispatcher, tracker)


class ActionCancelOrder(JieliAction):
    def name(self) -> str:
        return "action_cancel_order"

    def handle(self, dispatcher, tracker, domain):
        return handle_cancel_order(dispatcher, tracker)


class ActionChangeAddress(JieliAction):
    def name(self) -> str:
        return "action_change_address"

    def handle(self, dispatcher, tracker, domain):
        return handle_change_address(dispatcher, tracker)


def continue_order(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    """Carry on with the question that was waiting (`order_topic`), else show the order's status."""
    handlers = {
        "order_status": handle_order_status,
        "cancel_order": handle_cancel_order,
        "change_address": handle_change_address,
        "refund": lambda d, t: handle_refund(d, t, continuing=True),
    }
    topic = tracker.get_slot("order_topic")
    return handlers.get(topic, handle_order_status)(dispatcher, tracker)


class ActionContinueOrder(JieliAction):
    """The customer sent an order number: carry on with the question that was waiting for it
    (`order_topic`), else show the order's status."""

    def name(self) -> str:
        return "action_continue_order"

    def handle(self, dispatcher, tracker, domain):
        return continue_order(dispatcher, tracker)


class ActionVerifyOrder(JieliAction):
    """The customer gave the phone's last four digits (intent inform_phone_last4) after the bot
    asked for them (actions/order_access.py): check them with the shop and carry on with what they
    asked (`order_topic`); a wrong answer gets a kind retry, a few a polite stop."""

    def name(self) -> str:
        return "action_verify_order"

    def handle(self, dispatcher, tracker, domain):
        pending = order_access.pending_verification(tracker)
        if not pending:
            return order_access.nothing_to_verify(dispatcher, tracker.get_slot("order_topic"))
        if order_access.latest_digits(tracker) is None:
            return order_access.digits_please(dispatcher)
        return continue_order(dispatcher, tracker)
