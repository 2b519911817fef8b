"""Order cards pasted into the chat: keep the question, drop the boilerplate.

Customers paste the order card the shop app shows ("【订单编号】2024… 【商品】… 【实付】¥199.00
还没发货的话帮我取消") or copy the fields from the order page ("订单编号：2024… 复制 下单时间：
2024-11-15 10:21"). The field labels, prices, dates and the app's "复制" are the same in every
card, so the intent models learn them as a topic of their own ("a card = just an order number")
and miss the question after it. `compact_order_card` rewrites a card to what a customer would
type: "订单号2024…", the product words, and the question. Only the NLU sees this form (the
ChineseNormalizer applies it after `normalize_text`); the tracker keeps the original message.
"""

from __future__ import annotations

import re

_ORDER_LABEL = re.compile(r"[【\[]\s*(?:订单编号|订单号码|订单号|订单)\s*[】\]]\s*[::]?\s*")
_ORDER_FIELD = re.compile(r"(?:订单编号|订单号码)\s*[::]?\s*(?=\d{12})")
_CARD_TITLE = re.compile(r"[【\[]\s*(?:订单信息|订单详情|订单)\s*[】\]]")
# What a card shows about the order, not what the customer asks: its status and how it was paid
# ("订单状态：退款被拒", a line "待发货", "实付 239.00 花呗"). Left in, they read as the question.
_STATUS_FIELD = re.compile(
    r"(?<![\u4e00-\u9fff])(?:订单状态|物流状态|退款状态|售后状态|状态|支付方式|付款方式)\s*[::]\s*\S+"
)
_CARD_VALUES = frozenset(
    "待付款 待发货 已发货 运输中 派送中 待收货 已签收 已收货 交易成功 交易关闭 已完成 已取消 退款中 退款成功 "
    "退款被拒 退款关闭 售后中 微信支付 支付宝 花呗 银行卡 余额 信用卡 货到付款 白条".split()
)
_FIELD_LABELS = (
    "商品名称",
    "商品",
    "宝贝",
    "规格",
    "颜色分类",
    "颜色",
    "尺码",
    "数量",
    "实付款",
    "实付",
    "应付款",
    "应付",
    "合计",
    "金额",
    "下单时间",
    "付款时间",
    "成交时间",
    "创建时间",
    "发货时间",
    "订单状态",
    "状态",
    "物流状态",
    "退款状态",
    "店铺",
)
_BRACKET_LABEL = re.compile(r"[【\[]\s*(?:" + "|".join(_FIELD_LABELS) + r")\s*[】\]]\s*[::]?\s*")
_COLON_LABEL = re.compile(r"(?<![\u4e00-\u9fff])(?:" + "|".join(_FIELD_LABELS) + r")\s*[::]\s*")
_MONEY = re.compile(r"[¥￥]\s*\d+(?:\.\d+)?(?:元)?")
_PRICE_FIELD = re.compile(
    r"(?<![\u4e00-\u9fff])(?:实付款|实付|应付款|应付|合计|金额)\s*[::]?\s*[¥￥]?\s*\d+(?:\.\d+)?元?"
)
_DATETIME = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?")
_QUANTITY = re.compile(r"[x×*]\s*\d{1,3}(?!\d)")
_COPY = re.compile(r"(?<=\d)\s*复制")
_SPACES = re.compile(r"\s+")


def looks_like_card(text: str) -> bool:
    """True for a pasted card or order-page fields: two or more labels, or a bracketed order label."""
    labels = len(_BRACKET_LABEL.findall(text)) + len(_COLON_LABEL.findall(text))
    return bool(_ORDER_LABEL.search(text) or _CARD_TITLE.search(text)) or labels + len(_ORDER_FIELD.findall(text)) >= 2


def compact_order_card(text: str) -> str:
    """The card's order number as "订单号…", its product words and the question; other text as is."""
    if not text or not looks_like_card(text):
        return text
    text = _STATUS_FIELD.sub(" ", text)
    text = _PRICE_FIELD.sub(" ", text)
    text = _CARD_TITLE.sub(" ", text)
    text = _ORDER_LABEL.sub(" 订单号", text)
    text = _ORDER_FIELD.sub(" 订单号", text)
    text = _BRACKET_LABEL.sub(" ", text)
    text = _COLON_LABEL.sub(" ", text)
    text = _MONEY.sub(" ", text)
    text = _DATETIME.sub(" ", text)
    text = _QUANTITY.sub(" ", text)
    text = _COPY.sub(" ", text)
    return " ".join(word for word in _SPACES.split(text) if word and word not in _CARD_VALUES)
