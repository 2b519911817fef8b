"""Shop adapter on a shop's own order API (JSON over HTTPS, bearer token).

    GET  {base}/orders/{id}          200 → an order (below); 404 → unknown order
    GET  {base}/orders/{id}/refund   200 → the latest refund of the order; 404 → none
    GET  {base}/orders               (optional) 200 → {"orders": [...]}: the orders of the customer
                                     in X-Jieli-Customer-Id, newest first; 404/405/501 → the shop
                                     does not list them (the bot asks for a number instead)
    POST {base}/orders/{id}/cancel   200 → {"ok": true, "order": {...}, "refund": {...}|null}
                                     409/422 → {"ok": false, "reason": "shipped"|..., "message": "..."}
                                     404 → unknown order

An order: {"order_id", "status", "items": [{"name", "quantity", "unit_price", "sku", "spec",
"category"}], "total_amount", "payment_method", "recipient", "phone", "address", "carrier",
"tracking_no", "tracking_events": [{"time", "location", "description"}], "created_at",
"paid_at", "shipped_at", "delivered_at", "cancelled_at"}. A refund: {"refund_id", "order_id",
"type", "status", "amount", "reason", "reject_reason", "requested_at", "updated_at"}.
Amounts are yuan (string or number); times ISO 8601 (without an offset: Beijing time).
Either object may come wrapped as {"order": {...}} / {"refund": {...}}.

Orders belong to someone. When the actions ask on behalf of a customer, every request carries
who is asking, as headers (not in the URL, so they stay out of access logs):

    X-Jieli-Customer-Id: C1001      the customer id the bridge verified (the shop's own id, `sub`)
    X-Jieli-Phone-Last4: 1111       the last four digits of the order's phone the customer gave

(one or both). The shop answers only if the order is theirs (its customer id, or its phone ends
in those digits); otherwise **403 or 404** — both read as "no such order", and the customer is
told nothing that tells the two apart. An order may carry ``"customer_id"``: when it does (or a
``phone``) and contradicts the headers, the adapter refuses the order itself too.

Time-outs, connection errors, 401, 5xx and unreadable answers raise `ShopUnavailable`; so does a
403 to a request made without a customer (it means the bearer token is refused).
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import quote

import requests

from actions import timeutil
from actions.shop.base import (
    CancelResult,
    Order,
    OrderItem,
    Owner,
    Refund,
    ShopAdapter,
    ShopUnavailable,
    TrackingEvent,
    amount_str,
    phone_last4,
    to_cents,
)

logger = logging.getLogger(__name__)


def _time(value: Any):
    try:
        return timeutil.parse_time(value)
    except (TypeError, ValueError):
        logger.warning("shop API: unreadable time %r", value)
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def order_from_json(data: dict) -> Order:
    if isinstance(data.get("order"), dict):
        data = data["order"]
    if not data.get("order_id") or not data.get("status"):
        raise ValueError("an order needs order_id and status")
    items = []
    for item in data.get("items") or []:
        if isinstance(item, dict) and item.get("name"):
            items.append(
                OrderItem(
                    name=_text(item["name"]),
                    quantity=int(item.get("quantity") or 1),
                    unit_price_cents=to_cents(item.get("unit_price")),
                    sku=_text(item.get("sku")),
                    spec=_text(item.get("spec")),
                    category=_text(item.get("category")),
                )
            )
    events = []
    for event in data.get("tracking_events") or data.get("tracking") or []:
        if isinstance(event, dict) and event.get("description"):
            events.append(
                TrackingEvent(
                    time=_time(event.get("time")),
                    description=_text(event["description"]),
                    location=_text(event.get("location")),
                )
            )
    return Order(
        order_id=_text(data["order_id"]),
        status=_text(data["status"]),
        items=items,
        total_cents=to_cents(data.get("total_amount")),
        payment_method=data.get("payment_method") or None,
        recipient=_text(data.get("recipient")),
        phone=_text(data.get("phone")),
        address=_text(data.get("address")),
        carrier=data.get("carrier") or None,
        tracking_no=data.get("tracking_no") or None,
        tracking_events=events,
        created_at=_time(data.get("created_at")),
        paid_at=_time(data.get("paid_at")),
        shipped_at=_time(data.get("shipped_at")),
        delivered_at=_time(data.get("delivered_at")),
        cancelled_at=_time(data.get("cancelled_at")),
        customer_id=_text(data.get("customer_id")),
    )


def contradicts(order: Order, owner: Owner | None) -> bool:
    """The shop's answer itself says the order is not ``owner``'s: every proof the owner has can be
    checked against a field of the order, and none matches."""
    if owner is None or owner.owns(order):
        return False
    checkable = (not owner.customer_id or bool(order.customer_id)) and (
        not owner.phone_last4 or bool(phone_last4(order.phone))
    )
    return checkable


def owner_headers(owner: Owner | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if owner is not None and owner.customer_id:
        headers["X-Jieli-Customer-Id"] = owner.customer_id
    if owner is not None and owner.phone_last4:
        headers["X-Jieli-Phone-Last4"] = owner.phone_last4
    return headers


def refund_from_json(data: dict, order_id: str = "") -> Refund:
    if isinstance(data.get("refund"), dict):
        data = data["refund"]
    if not data.get("status"):
        raise ValueError("a refund needs a status")
    return Refund(
        order_id=_text(data.get("order_id") or order_id),
        status=_text(data["status"]),
        amount_cents=to_cents(data.get("amount")),
        reason=_text(data.get("reason")),
        reject_reason=_text(data.get("reject_reason")),
        refund_id=_text(data.get("refund_id")),
        refund_type=_text(data.get("type") or data.get("refund_type")),
        requested_at=_time(data.get("requested_at")),
        updated_at=_time(data.get("updated_at")),
    )


def _iso(value) -> str | None:
    value = timeutil.as_utc(value)
    return value.isoformat() if value else None


def order_to_json(order: Order) -> dict:
    """The API's JSON for an order (used by tests and by shops writing their own API)."""
    return {
        "order_id": order.order_id,
        "status": order.status,
        "items": [
            {
                "name": i.name,
                "quantity": i.quantity,
                "unit_price": amount_str(i.unit_price_cents),
                "sku": i.sku,
                "spec": i.spec,
                "category": i.category,
            }
            for i in order.items
        ],
        "total_amount": amount_str(order.total_cents),
        "payment_method": order.payment_method,
        "recipient": order.recipient,
        "phone": order.phone,
        "address": order.address,
        "carrier": order.carrier,
        "tracking_no": order.tracking_no,
        "tracking_events": [
            {"time": _iso(e.time), "location": e.location, "description": e.description} for e in order.tracking_events
        ],
        "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at),
        "shipped_at": _iso(order.shipped_at),
        "delivered_at": _iso(order.delivered_at),
        "cancelled_at": _iso(order.cancelled_at),
        "customer_id": order.customer_id or None,
    }


def refund_to_json(refund: Refund) -> dict:
    return {
        "refund_id": refund.refund_id,
        "order_id": refund.order_id,
        "type": refund.refund_type,
        "status": refund.status,
        "amount": amount_str(refund.amount_cents),
        "reason": refund.reason,
        "reject_reason": refund.reject_reason,
        "requested_at": _iso(refund.requested_at),
        "updated_at": _iso(refund.updated_at),
    }


class HttpShopAdapter(ShopAdapter):
    def __init__(self, base_url: str, token: str = "", timeout: float = 3.0, session: requests.Session | None = None):
        self.base_url = (base_url or "").rstrip("/")
        self.token = token or ""
        self.timeout = timeout
        self._session = session
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = requests.Session()
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _headers(self, owner: Owner | None) -> dict[str, str]:
        """Every request's headers: JSON, who is asking (if anyone), the bearer token."""
        headers = {"Accept": "application/json", **owner_headers(owner)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _call(self, method: str, order_id: str, suffix: str = "", owner: Owner | None = None) -> tuple[int, Any]:
        if not self.base_url:
            raise ShopUnavailable("JIELI_SHOP_API_URL is not set")
        url = f"{self.base_url}/orders/{quote(str(order_id), safe='')}{suffix}"
        try:
            response = self.session.request(method, url, headers=self._headers(owner), timeout=self.timeout)
        except requests.RequestException as error:
            raise ShopUnavailable(f"{method} {url}: {error}") from error
        status = response.status_code
        if status == 404 or (status == 403 and owner is not None):
            return status, None  # unknown, or not this customer's: the same to the customer
        if status in (401, 403) or status >= 500:
            raise ShopUnavailable(f"{method} {url}: HTTP {status}")
        try:
            body = response.json()
        except ValueError as error:
            raise ShopUnavailable(f"{method} {url}: not JSON (HTTP {status})") from error
        if not isinstance(body, dict):
            raise ShopUnavailable(f"{method} {url}: unexpected answer (HTTP {status})")
        return status, body

    def customer_orders(self, customer_id: str, limit: int = 10) -> list[Order]:
        if not customer_id or not self.base_url:
            return []
        url = f"{self.base_url}/orders"
        owner = Owner(customer_id=customer_id)
        try:
            response = self.session.get(
                url, headers=self._headers(owner), params={"limit": limit}, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise ShopUnavailable(f"GET {url}: {error}") from error
        if response.status_code in (404, 405, 501):
            return []  # this shop does not list a customer's orders
        if response.status_code != 200:
            raise ShopUnavailable(f"GET {url}: HTTP {response.status_code}")
        try:
            body = response.json()
            rows = body.get("orders") if isinstance(body, dict) else body
            orders = [order_from_json(row) for row in rows or []]
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise ShopUnavailable(f"GET {url}: bad orders JSON: {error}") from error
        return [order for order in orders if not contradicts(order, owner)][:limit]

    def get_order(self, order_id: str, owner: Owner | None = None) -> Order | None:
        status, body = self._call("GET", order_id, owner=owner)
        if body is None:
            return None
        if status != 200:
            raise ShopUnavailable(f"GET order {order_id}: HTTP {status}")
        try:
            order = order_from_json(body)
        except (KeyError, TypeError, ValueError) as error:
            raise ShopUnavailable(f"GET order {order_id}: bad order JSON: {error}") from error
        if contradicts(order, owner):
            logger.warning(
                "shop API answered order %s for a customer it does not belong to: refused", order_id[:4] + "…"
            )
            return None
        return order

    def get_refund(self, order_id: str, owner: Owner | None = None) -> Refund | None:
        status, body = self._call("GET", order_id, "/refund", owner=owner)
        if body is None or status == 204:
            return None
        if status != 200:
            raise ShopUnavailable(f"GET refund {order_id}: HTTP {status}")
        if body.get("refund", "") is None:
            return None
        try:
            return refund_from_json(body, order_id)
        except (KeyError, TypeError, ValueError) as error:
            raise ShopUnavailable(f"GET refund {order_id}: bad refund JSON: {error}") from error

    def cancel_order(self, order_id: str, owner: Owner | None = None) -> CancelResult:
        status, body = self._call("POST", order_id, "/cancel", owner=owner)
        if body is None:
            return CancelResult(ok=False, reason="not_found")
        try:
            order = order_from_json(body["order"]) if isinstance(body.get("order"), dict) else None
            refund = refund_from_json(body["refund"], order_id) if isinstance(body.get("refund"), dict) else None
        except (KeyError, TypeError, ValueError) as error:
            raise ShopUnavailable(f"POST cancel {order_id}: bad JSON: {error}") from error
        if 200 <= status < 300 and body.get("ok", True):
            return CancelResult(ok=True, order=order, refund=refund, message=_text(body.get("message")))
        if 400 <= status < 500 or body.get("ok") is False:
            return CancelResult(
                ok=False,
                reason=_text(body.get("reason")) or "not_allowed",
                message=_text(body.get("message")),
                order=order,
                refund=refund,
            )
        raise ShopUnavailable(f"POST cancel {order_id}: HTTP {status}")
