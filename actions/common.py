"""What every Jieli action shares: a safe base class, reading the tracker, common buttons and the
order-number rule.

`JieliAction.run` runs the (blocking) handler in a worker thread and turns any failure into a
short apology with a 转人工 button: an action never crashes the conversation.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import policy
from actions.shop.base import ShopUnavailable
from jieli_dialogue.signals import CLARIFY
from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_ids import find_order_ids

logger = logging.getLogger(__name__)

HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}
ORDER_TOPICS = ("order_status", "cancel_order", "change_address", "refund")
MAX_TEXT = 2000  # characters of a customer message we look at for keywords and order numbers

GENERIC_APOLOGY = "抱歉，我这边出了点问题，暂时没法回答您 🙏 您可以稍后再试，或者转人工客服。"
SHOP_UNAVAILABLE = "抱歉，订单系统暂时连不上，我现在查不到订单信息 🙏 请稍后再试，或者转人工客服帮您查。"


class JieliAction(Action, abc.ABC):
    """Base of every Jieli action (abstract, so rasa_sdk does not register it)."""

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        """Answer the customer; return the events. Runs in a worker thread; may block."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        return await asyncio.to_thread(self.run_safely, dispatcher, tracker, domain)

    def run_safely(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        try:
            return self.handle(dispatcher, tracker, domain or {})
        except ShopUnavailable as error:
            logger.warning("%s: shop unavailable: %s", self.name(), error)
            dispatcher.utter_message(text=SHOP_UNAVAILABLE, buttons=[HUMAN_BUTTON])
        except Exception:  # noqa: BLE001 - the customer gets an apology, never a crash
            logger.exception("%s failed", self.name())
            self.fallback(dispatcher)
        return []

    def fallback(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(text=GENERIC_APOLOGY, buttons=[HUMAN_BUTTON])


# ---------------------------------------------------------------------------------------------
# reading the tracker


def latest_text(tracker: Tracker) -> str:
    text = (tracker.latest_message or {}).get("text")
    return text[:MAX_TEXT] if isinstance(text, str) else ""


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def entity_value(tracker: Tracker, entity: str) -> str | None:
    for entry in (tracker.latest_message or {}).get("entities") or []:
        if isinstance(entry, dict) and entry.get("entity") == entity:
            value = entry.get("value")
            if isinstance(value, (str, int)) and str(value).strip():
                return str(value).strip()
    return None


def topic_entity(tracker: Tracker) -> str | None:
    return entity_value(tracker, "topic")


def previous_bot_text(tracker: Tracker) -> str | None:
    """What the bot said last before the customer's newest message (its answer the customer may be
    following up on), or None."""
    seen_user = False
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None
            seen_user = True
        elif kind == "bot" and seen_user and isinstance(event.get("text"), str):
            return event["text"]
    return None


def group_topics(group: str) -> list[dict]:
    """The topics of a policy section or of a product's manual."""
    product = policy.get_product(group)
    return policy.topics(product.get("topics")) if product else policy.topics(group)


def choose_topic(
    tracker: Tracker, group: str, text: str | None = None, topic_id: str | None = None, search: bool = True
) -> dict | None:
    """The answer topic of `group` (a policy section or a product id) the newest message asks
    about: the button's topic; else the best keyword match (when several match equally well, the
    one the message means); else, with `search`, the topic it clearly means in other words
    (`find_topic`); else None."""
    from actions import topic_search

    text = latest_text(tracker) if text is None else text
    topics = group_topics(group)
    chosen = policy.get_topic(topics, topic_id)
    if chosen:
        return chosen
    ties = policy.keyword_ties(topics, text)
    if len(ties) > 1:
        return topic_search.best_of(text, group, ties) or ties[0]
    if ties:
        return ties[0]
    return find_topic(tracker, [group], text) if search else None


def follow_up_topic(tracker: Tracker) -> dict | None:
    """The topic the bot answered just before, when the newest message is clearly a follow-up on
    it ("收件人写谁" right after the return address): answered from it rather than with a request
    for an order number."""
    from actions import topic_search

    if order_id_in_message(tracker):
        return None
    found = topic_search.follow_up(latest_text(tracker), previous_bot_text(tracker))
    return found.topic if found else None


def find_topic(tracker: Tracker, groups: Iterable[str], text: str | None = None) -> dict | None:
    """The answer topic of `groups` (policy sections or product ids) the newest message is clearly
    about when none of the keywords matched: by meaning, shared words, and the topic the bot just
    answered (actions/topic_search.py). None: ask instead."""
    from actions import topic_search

    found = topic_search.find(
        latest_text(tracker) if text is None else text, groups, previous_answer=previous_bot_text(tracker)
    )
    if found is None:
        return None
    logger.info(
        "topic search: %s/%s (score %.3f, margin %.3f)", found.group, found.topic.get("id"), found.score, found.margin
    )
    return found.topic


def _digits(value: Any) -> str | None:
    digits = "".join(ch for ch in normalize_text(str(value)) if ch.isdigit()) if value is not None else ""
    return digits if 6 <= len(digits) <= 20 else None


def order_id_in_message(tracker: Tracker) -> str | None:
    """The order number of the latest message: the `order_id` entity, else one found in the text
    by the same rule the NLU uses (jieli_nlu.order_ids)."""
    from_entity = _digits(entity_value(tracker, "order_id"))
    if from_entity:
        return from_entity
    text = latest_text(tracker)
    if not text or policy.is_payload(text):
        return None
    found = find_order_ids(normalize_text(text))
    return found[0].value if found else None


def resolve_order(tracker: Tracker) -> tuple[str | None, list[dict]]:
    """(order number, events) for an order action: the number from the latest message, else the
    `order_id` slot. Events: set the slot when the number came from the text only, and clear a
    pending `order_topic` (the question it was waiting for is being answered)."""
    events: list[dict] = []
    order_id = order_id_in_message(tracker)
    slot_value = tracker.get_slot("order_id")
    if order_id and order_id != slot_value:
        events.append(SlotSet("order_id", order_id))
    if not order_id:
        order_id = _digits(slot_value)
    if order_id and tracker.get_slot("order_topic"):
        events.append(SlotSet("order_topic", None))
    return order_id, events


ASK_ORDER_ID_DEFAULT = "麻烦发一下您的订单号哦，我马上帮您查。"


def ask(dispatcher: CollectingDispatcher, text: str, buttons: list[dict] | None = None) -> None:
    """Say a question of the bot's own (a topic menu, "请发订单号"). The bot message is marked
    `clarify`, so the escalation signals notice when the customer passes it over
    (jieli_dialogue/signals/unhelped_turns.py: unhelped)."""
    dispatcher.utter_message(text=text, buttons=buttons or [], **{CLARIFY: True})


def ask_order_id(dispatcher: CollectingDispatcher, topic: str) -> list[dict]:
    """Ask for the order number in the shop's words (policy.yml: order_help.ask_order_id)."""
    ask(dispatcher, policy.fmt(policy.section("order_help").get("ask_order_id") or ASK_ORDER_ID_DEFAULT))
    return [SlotSet("order_topic", topic)]


def order_not_found(dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str, topic: str) -> list[dict]:
    """Say the number was not found; forget it, and keep waiting for a number for ``topic``."""
    dispatcher.utter_message(
        text=f"没有查到订单 {order_id} 😥 麻烦核对一下订单号（在「我的订单 → 订单详情」里可以复制）。"
        "如果确认没有错，我帮您转人工客服查一下。",
        buttons=[HUMAN_BUTTON],
    )
    events: list[dict] = []
    if tracker.get_slot("order_id") is not None:
        events.append(SlotSet("order_id", None))
    if tracker.get_slot("order_topic") != topic:
        events.append(SlotSet("order_topic", topic))
    return events


def answer_topic(dispatcher: CollectingDispatcher, topic: dict, note: str = "", **extra: Any) -> None:
    """Say a policy/manual topic's answer, then `note` （with a 转人工 button when the topic
    offers one）."""
    buttons = [HUMAN_BUTTON] if topic.get("offer_human") else []
    dispatcher.utter_message(text=policy.fmt(topic.get("answer"), **extra) + note, buttons=buttons)


def payload(intent: str, **entities: str) -> str:
    """A quick-reply payload: /intent or /intent{"entity":"value"}."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
