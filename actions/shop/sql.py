"""Shop adapter on a SQL database (SQLAlchemy Core; SQLite or PostgreSQL; SQLAlchemy 1.4 and 2.0).

Tables (created idempotently on first use): ``shop_orders``, ``shop_order_items``,
``shop_tracking_events``, ``shop_refunds``. Times are stored as naive UTC, amounts in fen.

Orders belong to someone: ``shop_orders.customer_id`` is the shop's id of the customer who placed
the order and ``shop_orders.phone`` the phone it was placed with; an adapter call with an `Owner`
answers only for orders whose customer id or phone's last four digits match (base.py). A
database made before the column existed gets it on first use (`create_schema`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from actions import timeutil
from actions.shop.base import (
    CANCELLABLE,
    CancelResult,
    Order,
    OrderItem,
    Owner,
    Refund,
    ShopAdapter,
    ShopUnavailable,
    TrackingEvent,
    visible,
)

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

orders_table = sa.Table(
    "shop_orders",
    metadata,
    sa.Column("order_id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("total_cents", sa.Integer, nullable=False, default=0),
    sa.Column("payment_method", sa.String(32)),
    sa.Column("recipient", sa.String(64)),
    sa.Column("phone", sa.String(32)),
    sa.Column("address", sa.String(255)),
    sa.Column("carrier", sa.String(32)),
    sa.Column("tracking_no", sa.String(64)),
    sa.Column("created_at", sa.DateTime),
    sa.Column("paid_at", sa.DateTime),
    sa.Column("shipped_at", sa.DateTime),
    sa.Column("delivered_at", sa.DateTime),
    sa.Column("cancelled_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
    sa.Column("customer_id", sa.String(64), index=True),
)

items_table = sa.Table(
    "shop_order_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(32), nullable=False, index=True),
    sa.Column("line_no", sa.Integer, nullable=False, default=1),
    sa.Column("sku", sa.String(64)),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("spec", sa.String(128)),
    sa.Column("category", sa.String(32)),
    sa.Column("quantity", sa.Integer, nullable=False, default=1),
    sa.Column("unit_price_cents", sa.Integer, nullable=False, default=0),
)

tracking_table = sa.Table(
    "shop_tracking_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(32), nullable=False, index=True),
    sa.Column("event_time", sa.DateTime),
    sa.Column("location", sa.String(64)),
    sa.Column("description", sa.Text, nullable=False),
)

refunds_table = sa.Table(
    "shop_refunds",
    metadata,
    sa.Column("refund_id", sa.String(40), primary_key=True),
    sa.Column("order_id", sa.String(32), nullable=False, index=True),
    sa.Column("refund_type", sa.String(32)),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("amount_cents", sa.Integer, nullable=False, default=0),
    sa.Column("reason", sa.Text),
    sa.Column("reject_reason", sa.Text),
    sa.Column("requested_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)

ALL_TABLES = (orders_table, items_table, tracking_table, refunds_table)


def create_engine(url: str) -> sa.engine.Engine:
    """An engine for a SQLite or PostgreSQL URL; makes the directory of a SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url, future=True, pool_pre_ping=True)


# columns added after the first release: (table, column); added to older databases on first use
ADDED_COLUMNS = ((orders_table, "customer_id"),)


def create_schema(engine: sa.engine.Engine) -> None:
    metadata.create_all(engine, checkfirst=True)
    inspector = sa.inspect(engine)
    for table, name in ADDED_COLUMNS:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        if name in present:
            continue
        column = table.c[name]
        kind = column.type.compile(dialect=engine.dialect)
        with engine.begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))
            for index in table.indexes:
                if [c.name for c in index.columns] == [name]:
                    index.create(conn, checkfirst=True)
        logger.info("shop database: added column %s.%s", table.name, name)


def _row_dict(row: Any) -> dict:
    return dict(row._mapping) if hasattr(row, "_mapping") else dict(row)


class SqlShopAdapter(ShopAdapter):
    def __init__(self, url: str):
        self.url = url
        self._engine: sa.engine.Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.engine.Engine:
        """Created (and the schema made sure of) on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    try:
                        engine = create_engine(self.url)
                        create_schema(engine)
                    except sa.exc.SQLAlchemyError as error:
                        raise ShopUnavailable(f"shop database unavailable: {error}") from error
                    self._engine = engine
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- reading ---------------------------------------------------------------------------

    def _load_order(self, conn, order_id: str) -> Order | None:
        row = conn.execute(sa.select(orders_table).where(orders_table.c.order_id == order_id)).first()
        if row is None:
            return None
        data = _row_dict(row)
        items = conn.execute(
            sa.select(items_table)
            .where(items_table.c.order_id == order_id)
            .order_by(items_table.c.line_no, items_table.c.id)
        ).all()
        events = conn.execute(
            sa.select(tracking_table)
            .where(tracking_table.c.order_id == order_id)
            .order_by(tracking_table.c.event_time, tracking_table.c.id)
        ).all()
        return Order(
            order_id=data["order_id"],
            status=data["status"],
            items=[
                OrderItem(
                    name=i["name"],
                    quantity=i["quantity"] or 1,
                    unit_price_cents=i["unit_price_cents"] or 0,
                    sku=i["sku"] or "",
                    spec=i["spec"] or "",
                    category=i["category"] or "",
                )
                for i in map(_row_dict, items)
            ],
            total_cents=data["total_cents"] or 0,
            payment_method=data["payment_method"],
            recipient=data["recipient"] or "",
            phone=data["phone"] or "",
            address=data["address"] or "",
            carrier=data["carrier"],
            tracking_no=data["tracking_no"],
            tracking_events=[
                TrackingEvent(
                    time=timeutil.as_utc(e["event_time"]),
                    description=e["description"] or "",
                    location=e["location"] or "",
                )
                for e in map(_row_dict, events)
            ],
            created_at=timeutil.as_utc(data["created_at"]),
            paid_at=timeutil.as_utc(data["paid_at"]),
            shipped_at=timeutil.as_utc(data["shipped_at"]),
            delivered_at=timeutil.as_utc(data["delivered_at"]),
            cancelled_at=timeutil.as_utc(data["cancelled_at"]),
            customer_id=data.get("customer_id") or "",
        )

    @staticmethod
    def _refund_from(data: dict) -> Refund:
        return Refund(
            order_id=data["order_id"],
            status=data["status"],
            amount_cents=data["amount_cents"] or 0,
            reason=data["reason"] or "",
            reject_reason=data["reject_reason"] or "",
            refund_id=data["refund_id"],
            refund_type=data["refund_type"] or "",
            requested_at=timeutil.as_utc(data["requested_at"]),
            updated_at=timeutil.as_utc(data["updated_at"]),
        )

    def get_order(self, order_id: str, owner: Owner | None = None) -> Order | None:
        try:
            with self.engine.connect() as conn:
                return visible(self._load_order(conn, str(order_id)), owner)
        except sa.exc.SQLAlchemyError as error:
            raise ShopUnavailable(f"shop database error: {error}") from error

    def customer_orders(self, customer_id: str, limit: int = 10) -> list[Order]:
        if not customer_id:
            return []
        query = (
            sa.select(orders_table.c.order_id)
            .where(orders_table.c.customer_id == str(customer_id))
            .order_by(orders_table.c.created_at.desc(), orders_table.c.order_id.desc())
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                ids = [row[0] for row in conn.execute(query)]
                return [order for order in (self._load_order(conn, i) for i in ids) if order is not None]
        except sa.exc.SQLAlchemyError as error:
            raise ShopUnavailable(f"shop database error: {error}") from error

    def _owned(self, conn, order_id: str, owner: Owner) -> bool:
        row = conn.execute(
            sa.select(orders_table.c.customer_id, orders_table.c.phone).where(orders_table.c.order_id == order_id)
        ).first()
        if row is None:
            return False
        data = _row_dict(row)
        return owner.owns(
            Order(order_id=order_id, status="", customer_id=data["customer_id"] or "", phone=data["phone"] or "")
        )

    def get_refund(self, order_id: str, owner: Owner | None = None) -> Refund | None:
        query = (
            sa.select(refunds_table)
            .where(refunds_table.c.order_id == str(order_id))
            .order_by(refunds_table.c.requested_at.desc(), refunds_table.c.refund_id.desc())
            .limit(1)
        )
        try:
            with self.engine.connect() as conn:
                if owner is not None and not self._owned(conn, str(order_id), owner):
                    return None
                row = conn.execute(query).first()
        except sa.exc.SQLAlchemyError as error:
            raise ShopUnavailable(f"shop database error: {error}") from error
        return self._refund_from(_row_dict(row)) if row is not None else None

    # -- writing ---------------------------------------------------------------------------

    def cancel_order(self, order_id: str, owner: Owner | None = None) -> CancelResult:
        order_id = str(order_id)
        try:
            with self.engine.begin() as conn:
                order = visible(self._load_order(conn, order_id), owner)
                if order is None:
                    return CancelResult(ok=False, reason="not_found")
                if order.status == "cancelled":
                    return CancelResult(ok=False, reason="already_cancelled", order=order)
                if order.is_shipped:
                    return CancelResult(ok=False, reason="shipped", order=order)
                if order.status not in CANCELLABLE:
                    return CancelResult(ok=False, reason="not_allowed", order=order)
                now = timeutil.now_utc()
                stored_now = timeutil.naive_utc(now)
                changed = conn.execute(
                    sa.update(orders_table)
                    .where(
                        orders_table.c.order_id == order_id,
                        orders_table.c.status == order.status,
                        orders_table.c.shipped_at.is_(None),
                    )
                    .values(status="cancelled", cancelled_at=stored_now, updated_at=stored_now)
                ).rowcount
                if changed != 1:  # changed under our feet (shipped a moment ago …)
                    return CancelResult(ok=False, reason="not_allowed", order=order)
                refund = None
                if order.status == "paid" and order.total_cents > 0:
                    refund = Refund(
                        order_id=order_id,
                        status="approved",
                        amount_cents=order.total_cents,
                        reason="取消订单",
                        refund_id="RF" + uuid.uuid4().hex[:16].upper(),
                        refund_type="refund_only",
                        requested_at=now,
                        updated_at=now,
                    )
                    conn.execute(
                        sa.insert(refunds_table).values(
                            refund_id=refund.refund_id,
                            order_id=order_id,
                            refund_type=refund.refund_type,
                            status=refund.status,
                            amount_cents=refund.amount_cents,
                            reason=refund.reason,
                            reject_reason=None,
                            requested_at=stored_now,
                            updated_at=stored_now,
                        )
                    )
                order.status, order.cancelled_at = "cancelled", now
                return CancelResult(ok=True, order=order, refund=refund)
        except sa.exc.SQLAlchemyError as error:
            raise ShopUnavailable(f"shop database error: {error}") from error
