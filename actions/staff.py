"""The shop's orders for the bridge's order panel (docs/agents.md, "订单面板 Order panel").

The bridge runs on Python 3.11 and never imports `actions/`; the shop adapter (and its credentials:
the shop database, the shop API token) stay here, in the action server. So the action server
offers the bridge two small staff routes, beside rasa_sdk's webhook:

    POST /staff/orders                      {"order_ids": [...], "customer_id": "C1001" | null}
    POST /staff/orders/<order_id>/cancel    {"customer_id": "C1001" | null}

authenticated with `Authorization: Bearer <JIELI_ACTION_TOKEN>` (the secret the bridge and the
actions already share; Rasa's webhook token does not open them, and the action token does not open
the webhook). The action server listens on 127.0.0.1 (actions/server.py). With a `customer_id`
(the bridge's verified identity) the adapter answers only for that customer's orders (Owner);
without one it answers as for the shop's staff — the bridge asks so only for an order the handover
context says was verified for its owner in this conversation (actions/order_access.py).

The functions below are plain (an adapter in, JSON out); `register` adds the routes to the app.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from typing import Any

from actions import policy
from actions.shop.base import (
    CancelResult,
    Order,
    Owner,
    Refund,
    ShopAdapter,
    ShopUnavailable,
    amount_str,
)

PREFIX = "/staff/"
MAX_ORDERS = 10
ORDER_ID = re.compile(r"^[0-9]{6,32}$")
MAX_CUSTOMER_ID = 128


class BadRequest(ValueError):
    """A staff request the action server refuses (400)."""


def _text(kind: str, status: str | None) -> str:
    try:
        return policy.order_status_text(status) if kind == "order" else policy.refund_status_text(status)
    except Exception:  # noqa: BLE001 - a broken policy file only loses the wording
        return status or ""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def order_json(order: Order, refund: Refund | None) -> dict[str, Any]:
    """What the agent's order panel shows: items, amount, status, logistics, refund state."""
    latest = order.latest_event
    return {
        "order_id": order.order_id,
        "status": order.status,
        "status_text": _text("order", order.status),
        "total": amount_str(order.total_cents),
        "items": [
            {"name": i.name, "quantity": i.quantity, "unit_price": amount_str(i.unit_price_cents), "spec": i.spec}
            for i in order.items
        ],
        "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at),
        "shipped_at": _iso(order.shipped_at),
        "delivered_at": _iso(order.delivered_at),
        "logistics": {
            "carrier": order.carrier,
            "tracking_no": order.tracking_no,
            "latest": {"time": _iso(latest.time), "description": latest.description, "location": latest.location}
            if latest
            else None,
        },
        "refund": {
            "status": refund.status,
            "status_text": _text("refund", refund.status),
            "amount": amount_str(refund.amount_cents),
            "reason": refund.reason,
            "reject_reason": refund.reject_reason,
            "requested_at": _iso(refund.requested_at),
        }
        if refund
        else None,
        # what the agent may do here, as this adapter supports it (ShopAdapter: cancel only)
        "actions": ["cancel"] if order.is_cancellable else [],
    }


def _owner(customer_id: Any) -> Owner | None:
    if customer_id is None:
        return None
    if not isinstance(customer_id, str) or not customer_id or len(customer_id) > MAX_CUSTOMER_ID:
        raise BadRequest("customer_id must be null or a customer id (1–128 characters)")
    return Owner(customer_id=customer_id)


def _order_id(value: Any) -> str:
    if not isinstance(value, str) or not ORDER_ID.match(value):
        raise BadRequest("an order id is 6–32 digits")
    return value


def lookup(adapter: ShopAdapter, order_ids: Any, customer_id: Any = None) -> list[dict[str, Any]]:
    """Each order as the panel shows it, or `found: false` (unknown, or not this customer's: the
    same answer). Raises BadRequest, ShopUnavailable."""
    if not isinstance(order_ids, list) or not order_ids or len(order_ids) > MAX_ORDERS:
        raise BadRequest(f"order_ids must be a list of 1–{MAX_ORDERS} order ids")
    ids = [_order_id(o) for o in order_ids]
    owner = _owner(customer_id)
    result = []
    for order_id in dict.fromkeys(ids):
        order = adapter.get_order(order_id, owner)
        if order is None:
            result.append({"order_id": order_id, "found": False})
            continue
        refund = adapter.get_refund(order_id, owner)
        result.append({"order_id": order_id, "found": True, "order": order_json(order, refund)})
    return result


def cancel(adapter: ShopAdapter, order_id: Any, customer_id: Any = None) -> dict[str, Any]:
    """Cancel an order for the agent. `ok`, `reason` (not_found, shipped, already_cancelled,
    not_allowed) and the order afterwards. Raises BadRequest, ShopUnavailable."""
    order_id = _order_id(order_id)
    owner = _owner(customer_id)
    outcome: CancelResult = adapter.cancel_order(order_id, owner)
    after = adapter.get_order(order_id, owner) if outcome.reason != "not_found" else None
    refund = adapter.get_refund(order_id, owner) if after is not None else None
    return {
        "ok": bool(outcome.ok),
        "reason": outcome.reason,
        "message": outcome.message,
        "order": order_json(after, refund) if after is not None else None,
    }


def authorised(header: str, action_token: str) -> bool:
    scheme, _, value = (header or "").partition(" ")
    return (
        bool(action_token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(value.strip().encode(), action_token.encode())
    )


def register(app, get_adapter) -> None:
    """Add the staff routes to rasa_sdk's Sanic app (actions/server.py checks the token)."""
    from sanic import response

    def error(status: int, code: str, message: str):
        return response.json({"error": {"code": code, "message": message}}, status=status)

    async def run(fn, *args):
        try:
            return response.json(await asyncio.get_running_loop().run_in_executor(None, fn, get_adapter(), *args))
        except BadRequest as failure:
            return error(400, "invalid_request", str(failure))
        except ShopUnavailable as failure:
            return error(503, "shop_unavailable", f"the shop's system did not answer: {failure}")

    def body(request) -> dict[str, Any]:
        data = request.json if request.body else {}
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        return data

    async def orders(request):
        try:
            data = body(request)
        except (BadRequest, ValueError) as failure:
            return error(400, "invalid_request", str(failure))
        result = await run(
            lambda adapter, d: {"orders": lookup(adapter, d.get("order_ids"), d.get("customer_id"))}, data
        )
        return result

    async def cancel_route(request, order_id: str):
        try:
            data = body(request)
        except (BadRequest, ValueError) as failure:
            return error(400, "invalid_request", str(failure))
        return await run(lambda adapter, d: cancel(adapter, order_id, d.get("customer_id")), data)

    app.add_route(orders, "/staff/orders", methods=["POST"], name="staff_orders")
    app.add_route(cancel_route, "/staff/orders/<order_id>/cancel", methods=["POST"], name="staff_cancel")
