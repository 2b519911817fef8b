"""Orders belong to someone: the one place that decides whether this customer may see or change an
order, asks for the second factor, and stops order-number enumeration.

An order is opened for the customer when
* the bridge vouches for them (actions/identity.py) and the shop says the order is theirs, or
* they gave the second factor the shop configures (``JIELI_ORDER_SECOND_FACTOR``, default
  ``phone_last4``: the last four digits of the order's phone) and the shop says it matches.

Anyone else is asked, kindly, to log in or give the digits (`ASK_SECOND_FACTOR`); the order
number they typed is remembered in the slot ``order_verify`` together with what they wanted
(``order_topic``), so that the answer carries on with it. Orders verified by the digits are
remembered for this conversation only (slot ``verified_orders``: {order number: digits}); the
shop checks the digits again on every lookup, so a forged slot opens nothing.

Every refused lookup (unknown, not theirs, wrong digits) looks the same to the customer, is
logged (conversation id, masked order number) and counted by `actions.lookup_guard` per
conversation and per verified customer: past ``JIELI_ORDER_LOOKUP_LIMIT`` failures in
``JIELI_ORDER_LOOKUP_WINDOW`` seconds the bot looks nothing up until they age out.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import own_orders, policy
from actions.common import HUMAN_BUTTON, ask, order_not_found
from actions.identity import VerifiedCustomer, verified_customer
from actions.lookup_guard import get_guard, guard_keys
from actions.settings import get_settings
from actions.shop.base import Order, Owner, ShopUnavailable, phone_last4
from actions.shop.factory import get_adapter
from jieli_nlu.normalize import normalize_text

logger = logging.getLogger(__name__)

# slots (domain.yml)
VERIFY_SLOT = "order_verify"  # the order number waiting for the second factor
VERIFIED_SLOT = "verified_orders"  # {order number: phone digits} verified in this conversation
FAILURES_SLOT = "second_factor_failures"  # wrong second-factor answers in this conversation

ASK_SECOND_FACTOR = "为了保护您的订单信息，请先登录，或告诉我下单手机号的后四位～"
ASK_LOGIN = "为了保护您的订单信息，订单详情需要登录后才能查看哦～登录后再发一下订单号，我马上帮您查。"
NOT_IN_ACCOUNT = (
    "在您当前登录的账号下没有查到订单 {order_id} 😥 麻烦核对一下订单号；如果是用其他手机号下的单，"
    "告诉我下单手机号的后四位，我帮您核对～"
)
WRONG_DIGITS = "手机号后四位和这个订单对不上哦～麻烦再核对一下下单时用的手机号，也可以登录后再查。"
NO_MORE_TRIES = "为了保护您的订单信息，这边先不再核对手机号了。您可以登录后再查，或者转人工客服帮您处理～"
NO_MORE_TRIES_VERIFIED = (
    "为了保护您的订单信息，这边先不再核对手机号了。您当前登录的账号下的订单可以直接问我；"
    "其他订单可以转人工客服帮您处理～"
)
LOCKED = (
    "查询没对上的次数有点多，为了保护大家的订单信息，订单查询先暂停一会儿，大约 {minutes} 分钟后可以再试。"
    "着急的话可以转人工客服帮您处理～"
)
NO_DIGITS = "没关系～登录后就能直接查看订单；也可以转人工客服，帮您核对身份后处理。"
DIGITS_PLEASE = "告诉我下单手机号的后四位数字就可以啦（比如「尾号 1234」）～"
NOTHING_TO_VERIFY = "好的～请问是哪个订单呢？把订单号发给我，我帮您核对。"

_FOUR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
# digits typed or dictated apart: "1 2 1 2", "138 0000 4444", "5-6-5-6"
_SPACED = re.compile(r"(?<!\d)\d(?:[ -]?\d){3,10}(?!\d)")


def mask(order_id: str) -> str:
    """ "2024111500034503" → "2024**********03" (for logs)."""
    order_id = str(order_id or "")
    if len(order_id) <= 6:
        return "*" * len(order_id)
    return order_id[:4] + "*" * (len(order_id) - 6) + order_id[-2:]


def second_factor_enabled() -> bool:
    return get_settings().order_second_factor == "phone_last4"


def _joined_if_a_phone_part(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return digits if len(digits) in (4, 11) else match.group(0)


def digits_in(text: str | None) -> str | None:
    """The phone digits a customer gave: exactly one run of four digits ("尾号1234",
    "后四位是 1234", "1 2 3 4"), or a whole mobile number ("138 0000 4444": its last four).
    None otherwise."""
    if not text or policy.is_payload(text):
        return None
    normalized = _SPACED.sub(_joined_if_a_phone_part, normalize_text(text))
    mobiles = _MOBILE.findall(normalized)
    if len(mobiles) == 1:
        return mobiles[0][-4:]
    fours = _FOUR.findall(normalized)
    return fours[0] if len(fours) == 1 else None


def latest_digits(tracker: Tracker) -> str | None:
    text = (tracker.latest_message or {}).get("text")
    return digits_in(text[:200]) if isinstance(text, str) else None


def _verified_orders(tracker: Tracker) -> dict[str, str]:
    value = tracker.get_slot(VERIFIED_SLOT)
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str) and re.fullmatch(r"\d{4}", v)}


def _failures(tracker: Tracker) -> int:
    value = tracker.get_slot(FAILURES_SLOT)
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def owner_for(
    tracker: Tracker, order_id: str, customer: VerifiedCustomer | None = None, digits: str | None = None
) -> Owner | None:
    """What this customer can prove about ``order_id`` without being asked: the verified customer
    id, the digits verified earlier in the conversation (or ``digits`` given just now)."""
    customer = customer if customer is not None else verified_customer(tracker)
    digits = digits or _verified_orders(tracker).get(str(order_id))
    if not customer and not digits:
        return None
    return Owner(customer_id=customer.customer_id if customer else None, phone_last4=digits)


def order_verified(tracker: Tracker, order: Order | None) -> bool:
    """Whether ``order`` (as the shop knows it, unrestricted) was opened for its owner in this
    conversation: the verified customer placed it, or its phone's digits were verified."""
    if order is None:
        return False
    customer = verified_customer(tracker)
    if customer and order.customer_id and order.customer_id == customer.customer_id:
        return True
    digits = _verified_orders(tracker).get(order.order_id)
    return bool(digits and digits == phone_last4(order.phone))


@dataclass
class Opened:
    """The outcome of `open_order`: the order (None when refused — the customer has been told
    why) and the owner to pass to the adapter for anything else about it."""

    order: Order | None
    owner: Owner | None = None
    events: list[dict] = field(default_factory=list)


def _locked(dispatcher: CollectingDispatcher, seconds: float) -> Opened:
    minutes = max(1, math.ceil(seconds / 60))
    dispatcher.utter_message(text=LOCKED.format(minutes=minutes), buttons=[HUMAN_BUTTON])
    return Opened(None, events=[SlotSet(VERIFY_SLOT, None)])


def _refused(tracker: Tracker, order_id: str, customer: VerifiedCustomer | None, reason: str) -> None:
    get_guard().record_failure(guard_keys(tracker.sender_id, customer.customer_id if customer else None))
    logger.warning(
        "order lookup refused: conversation=%s order=%s reason=%s verified=%s",
        tracker.sender_id,
        mask(order_id),
        reason,
        bool(customer),
    )


def _ask_digits(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str, topic: str, text: str = ASK_SECOND_FACTOR
) -> Opened:
    ask(dispatcher, text)
    events = [SlotSet(VERIFY_SLOT, order_id), SlotSet("order_topic", topic)]
    if tracker.get_slot("order_id") != order_id:
        events.insert(0, SlotSet("order_id", order_id))
    return Opened(None, events=events)


def _stop_offering(dispatcher: CollectingDispatcher, customer: VerifiedCustomer | None, events: list[dict]) -> Opened:
    dispatcher.utter_message(text=NO_MORE_TRIES_VERIFIED if customer else NO_MORE_TRIES, buttons=[HUMAN_BUTTON])
    return Opened(
        None, events=events + [SlotSet(VERIFY_SLOT, None), SlotSet("order_topic", None), SlotSet("order_id", None)]
    )


def open_order(dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str, topic: str) -> Opened:
    """The order ``order_id`` if this customer may see it, for the question ``topic``
    (order_status, cancel_order, change_address, refund). When not, the customer has been told
    what to do (log in, give the digits, try again later) and `Opened.order` is None."""
    settings = get_settings()
    order_id = str(order_id)
    customer = verified_customer(tracker)
    keys = guard_keys(tracker.sender_id, customer.customer_id if customer else None)
    wait = get_guard().blocked_for(keys, settings.order_lookup_limit, settings.order_lookup_window)
    if wait > 0:
        logger.warning(
            "order lookup blocked: conversation=%s order=%s (too many failed lookups)",
            tracker.sender_id,
            mask(order_id),
        )
        return _locked(dispatcher, wait)

    failures = _failures(tracker)
    may_offer = second_factor_enabled() and failures < settings.second_factor_tries
    fresh = latest_digits(tracker) if (may_offer and tracker.get_slot(VERIFY_SLOT) == order_id) else None
    owner = owner_for(tracker, order_id, customer, fresh)
    if owner is None:  # anonymous, nothing verified for this order yet
        if not second_factor_enabled():
            dispatcher.utter_message(text=ASK_LOGIN)
            return Opened(None, events=[SlotSet("order_topic", topic)])
        if not may_offer:
            return _stop_offering(dispatcher, None, [])
        return _ask_digits(dispatcher, tracker, order_id, topic)

    order = get_adapter().get_order(order_id, owner)
    if order is not None:
        events: list[dict] = []
        if fresh:
            events += [
                SlotSet(VERIFIED_SLOT, {**_verified_orders(tracker), order_id: fresh}),
                SlotSet(VERIFY_SLOT, None),
            ]
        return Opened(order, owner, events)

    if fresh:  # the digits did not match (or there is no such order: the same answer)
        _refused(tracker, order_id, customer, "second_factor")
        failures += 1
        events = [SlotSet(FAILURES_SLOT, float(failures))]
        if failures >= settings.second_factor_tries:
            return _stop_offering(dispatcher, customer, events)
        opened = _ask_digits(dispatcher, tracker, order_id, topic, WRONG_DIGITS)
        opened.events = events + opened.events
        return opened

    _refused(tracker, order_id, customer, "not_found_or_not_theirs")
    if customer and may_offer:
        return _ask_digits(dispatcher, tracker, order_id, topic, NOT_IN_ACCOUNT.format(order_id=order_id))
    return Opened(
        None,
        events=order_not_found(dispatcher, tracker, order_id, topic)
        + ([SlotSet(VERIFY_SLOT, None)] if tracker.get_slot(VERIFY_SLOT) else []),
    )


def pending_verification(tracker: Tracker) -> str | None:
    value = tracker.get_slot(VERIFY_SLOT)
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def nothing_to_verify(dispatcher: CollectingDispatcher, topic: str | None) -> list[dict]:
    ask(dispatcher, NOTHING_TO_VERIFY)
    return [SlotSet("order_topic", topic or "order_status")]


def digits_please(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    ask(dispatcher, DIGITS_PLEASE)
    return []


def own_order_meant(tracker: Tracker, text: str) -> str | None:
    """The number of the verified customer's own order that ``text`` means though it gives none
    ("我的耳机今天能到吗"): see actions/own_orders.py. None for an anonymous customer, when unsure,
    or when the shop cannot list them just now (the number is asked for, as without a listing)."""
    customer = verified_customer(tracker)
    if customer is None:
        return None
    try:
        orders = get_adapter().customer_orders(customer.customer_id)
    except ShopUnavailable as error:
        logger.warning("listing a customer's orders failed, asking for the number instead: %s", error)
        return None
    order = own_orders.meant_order(orders, normalize_text(text))
    return order.order_id if order else None
