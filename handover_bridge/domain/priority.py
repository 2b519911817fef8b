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

import jieli_contract as contract
from jieli_contract import HIGH_ORDER_VALUE, VIP_TIERS, category_of  # noqa: F401 - the contract's, re-exported

from .identity import verified

NAMED = contract.PRIORITY_NAMES
DEFAULT = contract.DEFAULT_PRIORITY
MAX = contract.MAX_PRIORITY


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
    """The contract's priority rule over what the bridge can vouch for (see the module docstring)."""
    signals = context.get("signals") if isinstance(context.get("signals"), dict) else {}
    return contract.priority(
        frustration=_number(context.get("frustration", signals.get("frustration"))),
        human_requests=_number(
            context.get("human_requests", signals.get("human_requests", signals.get("repeated_requests")))
        ),
        verified_tier=(verified(metadata) or {}).get("tier"),
        verified_order_value=verified_order_value(context),
    ).level


def verified_vip(metadata: dict[str, Any]) -> bool:
    """The verified identity's tier is a VIP tier."""
    return contract.is_vip((verified(metadata) or {}).get("tier"))


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
    if any(contract.is_vip(s.get("tier")) for s in sources) and not verified_vip(metadata):
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
        verified_value is not None and verified_value >= HIGH_ORDER_VALUE
    ):
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
