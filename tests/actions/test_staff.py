"""actions/staff.py: the orders the bridge's order panel shows and the cancellation agents may do,
through the real SQL shop adapter on the seeded demo shop (conftest.py)."""

from __future__ import annotations

import pytest

from actions import staff
from actions.shop.factory import get_adapter

PAID_C1001 = "2024111500034503"  # paid, not shipped, a rejected refund; placed by C1001
SHIPPED_C1002 = "2024111800045604"


def test_the_owner_sees_the_whole_order_and_nobody_else_sees_anything():
    adapter = get_adapter()
    [mine] = staff.lookup(adapter, [PAID_C1001], "C1001")
    assert mine["found"] is True
    order = mine["order"]
    assert order["order_id"] == PAID_C1001 and order["status"] == "paid" and order["status_text"]
    assert order["total"] == "78.30"
    assert [i["name"] for i in order["items"]] == ["感冒灵颗粒", "维生素C泡腾片"]
    assert order["refund"]["status"] == "rejected"
    assert order["actions"] == ["cancel"]
    # someone else's order and an unknown one: the same answer, nothing in it
    assert staff.lookup(adapter, [PAID_C1001, "2099010100000000"], "C1002") == [
        {"order_id": PAID_C1001, "found": False},
        {"order_id": "2099010100000000", "found": False},
    ]
    # without an owner (an order the action verified in the chat): the shop's staff view
    [shipped] = staff.lookup(adapter, [SHIPPED_C1002])
    assert shipped["order"]["logistics"]["tracking_no"] and shipped["order"]["actions"] == []


@pytest.mark.parametrize(
    "order_ids", [None, [], "2024111500034503", ["abc"], ["1" * 40], [PAID_C1001] * (staff.MAX_ORDERS + 1)]
)
def test_bad_order_lists_are_refused(order_ids):
    with pytest.raises(staff.BadRequest):
        staff.lookup(get_adapter(), order_ids, "C1001")


def test_a_bad_customer_id_is_refused():
    for customer_id in ("", 42, "x" * 200):
        with pytest.raises(staff.BadRequest):
            staff.lookup(get_adapter(), [PAID_C1001], customer_id)


def test_cancel_only_what_the_shop_allows_and_only_for_the_owner():
    adapter = get_adapter()
    assert staff.cancel(adapter, PAID_C1001, "C1002")["reason"] == "not_found"
    assert staff.cancel(adapter, SHIPPED_C1002, "C1002")["ok"] is False
    done = staff.cancel(adapter, PAID_C1001, "C1001")
    assert done["ok"] is True and done["order"]["status"] == "cancelled" and done["order"]["actions"] == []
    again = staff.cancel(adapter, PAID_C1001, "C1001")
    assert (again["ok"], again["reason"]) == (False, "already_cancelled")


def test_only_the_bridges_action_token_opens_the_staff_routes():
    assert staff.authorised("Bearer secret-action-token", "secret-action-token")
    assert not staff.authorised("Bearer other", "secret-action-token")
    assert not staff.authorised("secret-action-token", "secret-action-token")
    assert not staff.authorised("Bearer ", "")
