"""Create the shop schema and load the demo orders (shop/demo_orders.yml).

    python -m actions.shop.seed [--db URL] [--file PATH] [--reset]

Idempotent: orders already in the database are left alone; ``--reset`` replaces exactly the
orders of the file (their items, tracking events and refunds too) and touches nothing else.
Relative times in the file ("-5d", "-2h30m") are taken from the moment of seeding, so run it
with --reset before a demo to keep the story current.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import yaml

from actions import timeutil
from actions.settings import PROJECT_ROOT, get_settings
from actions.shop.base import ORDER_STATUSES, REFUND_STATUSES, to_cents
from actions.shop.sql import (
    ALL_TABLES,
    create_engine,
    create_schema,
    items_table,
    orders_table,
    refunds_table,
    tracking_table,
)

logger = logging.getLogger(__name__)

DEFAULT_FILE = PROJECT_ROOT / "shop" / "demo_orders.yml"


def _t(value, now: datetime):
    return timeutil.naive_utc(timeutil.parse_time(value, now=now))


def build_rows(order: dict, now: datetime) -> dict[str, list[dict]]:
    """The rows of every table for one order of the file. Raises ValueError on bad data."""
    order_id = str(order.get("order_id") or "")
    if not order_id.isdigit():
        raise ValueError(f"order_id must be digits: {order_id!r}")
    status = order.get("status")
    if status not in ORDER_STATUSES:
        raise ValueError(f"{order_id}: unknown status {status!r}")
    items = order.get("items") or []
    total = order.get("total_amount")
    total_cents = (
        to_cents(total)
        if total not in (None, "")
        else sum(to_cents(i.get("unit_price")) * int(i.get("quantity") or 1) for i in items)
    )
    rows: dict[str, list[dict]] = {
        "orders": [
            {
                "order_id": order_id,
                "status": status,
                "total_cents": total_cents,
                "payment_method": order.get("payment_method"),
                "recipient": order.get("recipient"),
                "phone": str(order["phone"]) if order.get("phone") else None,
                "address": order.get("address"),
                "carrier": order.get("carrier"),
                "tracking_no": str(order["tracking_no"]) if order.get("tracking_no") else None,
                "created_at": _t(order.get("created_at"), now),
                "paid_at": _t(order.get("paid_at"), now),
                "shipped_at": _t(order.get("shipped_at"), now),
                "delivered_at": _t(order.get("delivered_at"), now),
                "cancelled_at": _t(order.get("cancelled_at"), now),
                "updated_at": timeutil.naive_utc(now),
                "customer_id": str(order["customer_id"]) if order.get("customer_id") else None,
            }
        ],
        "items": [],
        "tracking": [],
        "refunds": [],
    }
    for line_no, item in enumerate(items, start=1):
        if not item.get("name"):
            raise ValueError(f"{order_id}: item {line_no} has no name")
        rows["items"].append(
            {
                "order_id": order_id,
                "line_no": line_no,
                "sku": item.get("sku"),
                "name": item["name"],
                "spec": item.get("spec"),
                "category": item.get("category"),
                "quantity": int(item.get("quantity") or 1),
                "unit_price_cents": to_cents(item.get("unit_price")),
            }
        )
    for event in order.get("tracking") or []:
        rows["tracking"].append(
            {
                "order_id": order_id,
                "event_time": _t(event.get("time"), now),
                "location": event.get("location"),
                "description": str(event.get("description") or ""),
            }
        )
    for number, refund in enumerate(order.get("refunds") or [], start=1):
        if refund.get("status") not in REFUND_STATUSES:
            raise ValueError(f"{order_id}: unknown refund status {refund.get('status')!r}")
        rows["refunds"].append(
            {
                "refund_id": str(refund.get("refund_id") or f"RF{order_id}{number:02d}"),
                "order_id": order_id,
                "refund_type": refund.get("type"),
                "status": refund["status"],
                "amount_cents": to_cents(refund.get("amount") or total),
                "reason": refund.get("reason"),
                "reject_reason": refund.get("reject_reason"),
                "requested_at": _t(refund.get("requested_at"), now),
                "updated_at": _t(refund.get("updated_at") or refund.get("requested_at"), now),
            }
        )
    return rows


def load_file(path: Path | str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    orders = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(orders, list):
        raise ValueError(f"{path}: expected a list under 'orders'")
    return orders


def seed(url: str, path: Path | str | None = None, reset: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Create the schema and load the orders; returns {"inserted": n, "skipped": m}."""
    now = timeutil.as_utc(now) or timeutil.now_utc()
    orders = load_file(path or DEFAULT_FILE)
    built = [build_rows(order, now) for order in orders]
    ids = [rows["orders"][0]["order_id"] for rows in built]
    engine = create_engine(url)
    try:
        create_schema(engine)
        inserted = skipped = 0
        with engine.begin() as conn:
            if reset:
                for table in ALL_TABLES:
                    conn.execute(sa.delete(table).where(table.c.order_id.in_(ids)))
            existing = {
                row[0]
                for row in conn.execute(sa.select(orders_table.c.order_id).where(orders_table.c.order_id.in_(ids)))
            }
            for rows in built:
                if rows["orders"][0]["order_id"] in existing:
                    skipped += 1
                    continue
                for table, key in (
                    (orders_table, "orders"),
                    (items_table, "items"),
                    (tracking_table, "tracking"),
                    (refunds_table, "refunds"),
                ):
                    if rows[key]:
                        conn.execute(sa.insert(table), rows[key])
                inserted += 1
        return {"inserted": inserted, "skipped": skipped}
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.shop.seed", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="SQLAlchemy URL (default: JIELI_SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--file", default=str(DEFAULT_FILE), help="orders file (default: shop/demo_orders.yml)")
    parser.add_argument("--reset", action="store_true", help="replace the file's orders if they exist")
    args = parser.parse_args(argv)
    url = args.db or get_settings().shop_db_url
    try:
        counts = seed(url, args.file, reset=args.reset)
    except (OSError, ValueError, yaml.YAMLError, sa.exc.SQLAlchemyError) as error:
        print(f"seed failed: {error}", file=sys.stderr)
        return 1
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    print(f"shop database {shown}: {counts['inserted']} orders loaded, {counts['skipped']} already there")
    return 0


if __name__ == "__main__":
    sys.exit(main())
