"""Who the customer is (verified by the bridge, or only claimed by the widget) and the order as
the shop knows it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker

from actions import policy

logger = logging.getLogger("actions.handover_context")

JIELI_IDENTITY = "jieli_identity"  # actions/identity.py


def _amount(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value).replace("¥", "").replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def order_facts(order_id: str | None, tracker: Tracker | None = None) -> dict | None:
    """The order as the shop knows it (status, total, items), or None; never raises. The agent
    is the shop's staff: the order is looked up without an owner, and ``order_verified`` says
    whether it was opened for its owner in this conversation (the verified customer placed it, or
    the phone digits were checked: actions/order_access.py) — only then may its value count."""
    if not order_id:
        return None
    try:
        from actions.order_access import order_verified
        from actions.shop.base import amount_str
        from actions.shop.factory import get_adapter

        order = get_adapter().get_order(order_id)
        verified = order_verified(tracker, order) if tracker is not None else False
    except Exception as error:  # noqa: BLE001 - the handover must not wait on or fail with the shop
        logger.info("no order facts for %s: %s", order_id, error)
        return None
    if order is None:
        return None
    try:
        status_text = policy.order_status_text(order.status)
    except Exception:  # noqa: BLE001 - a broken policy file only loses the wording
        status_text = order.status
    return {
        "order_id": order.order_id,
        "status": order.status,
        "status_text": status_text,
        "total": amount_str(order.total_cents),
        "items": [f"{item.name} ×{item.quantity}" for item in order.items],
        "order_verified": verified,
    }


def customer_of(tracker: Tracker, metadata: Mapping[str, Any]) -> dict:
    """Who the customer is: ``verified`` with the id and tier the bridge vouched for
    (actions/identity.py), else only ``{"verified": false}``; what the widget claimed (customer id,
    tier …) under ``claimed``, to be shown as 顾客自述, never as identity."""
    from actions.identity import claimed_identity, verified_customer

    try:
        verified = verified_customer(tracker)
    except Exception:  # noqa: BLE001 - a broken token is an anonymous customer, not a lost handover
        logger.exception("identity check failed")
        verified = None
    customer: dict[str, Any] = {"verified": verified is not None}
    if verified is not None:
        customer["customer_id"] = verified.customer_id
        if verified.tier:
            customer["tier"] = verified.tier
    if metadata.get("page") is not None:
        customer["page"] = metadata.get("page")
    claimed = claimed_identity(metadata)
    if claimed:
        customer["claimed"] = claimed
    return customer


def order_value(metadata: Mapping[str, Any], order: Mapping[str, Any] | None) -> float | None:
    """The order's amount in yuan: from the page the customer is on, else the shop's total.
    (Shown to the agent; it raises the priority only for an order verified as the customer's.)"""
    current = metadata.get("current_order") if isinstance(metadata.get("current_order"), Mapping) else {}
    legacy = metadata.get("order") if isinstance(metadata.get("order"), Mapping) else {}
    for candidate in (current.get("amount"), current.get("total"), legacy.get("amount"), (order or {}).get("total")):
        value = _amount(candidate)
        if value is not None:
            return value
    return None
