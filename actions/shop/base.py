"""What the actions know about orders and refunds, and the interface every shop adapter offers.

Orders belong to someone: every adapter method takes an optional `Owner` — the verified customer
id and/or the last four digits of the order's phone the customer gave — and answers as if the
order did not exist when the order is not theirs (None, or CancelResult reason ``not_found``).
Without an owner (None) the adapter does not check: that is for the shop's own staff (the handover
context an agent sees, seeding); the actions always pass one (actions/order_access.py).

Amounts are kept in fen (integer cents) so they stay exact; times are aware UTC datetimes.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "refunding",
    "refunded",
    "refund_rejected",
)
REFUND_STATUSES = ("applied", "processing", "approved", "rejected", "refunded")
CANCELLABLE = ("pending_payment", "paid")


def phone_last4(phone: str | None) -> str:
    """The last four digits of a phone number ("138-0000-1111" → "1111"); "" when fewer."""
    digits = "".join(ch for ch in str(phone or "") if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


class ShopUnavailable(Exception):
    """The shop's system cannot be reached (network error, time-out, 5xx, bad answer)."""


def to_cents(value) -> int:
    """Yuan (as str, int, float or Decimal) → fen. Raises ValueError on nonsense."""
    if value is None or value == "":
        return 0
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal("1")))
    except (InvalidOperation, ValueError) as error:
        raise ValueError(f"not an amount: {value!r}") from error


def yuan(cents: int | None) -> str:
    """¥59.80"""
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}¥{cents // 100}.{cents % 100:02d}"


def amount_str(cents: int | None) -> str:
    """ "59.80" (for JSON and YAML)."""
    return yuan(cents).replace("¥", "")


@dataclass
class OrderItem:
    name: str
    quantity: int = 1
    unit_price_cents: int = 0
    sku: str = ""
    spec: str = ""
    category: str = ""


@dataclass
class TrackingEvent:
    time: datetime | None
    description: str
    location: str = ""


@dataclass
class Order:
    order_id: str
    status: str
    items: list[OrderItem] = field(default_factory=list)
    total_cents: int = 0
    payment_method: str | None = None
    recipient: str = ""
    phone: str = ""
    address: str = ""
    carrier: str | None = None
    tracking_no: str | None = None
    tracking_events: list[TrackingEvent] = field(default_factory=list)
    created_at: datetime | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    customer_id: str = ""  # the shop's id of the customer who placed the order ("" unknown)

    @property
    def is_shipped(self) -> bool:
        return self.shipped_at is not None or self.status in ("shipped", "delivered")

    @property
    def is_cancellable(self) -> bool:
        return self.status in CANCELLABLE and not self.is_shipped

    @property
    def latest_event(self) -> TrackingEvent | None:
        events = [e for e in self.tracking_events if e.time is not None]
        if events:
            return max(events, key=lambda e: e.time)
        return self.tracking_events[-1] if self.tracking_events else None


@dataclass(frozen=True)
class Owner:
    """Who is asking for an order, as the shop can check it: the verified customer id (from the
    bridge's signed identity) and/or the last four digits of the order's phone the customer gave.
    An order is theirs when either matches."""

    customer_id: str | None = None
    phone_last4: str | None = None

    def __post_init__(self):
        if not self.customer_id and not self.phone_last4:
            raise ValueError("an Owner needs a customer id or phone digits")

    def owns(self, order: Order) -> bool:
        if self.customer_id and order.customer_id and order.customer_id == self.customer_id:
            return True
        last4 = phone_last4(order.phone)
        return bool(self.phone_last4 and last4 and last4 == self.phone_last4)


def visible(order: Order | None, owner: Owner | None) -> Order | None:
    """The order if ``owner`` may see it (or no owner was asked about), else None — the same
    answer as for an order that does not exist."""
    if order is None or owner is None or owner.owns(order):
        return order
    return None


@dataclass
class Refund:
    order_id: str
    status: str
    amount_cents: int = 0
    reason: str = ""
    reject_reason: str = ""
    refund_id: str = ""
    refund_type: str = ""  # refund_only | return_refund
    requested_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class CancelResult:
    """The outcome of a cancellation. ``reason`` when not ok: not_found, shipped,
    already_cancelled, not_allowed."""

    ok: bool
    reason: str | None = None
    message: str = ""
    order: Order | None = None
    refund: Refund | None = None


class ShopAdapter(abc.ABC):
    """The shop's order system as the actions use it. Every method raises `ShopUnavailable`
    when the shop cannot be reached; an unknown order — or one that is not ``owner``'s — is None
    (or CancelResult reason not_found)."""

    @abc.abstractmethod
    def get_order(self, order_id: str, owner: Owner | None = None) -> Order | None: ...

    @abc.abstractmethod
    def get_refund(self, order_id: str, owner: Owner | None = None) -> Refund | None:
        """The latest refund request of the order, or None."""

    @abc.abstractmethod
    def cancel_order(self, order_id: str, owner: Owner | None = None) -> CancelResult: ...

    def customer_orders(self, customer_id: str, limit: int = 10) -> list[Order]:
        """The verified customer's own orders, newest first (at most ``limit``), so a logged-in
        customer who asks "我的耳机到哪了" need not look up a number. An adapter whose shop cannot
        list them returns [] and the bot asks for the number as before."""
        return []

    def close(self) -> None:
        """Release connections (engines, HTTP sessions)."""
