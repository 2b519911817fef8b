"""Handover category and priority.

Priority is an integer, higher is more urgent (0 low, 1 normal, 2 high, 3 urgent, up to 9). The
action may send it; otherwise it is derived from the context it sent and the widget metadata:
frustration, repeated requests for a person, customer tier and order value each add one level.
"""
from __future__ import annotations

from typing import Any

from ..config import CATEGORIES, CATEGORY_ALIASES

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
    if isinstance(given, bool):
        given = None
    if isinstance(given, (int, float)):
        return max(0, min(MAX, int(given)))
    if isinstance(given, str) and given.strip():
        text = given.strip().lower()
        if text in NAMED:
            return NAMED[text]
        if text.isdigit():
            return max(0, min(MAX, int(text)))
    return derived_priority(context, metadata)


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
    tier = str(metadata.get("tier") or context.get("tier") or "").strip().lower()
    if tier in VIP_TIERS:
        level += 1
    order = metadata.get("order") or metadata.get("current_order") or context.get("order") or {}
    value = _number(order.get("amount") if isinstance(order, dict) else None)
    if value is not None and value >= HIGH_ORDER_VALUE:
        level += 1
    return min(MAX, level)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
