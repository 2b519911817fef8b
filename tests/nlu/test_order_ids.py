"""Order numbers in every form customers type them (entity `order_id`)."""

import pytest

from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_ids import find_order_ids


def ids(text):
    return [m.value for m in find_order_ids(normalize_text(text))]


@pytest.mark.parametrize(
    "text",
    [
        "订单号2024112300012345",
        "订单号:2024112300012345",
        "单号:2024112300012345 帮我查下",
        "單號：2024112300012345",
        "訂單號 2024112300012345",
        "订单编号是2024112300012345",
        "2024112300012345",
        "我的是 2024112300012345 啊",
        "２０２４１１２３０００１２３４５",
        "order no. 2024112300012345",
        "单号 2024 1123 0001 2345",
        "单号2024-1123-0001-2345",
    ],
)
def test_every_form_gives_the_digits(text):
    assert ids(text) == ["2024112300012345"]


def test_bare_numbers_need_twelve_to_twenty_digits():
    assert ids("123456789012") == ["123456789012"]
    assert ids("12345678901234567890") == ["12345678901234567890"]
    assert ids("123456789012345678901") == []


@pytest.mark.parametrize("text", ["手机13812345678", "199元", "2024年11月23日买的", "我要退款", ""])
def test_other_numbers_are_not_order_ids(text):
    assert ids(text) == []


def test_short_number_after_a_keyword():
    assert ids("订单号123456到哪了") == ["123456"]


def test_two_orders():
    assert ids("2024112300012345和2024112300067890都没到") == ["2024112300012345", "2024112300067890"]


def test_span_points_at_the_number():
    text = normalize_text("订单号:2024112300012345")
    [match] = find_order_ids(text)
    assert text[match.start : match.end] == "2024112300012345"
