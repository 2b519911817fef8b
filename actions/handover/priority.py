"""Why the customer is handed over (reason codes and their Chinese explanations) and how urgent it
is. The priority rule itself is jieli_contract's `priority`, the one the bridge checks with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jieli_contract as contract
from jieli_dialogue import signals as sig

from .customer import _amount


def priority_of(
    signals: sig.Signals,
    thresholds: sig.Thresholds,
    metadata: Mapping[str, Any],
    order: Mapping[str, Any] | None,
    customer: Mapping[str, Any] | None = None,
) -> tuple[int, list[str]]:
    """(priority, the reasons it is above normal), on the bridge's scale (1 normal … 9). Only
    what is verified counts: the tier of a verified customer (`customer_of`), the shop's total of
    an order verified as theirs (``order_verified``) — never what the widget claims."""
    tier = str((customer or {}).get("tier") or "").strip() if (customer or {}).get("verified") else ""
    value = _amount(order.get("total")) if order and order.get("order_verified") else None
    rule = contract.priority(
        frustration=signals.frustration,
        angry=signals.frustration_level == contract.ANGRY,
        human_requests=signals.requests_since_resume,
        verified_tier=tier,
        verified_order_value=value,
        angry_at=thresholds.frustration_threshold or contract.ANGRY_MIN,
    )
    texts = {
        "angry": lambda: "客户情绪愤怒",
        "repeated_requests": lambda: f"客户{sig.cn(signals.requests_since_resume)}次要求人工",
        "vip": lambda: f"会员等级 {tier}",
        "high_order_value": lambda: f"订单金额 ¥{value:.2f}",
    }
    return rule.level, [texts[factor]() for factor in rule.factors]


def reasons_of(signals: sig.Signals, thresholds: sig.Thresholds, decision: Any) -> tuple[list[str], list[str]]:
    """(reason codes, Chinese explanations): the policy's decision when it made one for this
    handover, else what the signals say (a rule or the 转人工 button handed over)."""
    if isinstance(decision, Mapping) and decision.get("action") == sig.HANDOVER_ACTION and decision.get("reasons"):
        codes = [str(c) for c in decision.get("reasons") or []]
        texts = [str(t) for t in decision.get("explanations") or []]
        return codes, texts + [""] * (len(codes) - len(texts))
    fired: list[tuple[str, str]] = []
    if signals.pending_description:
        fired.append(("request_human", "客户一开始就要求人工，已按要求补充问题"))
    elif signals.explicit_request:
        fired.append(("request_human", sig.request_explanation(signals)))
    fired += signals.triggers(thresholds)
    if not fired:
        fired.append(("request_human", "机器人判断需要人工处理"))
    return [code for code, _ in fired], [text for _, text in fired]
