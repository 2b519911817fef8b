"""Handover category and priority.

Priority is an integer, higher is more urgent (0 low, 1 normal, 2 high, 3 urgent, up to 9). The
action may send it; otherwise it is derived from the context it sent and the conversation:
frustration and repeated requests for a person (from the action's context), a VIP tier and a
high order value each add one level.

Tier and order value count only when the bridge can vouch for them: the tier of the customer's
verified identity (metadata["identity"], domain/identity.py), and an order's amount only when the
action's context says it looked the order up for its verified owner (`context["order"]
["order_verified"] is True`). What the widget's metadata or the action's context merely claim (a
`tier: svip`, an order `amount`) never raises priority. An explicit priority from the action is
taken less one level for each such claim the bridge cannot vouch for (the action may have counted
it), but never below what the bridge derives itself, nor above what the action said.
"""
from __future__ import annotations

from typing import Any

from ..config import CATEGORIES, CATEGORY_ALIASES
from .identity import verified

NAMED = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
DEFAULT = 1
MAX = 9
VIP_TIERS = {"vip", "svip", "gold", "platinum", "diamond", "plus", "88vip"}
HIGH_ORDER_VALUE = 1000.0


def category_of(value: Any) -> str:
    text = str(value or "").strip()
    if text in CATEGORIES:
        return text
    return CATEGORY_ALIASES.get(text.lower(), "其他")


def priority_of(given: Any, context: dict[str, Any], metadata: dict[str, Any]) -> int:
    """The handover's priority: `given` (the action's, a number or a name) checked against what the
    bridge can vouch for, else derived_priority. `metadata` is the conversation's stored metadata."""
    context = context if isinstance(context, dict) else {}
    metadata = metadata if isinstance(metadata, dict) else {}
    trusted = derived_priority(context, metadata)
    base = _explicit(given)
    if base is None:
        return trusted
    return max(0, min(MAX, max(base - _unvouched_levels(context, metadata), min(base, trusted))))


def _explicit(given: Any) -> int | None:
    if isinstance(given, bool):
        return None
    if isinstance(given, (int, float)):
        return max(0, min(MAX, int(given)))
    if isinstance(given, str) and given.strip():
        text = given.strip().lower()
        if text in NAMED:
            return NAMED[text]
        if text.isdigit():
            return max(0, min(MAX, int(text)))
    return None


def derived_priority(context: dict[str, Any], metadata: dict[str, Any]) -> int:
    signals = context.get("signals") if isinstance(context.get("signals"), dict) else {}
    level = DEFAULT
    frustration = _number(context.get("frustration", signals.get("frustration")))
    if frustration is not None and frustration >= 0.7:
        level += 1
    requests = _number(context.get("human_requests", signals.get("human_requests",
                                                                 signals.get("repeated_requests"))))
    if requests is not None and requests >= 2:
        level += 1
    if verified_vip(metadata):
        level += 1
    value = verified_order_value(context)
    if value is not None and value >= HIGH_ORDER_VALUE:
        level += 1
    return min(MAX, level)


def verified_vip(metadata: dict[str, Any]) -> bool:
    """The verified identity's tier is a VIP tier."""
    record = verified(metadata) or {}
    return str(record.get("tier") or "").strip().lower() in VIP_TIERS


def verified_order_value(context: dict[str, Any]) -> float | None:
    """The order's amount, when the action looked the order up for its verified owner."""
    order = context.get("order")
    if not isinstance(order, dict) or order.get("order_verified") is not True:
        return None
    return _first_amount(order.get("amount"), order.get("total"), order.get("total_amount"))


def _unvouched_levels(context: dict[str, Any], metadata: dict[str, Any]) -> int:
    """Levels an explicit priority may contain for claims the bridge cannot vouch for: a VIP tier
    claimed by the widget or in the action's context, an order value of ¥1000 or more from the
    widget or from an order not looked up for a verified owner."""
    sources = [metadata, context, context.get("metadata"), context.get("customer")]
    sources = [s for s in sources if isinstance(s, dict)]
    levels = 0
    claimed_tiers = {str(s.get("tier") or "").strip().lower() for s in sources}
    if claimed_tiers & VIP_TIERS and not verified_vip(metadata):
        levels += 1
    amounts = []
    for source in (metadata, context.get("metadata")):
        if not isinstance(source, dict):
            continue
        for key in ("current_order", "order"):
            if isinstance(source.get(key), dict):
                amounts.append(_first_amount(source[key].get("amount"), source[key].get("total")))
    order = context.get("order")
    if isinstance(order, dict) and order.get("order_verified") is not True:
        amounts.append(_first_amount(order.get("amount"), order.get("total"), order.get("total_amount")))
    verified_value = verified_order_value(context)
    if any(a is not None and a >= HIGH_ORDER_VALUE for a in amounts) and not (
            verified_value is not None and verified_value >= HIGH_ORDER_VALUE):
        levels += 1
    return levels


def _first_amount(*values: Any) -> float | None:
    for value in values:
        if isinstance(value, str):
            value = value.replace("¥", "").replace("￥", "").replace(",", "").strip()
        number = None if isinstance(value, bool) else _number(value)
        if number is not None:
            return number
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
