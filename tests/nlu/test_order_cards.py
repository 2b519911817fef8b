"""Pasted order cards: the NLU reads the question, the order number survives, other text is untouched."""

import pytest

from jieli_nlu.components import nlu_text
from jieli_nlu.order_ids import find_order_ids


@pytest.mark.parametrize(
    "card, question",
    [
        (
            "【订单编号】2024111900012312【商品】智能电饭煲 3L 经典白【实付】¥239.00 还没发货的话帮我取消",
            "还没发货的话帮我取消",
        ),
        (
            "订单号：2024111500067806 下单时间：2024-11-15 10:21 商品：电热水壶 白色×1 显示已签收 可我没拿到啊",
            "可我没拿到啊",
        ),
        (
            "商品名称：小夜灯 暖白 数量：2 订单编号：2024112000023402 复制 付款时间：今天上午 帮我看下发了没",
            "帮我看下发了没",
        ),
        ("【訂單編號】2024110800011210 【商品】羊毛圍巾 【實付】￥299.00 轉人工唔該", "转人工唔该"),
    ],
)
def test_a_card_keeps_the_question_and_the_order_number(card, question):
    text = nlu_text(card)
    assert text.endswith(question)
    for boilerplate in ("【", "】", "实付", "¥", "下单时间", "复制", "2024-11-15"):
        assert boilerplate not in text
    wanted = [m.value for m in find_order_ids(card.replace("【", " ").replace("】", " "))]
    assert len(wanted) == 1 and [m.value for m in find_order_ids(text)] == wanted


@pytest.mark.parametrize(
    "text",
    [
        "我的订单2024111500034503什么时候发货",
        "订单号是2024111500034503",
        "商品质量太差了",
        "状态怎么样了",
        "实付多少钱",
    ],
)
def test_ordinary_messages_are_only_normalised(text):
    from jieli_nlu.normalize import normalize_text

    assert nlu_text(text) == normalize_text(text)


def test_what_the_card_says_about_the_order_is_not_read_as_the_question():
    card = "【订单信息】\n订单编号 2024111900012312\n智能电饭煲 3L 经典白\n实付 239.00 花呗\n待发货"
    assert nlu_text(card) == "订单号2024111900012312 智能电饭煲 3l 经典白"
    fields = "订单编号：2024110800011210\n羊毛混纺围巾 ×1\n实付款：¥299.00\n订单状态：退款被拒\n退款为什么被拒"
    assert nlu_text(fields) == "订单号2024110800011210 羊毛混纺围巾 退款为什么被拒"
