"""The normalisation every customer message goes through before the NLU sees it."""

import pytest

from jieli_nlu.normalize import NUMBER_MASK, fold_punctuation, mask_numbers, normalize_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("轉人工客服", "转人工客服"),
        ("訂單號：２０２４１１２３０００１２３４５", "订单号:2024112300012345"),
        ("ＲＥＮＧＯＮＧ", "rengong"),
        ("退款呢！！！", "退款呢!"),
        ("怎么还没发货？？？", "怎么还没发货?"),
        ("到底发不发?!?!?!", "到底发不发?!"),
        ("好吧。。。。", "好吧。"),
        ("  在 \t 吗  ", "在 吗"),
        ("人工\u200b客服", "人工客服"),
        ("发票~~~~", "发票~"),
        ("发货啊啊啊啊啊啊啊", "发货啊"),
        ("在嗎嗎嗎？？", "在吗?"),
        ("人工呀呀呀！！！", "人工呀!"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_keeps_what_carries_meaning():
    # Repeated words are a signal (人工人工人工), and emoji carry emotion: both stay.
    assert normalize_text("人工人工人工") == "人工人工人工"
    assert normalize_text("😡😡") == "😡😡"
    # only drawn-out particles fold: words, doubled particles and digits stay
    assert normalize_text("好好好 谢谢啊啊 订单2024111188888") == "好好好 谢谢啊啊 订单2024111188888"


@pytest.mark.parametrize("raw", ["", None, "   ", "\u200b"])
def test_empty_input_gives_empty_text(raw):
    assert normalize_text(raw) == ""


def test_long_input_is_handled():
    text = "我要退款" * 1250  # 5,000 characters
    assert normalize_text(text) == text


def test_single_punctuation_is_untouched():
    assert fold_punctuation("好的,谢谢!") == "好的,谢谢!"


def test_variant_pronouns_fold_to_the_everyday_form():
    assert normalize_text("妳是真人嗎？") == "你是真人吗?"
    assert normalize_text("祢好") == "你好"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("单号 二零二四 一一一五 零零零六 七八零六", "单号 2024111500067806"),
        ("订单二〇二四幺幺二零零零零幺二三零幺", "订单2024112000012301"),
        ("二十一号能到吗", "二十一号能到吗"),
        ("一一回复一下", "一一回复一下"),
        ("尾号三五七九", "尾号三五七九"),
    ],
)
def test_numbers_read_out_digit_by_digit_become_digits(raw, expected):
    assert normalize_text(raw) == expected


def test_the_intent_models_read_every_long_number_alike():
    """Which digits an order happens to have must not change what the customer is taken to want."""
    assert mask_numbers("查一下订单 2024111500034503") == mask_numbers("查一下订单 2024112000000004")
    assert mask_numbers("手机 13600004444 顺丰 SF1428305566704") == f"手机 {NUMBER_MASK} 顺丰 SF{NUMBER_MASK}"
    # short numbers say something: a phone's last four digits, a price, a quantity
    assert mask_numbers("尾号4444 付了199元 买了3个") == "尾号4444 付了199元 买了3个"
