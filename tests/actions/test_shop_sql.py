"""The SQL shop adapter against real databases: SQLite always; PostgreSQL when one is reachable at
JIELI_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test) — skipped when not, except
with CI=true, where an unreachable PostgreSQL fails the run. Each run works in a schema of its own."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from actions.shop.base import ShopUnavailable
from actions.shop.seed import seed
from actions.shop.sql import SqlShopAdapter
from jieli_testkit import FROZEN_NOW

PG_URL = os.environ.get("JIELI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def pg_server():
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        engine.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but {PG_URL} is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sql.db'}"
        return
    server = request.getfixturevalue("pg_server")
    schema = f"jieli_actions_{uuid.uuid4().hex[:10]}"
    with server.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with server.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def adapter(db_url):
    seed(db_url, now=FROZEN_NOW)
    shop = SqlShopAdapter(db_url)
    yield shop
    shop.close()


def test_get_order_with_items_and_tracking(adapter):
    order = adapter.get_order("2024111800045604")
    assert order.status == "shipped" and order.is_shipped and not order.is_cancellable
    assert order.total_cents == 19900 and order.payment_method == "huabei"
    assert [(i.name, i.quantity, i.unit_price_cents, i.category) for i in order.items] == [
        ("接力 Air 蓝牙耳机", 1, 19900, "electronics")
    ]
    assert order.carrier == "sf" and order.tracking_no == "SF1428305566704"
    assert [e.time for e in order.tracking_events] == [
        FROZEN_NOW - timedelta(days=1, hours=2),
        FROZEN_NOW - timedelta(hours=20),
        FROZEN_NOW - timedelta(hours=6),
        FROZEN_NOW - timedelta(hours=2),
    ]
    assert order.latest_event.location == "北京市"
    assert order.paid_at == FROZEN_NOW - timedelta(days=2) and order.paid_at.tzinfo is not None


def test_multi_item_order_keeps_its_line_order(adapter):
    order = adapter.get_order("2024111500034503")
    assert [i.name for i in order.items] == ["感冒灵颗粒", "维生素C泡腾片"]
    assert order.total_cents == 7830 and order.is_cancellable


def test_unknown_order_is_none(adapter):
    assert adapter.get_order("2024000000000000") is None
    assert adapter.get_refund("2024000000000000") is None


def test_get_refund_returns_the_latest_record(adapter):
    refund = adapter.get_refund("2024111500034503")
    assert (refund.status, refund.amount_cents, refund.reject_reason) == (
        "rejected",
        7830,
        "系统自动驳回：订单状态异常",
    )
    assert adapter.get_refund("2024111800045604") is None


def test_cancel_unpaid_order(adapter):
    result = adapter.cancel_order("2024112000012301")
    assert result.ok and result.refund is None and result.order.status == "cancelled"
    order = adapter.get_order("2024112000012301")
    assert order.status == "cancelled" and order.cancelled_at == FROZEN_NOW
    assert adapter.get_refund("2024112000012301") is None


def test_cancel_paid_order_creates_a_refund(adapter):
    result = adapter.cancel_order("2024112000023402")
    assert result.ok and result.refund.status == "approved" and result.refund.amount_cents == 9980
    refund = adapter.get_refund("2024112000023402")
    assert (refund.status, refund.refund_type, refund.reason, refund.requested_at) == (
        "approved",
        "refund_only",
        "取消订单",
        FROZEN_NOW,
    )


def test_cancel_news_case_supersedes_the_rejected_refund(adapter):
    assert adapter.cancel_order("2024111500034503").ok
    assert adapter.get_refund("2024111500034503").status == "approved"


@pytest.mark.parametrize(
    "order_id,reason",
    [
        ("2024111800045604", "shipped"),  # shipped
        ("2024111500067806", "shipped"),  # delivered
        ("2024111000078907", "already_cancelled"),
        ("2024111800012313", "not_allowed"),  # refunding (never shipped)
        ("2024000000000000", "not_found"),
    ],
)
def test_cancel_refused(adapter, order_id, reason):
    before = adapter.get_order(order_id)
    result = adapter.cancel_order(order_id)
    assert not result.ok and result.reason == reason
    after = adapter.get_order(order_id)
    assert (before.status if before else None) == (after.status if after else None)


def test_cancel_twice(adapter):
    assert adapter.cancel_order("2024112000012301").ok
    assert adapter.cancel_order("2024112000012301").reason == "already_cancelled"


def test_schema_is_created_on_first_use(tmp_path):
    shop = SqlShopAdapter(f"sqlite:///{tmp_path / 'new' / 'shop.db'}")
    assert shop.get_order("2024112000012301") is None  # empty database, no error
    shop.close()


def test_unreachable_database_raises_shop_unavailable():
    shop = SqlShopAdapter("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(ShopUnavailable):
        shop.get_order("2024112000012301")


# ---------------------------------------------------------------------------------------------
# orders belong to someone (SQLite and PostgreSQL)


def test_orders_carry_their_customer(adapter):
    assert adapter.get_order("2024111800045604").customer_id == "C1002"
    assert adapter.get_order("2024111500034503").customer_id == "C1001"


def test_an_owner_sees_their_order_and_nobody_elses(adapter):
    from actions.shop.base import Owner

    assert adapter.get_order("2024111500034503", Owner(customer_id="C1001")).order_id == "2024111500034503"
    # not theirs and not there look exactly the same
    assert adapter.get_order("2024111500034503", Owner(customer_id="C1002")) is None
    assert adapter.get_order("2024000000000000", Owner(customer_id="C1002")) is None
    assert adapter.get_refund("2024111500034503", Owner(customer_id="C1001")).status == "rejected"
    assert adapter.get_refund("2024111500034503", Owner(customer_id="C1002")) is None


def test_the_phones_last_four_digits_open_the_order(adapter):
    from actions.shop.base import Owner

    assert adapter.get_order("2024111500034503", Owner(phone_last4="3333")) is not None  # 13700003333
    assert adapter.get_order("2024111500034503", Owner(phone_last4="3334")) is None
    assert adapter.get_refund("2024111500034503", Owner(phone_last4="3334")) is None
    # a logged-in customer with the digits of a family member's order
    assert adapter.get_order("2024111500034503", Owner(customer_id="C1002", phone_last4="3333")) is not None


def test_cancel_refuses_someone_elses_order_and_changes_nothing(adapter):
    from actions.shop.base import Owner

    refused = adapter.cancel_order("2024112000023402", Owner(customer_id="C1001"))  # C1002's, paid
    assert (refused.ok, refused.reason, refused.order, refused.refund) == (False, "not_found", None, None)
    assert adapter.get_order("2024112000023402").status == "paid"
    assert adapter.get_refund("2024112000023402") is None
    wrong_digits = adapter.cancel_order("2024112000023402", Owner(phone_last4="0000"))
    assert wrong_digits.reason == "not_found" and adapter.get_order("2024112000023402").status == "paid"
    done = adapter.cancel_order("2024112000023402", Owner(customer_id="C1002"))
    assert done.ok and adapter.get_order("2024112000023402").status == "cancelled"


def test_an_older_database_gets_the_customer_column(db_url):
    """A shop database made before orders had owners: the column is added on first use; its old
    orders have no owner, so only their phone digits open them."""
    from actions.shop.base import Owner

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE shop_orders (order_id VARCHAR(32) PRIMARY KEY, status VARCHAR(32) NOT NULL,"
                " total_cents INTEGER NOT NULL, payment_method VARCHAR(32), recipient VARCHAR(64),"
                " phone VARCHAR(32), address VARCHAR(255), carrier VARCHAR(32), tracking_no VARCHAR(64),"
                " created_at TIMESTAMP, paid_at TIMESTAMP, shipped_at TIMESTAMP, delivered_at TIMESTAMP,"
                " cancelled_at TIMESTAMP, updated_at TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO shop_orders (order_id, status, total_cents, phone) "
                "VALUES ('2023010100000001', 'paid', 1000, '13900005678')"
            )
        )
    engine.dispose()
    shop = SqlShopAdapter(db_url)
    try:
        order = shop.get_order("2023010100000001")
        assert order.status == "paid" and order.customer_id == ""
        assert shop.get_order("2023010100000001", Owner(customer_id="C1001")) is None
        assert shop.get_order("2023010100000001", Owner(phone_last4="5678")) is not None
        seed(db_url, now=FROZEN_NOW)  # the demo orders now load with their owners
        assert shop.get_order("2024111800045604", Owner(customer_id="C1002")) is not None
    finally:
        shop.close()


def test_a_customers_own_orders_newest_first_and_nobody_elses(adapter):
    orders = adapter.customer_orders("C1002")
    assert orders and all(order.customer_id == "C1002" for order in orders)
    assert "2024111800045604" in [order.order_id for order in orders]
    created = [order.created_at for order in orders]
    assert created == sorted(created, reverse=True)
    assert len(adapter.customer_orders("C1002", limit=2)) == 2
    assert adapter.customer_orders("nobody") == [] and adapter.customer_orders("") == []
