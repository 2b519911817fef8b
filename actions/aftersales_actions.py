"""After-sales actions: refunds (progress, rejections, timelines, how to apply) and returns or
exchanges."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import order_access, order_text, policy
from actions.common import (
    JieliAction,
    answer_topic,
    ask,
    ask_order_id,
    choose_topic,
    find_topic,
    latest_text,
    resolve_order,
    topic_entity,
)
from actions.shop.factory import get_adapter

# refund topics answered from the order's refund record when we know the order number
RECORD_TOPICS = ("progress", "rejected", "timeline")


def overview(dispatcher: CollectingDispatcher, section: str, intent: str) -> None:
    ask(dispatcher, policy.fmt(policy.section(section).get("overview")), policy.section_buttons(intent, section))


def handle_refund(dispatcher: CollectingDispatcher, tracker: Tracker, continuing: bool = False) -> list[dict]:
    """``continuing``: the customer just sent the order number we asked for."""
    text = "" if continuing else latest_text(tracker)
    topic = choose_topic(tracker, "refund", text, None if continuing else topic_entity(tracker), search=False)
    order_id, events = resolve_order(tracker)
    wants_record = topic is None or topic.get("needs_order") or topic["id"] in RECORD_TOPICS
    if order_id and wants_record:
        opened = order_access.open_order(dispatcher, tracker, order_id, "refund")
        if opened.order is None:
            return opened.events
        order = opened.order
        refund = get_adapter().get_refund(order_id, opened.owner)
        reply, buttons = order_text.refund_reply(order, refund) if refund else order_text.no_refund_reply(order)
        dispatcher.utter_message(text=reply, buttons=buttons)
        return events + opened.events
    if continuing:  # still no order number: ask again
        return events + ask_order_id(dispatcher, "refund")
    if topic is None:
        topic = find_topic(tracker, ["refund"], text)  # "钱一般多久回来" → 到账时间
    if topic is None:
        overview(dispatcher, "refund", "refund")
        return events
    answer_topic(dispatcher, topic)
    if topic.get("needs_order") and not order_id:
        return events + ask_order_id(dispatcher, "refund")
    return events


class ActionRefund(JieliAction):
    def name(self) -> str:
        return "action_refund"

    def handle(self, dispatcher, tracker, domain):
        return handle_refund(dispatcher, tracker)


class ActionReturnExchange(JieliAction):
    def name(self) -> str:
        return "action_return_exchange"

    def handle(self, dispatcher, tracker, domain):
        # "退回去的快递费谁出" → 退货运费, in other words than the keywords
        topic = choose_topic(tracker, "return_exchange", topic_id=topic_entity(tracker))
        if topic is None:
            overview(dispatcher, "return_exchange", "return_exchange")
        else:
            answer_topic(dispatcher, topic)
        return []
