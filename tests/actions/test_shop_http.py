"""The HTTP shop adapter against a real local HTTP server (a fake shop API backed by the seeded
SQLite database), and the actions running on it."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.common import SHOP_UNAVAILABLE
from actions.confirm_actions import ActionHandleAffirm
from actions.order_actions import ActionOrderStatus
from actions.shop.base import Owner, ShopUnavailable
from actions.shop.http import HttpShopAdapter, order_from_json, order_to_json, refund_to_json
from actions.shop.sql import SqlShopAdapter
from jieli_testkit import HUMAN, LocalServer, closed_port_url, load_tracker, message, run_action

TOKEN = "shop-api-test-token"
ALL_IDS = [
    "2024112000012301",
    "2024112000023402",
    "2024111500034503",
    "2024111800045604",
    "2024111300056705",
    "2024111500067806",
    "2024111000078907",
    "2024110800089008",
    "2024110300090109",
    "2024110800011210",
    "2024111700012311",
    "2024111900012312",
    "2024111800012313",
]


@pytest.fixture
def api(shop_db):
    shop = SqlShopAdapter(shop_db)

    def respond(method, path, headers, body):
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"error": {"code": "unauthorized", "message": "bad token"}}
        path, _, query = path.partition("?")
        parts = path.split("/")  # ['', 'api', 'orders', id, (refund|cancel)?]
        if parts == ["", "api", "orders"] and method == "GET":
            # the optional listing: the orders of the customer named in the header, newest first
            limit = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("limit", 10))
            customer = headers.get("X-Jieli-Customer-Id")
            return 200, {"orders": [order_to_json(o) for o in shop.customer_orders(customer or "", limit)]}
        if parts[:3] != ["", "api", "orders"] or len(parts) not in (4, 5):
            return 404, {"error": {"code": "not_found", "message": path}}
        order_id, action = parts[3], (parts[4] if len(parts) == 5 else "")
        # the shop's side of "orders belong to someone": the customer the bot asks for, if any
        customer, digits = headers.get("X-Jieli-Customer-Id"), headers.get("X-Jieli-Phone-Last4")
        owner = Owner(customer_id=customer, phone_last4=digits) if (customer or digits) else None
        if owner is not None and shop.get_order(order_id) is not None and shop.get_order(order_id, owner) is None:
            return 403, {"error": {"code": "forbidden", "message": "not this customer's order"}}
        if order_id == "5000000000000000":
            return 500, {"error": {"code": "internal", "message": "boom"}}
        if order_id == "9990000000000000":
            return 200, {}, 1.0
        if order_id == "8880000000000000":
            return 200, b"<html>maintenance</html>"
        if method == "GET" and action == "":
            order = shop.get_order(order_id)
            return (200, order_to_json(order)) if order else (404, {"error": {"code": "not_found", "message": "no"}})
        if method == "GET" and action == "refund":
            refund = shop.get_refund(order_id)
            return (
                (200, {"refund": refund_to_json(refund)})
                if refund
                else (404, {"error": {"code": "not_found", "message": "no"}})
            )
        if method == "POST" and action == "cancel":
            result = shop.cancel_order(order_id)
            if result.reason == "not_found":
                return 404, {"error": {"code": "not_found", "message": "no"}}
            if result.ok:
                return 200, {
                    "ok": True,
                    "order": order_to_json(result.order),
                    "refund": refund_to_json(result.refund) if result.refund else None,
                }
            return 409, {
                "ok": False,
                "reason": result.reason,
                "message": "不能取消",
                "order": order_to_json(result.order) if result.order else None,
            }
        return 405, {"error": {"code": "method_not_allowed", "message": method}}

    with LocalServer(respond) as server:
        server.api_url = server.url + "/api"
        yield server
    shop.close()


@pytest.fixture
def http_shop(api):
    adapter = HttpShopAdapter(api.api_url, TOKEN, timeout=0.3)
    yield adapter
    adapter.close()


def test_orders_read_over_http_equal_the_database(http_shop, shop_db):
    sql = SqlShopAdapter(shop_db)
    for order_id in ALL_IDS:
        assert http_shop.get_order(order_id) == sql.get_order(order_id), order_id
        assert http_shop.get_refund(order_id) == sql.get_refund(order_id), order_id
    sql.close()


def test_requests_carry_the_bearer_token_and_quote_the_id(http_shop, api):
    assert http_shop.get_order("2024/../admin") is None
    request = api.requests[-1]
    assert request["path"] == "/api/orders/2024%2F..%2Fadmin"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Accept"] == "application/json"


def test_unknown_order_and_missing_refund_are_none(http_shop):
    assert http_shop.get_order("2024000000000000") is None
    assert http_shop.get_refund("2024111800045604") is None


@pytest.mark.parametrize("order_id", ["5000000000000000", "9990000000000000", "8880000000000000"])
def test_server_errors_time_outs_and_garbage_raise_shop_unavailable(http_shop, order_id):
    with pytest.raises(ShopUnavailable):
        http_shop.get_order(order_id)


def test_wrong_token_raises_shop_unavailable(api):
    with pytest.raises(ShopUnavailable):
        HttpShopAdapter(api.api_url, "wrong", timeout=1).get_order("2024111800045604")


def test_unreachable_or_unconfigured_api_raises_shop_unavailable():
    with pytest.raises(ShopUnavailable):
        HttpShopAdapter(closed_port_url(), TOKEN, timeout=1).get_order("2024111800045604")
    with pytest.raises(ShopUnavailable):
        HttpShopAdapter("", TOKEN).get_refund("2024111800045604")


def test_cancel_over_http(http_shop):
    result = http_shop.cancel_order("2024112000023402")
    assert result.ok and result.order.status == "cancelled" and result.refund.amount_cents == 9980
    refused = http_shop.cancel_order("2024111800045604")
    assert (refused.ok, refused.reason, refused.message) == (False, "shipped", "不能取消")
    assert http_shop.cancel_order("2024000000000000").reason == "not_found"


def test_order_json_may_be_wrapped_and_naive_times_are_beijing_time():
    order = order_from_json(
        {
            "order": {
                "order_id": "1",
                "status": "paid",
                "total_amount": 12.5,
                "paid_at": "2024-11-20 10:00:00",
                "items": [{"name": "x", "unit_price": "12.50"}],
            }
        }
    )
    assert order.total_cents == 1250 and order.paid_at.isoformat() == "2024-11-20T02:00:00+00:00"
    with pytest.raises(ValueError):
        order_from_json({"status": "paid"})


def test_actions_give_the_same_answers_over_http(api, env):
    expected = run_action(ActionOrderStatus(), load_tracker("order_status_news_case", as_owner=True))
    env(JIELI_SHOP_ADAPTER="http", JIELI_SHOP_API_URL=api.api_url, JIELI_SHOP_API_TOKEN=TOKEN)
    assert run_action(ActionOrderStatus(), load_tracker("order_status_news_case", as_owner=True)) == expected
    assert any(r["path"] == "/api/orders/2024111500034503/refund" for r in api.requests)


def test_cancel_confirmation_over_http(api, env):
    env(JIELI_SHOP_ADAPTER="http", JIELI_SHOP_API_URL=api.api_url, JIELI_SHOP_API_TOKEN=TOKEN)
    events, messages = run_action(ActionHandleAffirm(), load_tracker("affirm_cancel", as_owner=True))
    assert events == [SlotSet("pending_confirm", None)]
    assert messages == [
        message(
            "已为您取消订单 2024112000023402。退款 ¥99.80 会原路退回微信（零钱或付款银行卡），"
            "1–3 个工作日到账。还有什么可以帮您？"
        )
    ]
    assert api.requests[-1]["method"] == "POST" and api.requests[-1]["path"] == "/api/orders/2024112000023402/cancel"


def test_unreachable_shop_gets_a_friendly_apology(env):
    env(JIELI_SHOP_ADAPTER="http", JIELI_SHOP_API_URL=closed_port_url(), JIELI_SHOP_API_TIMEOUT="1")
    events, messages = run_action(ActionOrderStatus(), load_tracker("order_status_shipped", as_owner=True))
    assert events == []
    assert messages == [message(SHOP_UNAVAILABLE, buttons=[HUMAN])]


# ---------------------------------------------------------------------------------------------
# orders belong to someone


def test_owner_is_sent_to_the_shop_and_403_or_404_is_no_such_order(api):
    shop = HttpShopAdapter(api.api_url, TOKEN)
    mine = shop.get_order("2024111800045604", Owner(customer_id="C1002"))
    assert mine is not None and mine.customer_id == "C1002"
    sent = api.requests[-1]["headers"]
    assert sent["X-Jieli-Customer-Id"] == "C1002" and "X-Jieli-Phone-Last4" not in sent
    assert "C1002" not in api.requests[-1]["path"]  # not in the URL (access logs)
    # someone else's order: the shop answers 403, the adapter says "no such order" as for a 404
    assert shop.get_order("2024111800045604", Owner(customer_id="C1001")) is None
    assert api.requests[-1]["headers"]["X-Jieli-Customer-Id"] == "C1001"
    assert shop.get_order("2024000000000000", Owner(customer_id="C1001")) is None
    assert shop.get_refund("2024111500034503", Owner(customer_id="C1002")) is None
    refused = shop.cancel_order("2024112000023402", Owner(customer_id="C1001"))
    assert (refused.ok, refused.reason) == (False, "not_found")
    assert shop.get_order("2024112000023402").status == "paid"  # nothing was cancelled


def test_phone_digits_are_sent_as_the_second_factor(api):
    shop = HttpShopAdapter(api.api_url, TOKEN)
    assert shop.get_order("2024111800045604", Owner(phone_last4="4444")).order_id == "2024111800045604"
    assert api.requests[-1]["headers"]["X-Jieli-Phone-Last4"] == "4444"
    assert shop.get_order("2024111800045604", Owner(phone_last4="4445")) is None


def test_403_without_a_customer_is_a_refused_token(api):
    def respond(method, path, headers, body):
        return 403, {"error": {"code": "forbidden", "message": "token"}}

    with LocalServer(respond) as server:
        with pytest.raises(ShopUnavailable):
            HttpShopAdapter(server.url, TOKEN).get_order("2024111800045604")


def test_an_answer_that_contradicts_the_owner_is_refused_by_the_adapter_too(shop_db):
    """A shop API that ignores the headers still does not leak an order that says whose it is."""
    order = SqlShopAdapter(shop_db).get_order("2024111800045604")

    def respond(method, path, headers, body):
        return 200, order_to_json(order)

    with LocalServer(respond) as server:
        shop = HttpShopAdapter(server.url, TOKEN)
        assert shop.get_order("2024111800045604", Owner(customer_id="C1001")) is None
        assert shop.get_order("2024111800045604", Owner(phone_last4="0000")) is None
        assert shop.get_order("2024111800045604", Owner(customer_id="C1002")) is not None


def test_a_customers_own_orders_over_http_equal_the_database(http_shop, shop_db, api):
    sql = SqlShopAdapter(shop_db)
    assert http_shop.customer_orders("C1002") == sql.customer_orders("C1002")
    assert http_shop.customer_orders("C1002")  # not vacuous
    request = api.requests[-1]
    assert request["headers"]["X-Jieli-Customer-Id"] == "C1002" and "C1002" not in request["path"]
    sql.close()


def test_a_shop_that_does_not_list_orders_gives_none_and_the_bot_asks_for_the_number():
    def respond(method, path, headers, body):
        return 404, {"error": {"code": "not_found", "message": path}}

    with LocalServer(respond) as server:
        adapter = HttpShopAdapter(server.url + "/api", TOKEN, timeout=1)
        assert adapter.customer_orders("C1002") == []
        adapter.close()


def test_a_listing_that_fails_just_now_asks_for_the_number_instead_of_apologising(env):
    env(JIELI_SHOP_ADAPTER="http", JIELI_SHOP_API_URL=closed_port_url(), JIELI_SHOP_API_TIMEOUT="1")
    tracker = load_tracker("order_status_no_id", text="我的耳机今天能到吗", entities=[], slots={}, customer="C1002")
    _, messages = run_action(ActionOrderStatus(), tracker)
    assert "订单号" in "".join(m.get("text") or "" for m in messages)
    assert SHOP_UNAVAILABLE not in [m.get("text") for m in messages]
