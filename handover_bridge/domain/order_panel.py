"""Which orders the agent's order panel may show, and why (docs/agents.md, "订单面板 Order panel").

Pure rules, no I/O. An order number on the card is only a number the customer typed; its details
(items, amount, status, logistics, refund) are shown only for an order

- of the customer the shop signed (the conversation's verified identity, domain/identity.py): the
  action server looks it up *as that customer* (the shop answers only for their own orders), or
- the action verified for its owner in this conversation (the handover context's
  `order.order_verified`, set by actions/order_access.py after the phone digits matched; the
  context comes from the action server with the action token): looked up as the shop's staff.

Any other order number is shown as 「未验证」 with no details, and the shop is not even asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_ORDERS = 5
ORDER_ID = re.compile(r"^[0-9]{6,32}$")


@dataclass(frozen=True)
class Target:
    order_id: str
    customer_id: str | None  # ask as this customer (verified identity)
    verified_in_chat: bool  # the action verified it for its owner in this conversation

    @property
    def askable(self) -> bool:
        return self.customer_id is not None or self.verified_in_chat


def named_orders(context: Any) -> list[str]:
    """The order numbers the handover context names, first named first (digits only)."""
    if not isinstance(context, dict):
        return []
    found: list[str] = []
    order = context.get("order")
    candidates = [context.get("order_id"), *(context.get("order_ids") or [])]
    if isinstance(order, dict):
        candidates.append(order.get("order_id"))
    for value in candidates:
        if isinstance(value, str) and ORDER_ID.match(value.strip()) and value.strip() not in found:
            found.append(value.strip())
    return found[:MAX_ORDERS]


def targets(context: Any, identity_record: dict[str, Any] | None) -> list[Target]:
    """Each named order with how the panel may ask for it."""
    customer_id = identity_record.get("customer_id") if identity_record else None
    order = context.get("order") if isinstance(context, dict) else None
    verified = (
        order.get("order_id")
        if isinstance(order, dict) and order.get("order_verified") is True and isinstance(order.get("order_id"), str)
        else None
    )
    return [Target(o, customer_id, o == verified) for o in named_orders(context)]
