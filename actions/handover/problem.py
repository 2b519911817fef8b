"""What the customer wants: their most informative messages (the problem, in their own words),
every order number they mentioned, and the routing category."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jieli_contract import DEFAULT_CATEGORY
from jieli_dialogue import signals as sig
from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_ids import find_order_ids

PROBLEM_MESSAGES = 3  # customer messages quoted as the problem

INTENT_CATEGORY = {
    "order_status": "物流",
    "change_address": "物流",
    "cancel_order": "售后",
    "refund": "售后",
    "return_exchange": "售后",
    "invoice": "账单",
    "payment": "账单",
    "coupon": "账单",
    "product_usage": "产品",
    "product_info": "产品",
}
TOPIC_CATEGORY = {"order_status": "物流", "change_address": "物流", "cancel_order": "售后", "refund": "售后"}
# for messages whose intent names no topic (complaints, fallbacks, requests): words → category
CATEGORY_KEYWORDS = (
    (
        "售后",
        (
            "退款",
            "退钱",
            "退货",
            "换货",
            "退换",
            "售后",
            "质量",
            "坏了",
            "破损",
            "维修",
            "保修",
            "假货",
            "少发",
            "发错",
        ),
    ),
    (
        "物流",
        ("快递", "物流", "发货", "配送", "派送", "驿站", "签收", "到货", "运单", "送货", "没收到", "丢件", "地址"),
    ),
    ("账单", ("发票", "付款", "支付", "扣款", "扣钱", "扣了", "优惠券", "价保", "差价", "花呗", "账单", "多收")),
    (
        "产品",
        (
            "怎么用",
            "使用",
            "按钮",
            "说明书",
            "安装",
            "功能",
            "充电",
            "不亮",
            "开机",
            "配对",
            "连不上",
            "尺码",
            "没声音",
            "没反应",
            "不工作",
            "故障",
            "蓝牙",
            "耳机",
            "设置",
            "重置",
            "死机",
        ),
    ),
)


def problem_messages(turns: list[sig.Turn], lexicon: sig.Lexicon, pending_answer: sig.Turn | None) -> list[sig.Turn]:
    """The customer's most informative messages, oldest first: not small talk, and at least
    `DESCRIPTION_MIN_CHARS` characters once request words and profanity are removed (so not a
    bare 转人工, pure abuse or a bare order number), ranked by how much they say, an order
    number in them, a topical intent; the answer to our "请简单描述一下您遇到的问题" always counts."""
    scored: list[tuple[float, sig.Turn]] = []
    for turn in turns:
        if turn.payload or not turn.normalized:
            continue
        stripped = sig.strip_request_words(turn.normalized, lexicon)
        for word in lexicon.profanity.words:
            stripped = stripped.replace(word, " ")
        size = len(sig.content(stripped))
        has_order = bool(find_order_ids(turn.normalized))
        if turn is pending_answer:
            score = 100.0 + size
        elif turn.intent in sig.SMALLTALK or turn.intent in (sig.REQUEST_RATING, sig.RATE):
            continue
        elif size < sig.DESCRIPTION_MIN_CHARS:
            continue  # "人工客服", "傻逼", a bare order number: nothing about the problem
        else:
            score = min(size, 40) + (10 if has_order else 0) + (8 if turn.intent in INTENT_CATEGORY else 0)
        scored.append((score, turn))
    best = sorted(scored, key=lambda pair: (-pair[0], -pair[1].index))[:PROBLEM_MESSAGES]
    return sorted((turn for _, turn in best), key=lambda t: t.index)


def order_ids_of(turns: list[sig.Turn], slot_value: Any, metadata: Mapping[str, Any]) -> list[str]:
    """Every order number mentioned (entities, the text, the slot, the page the customer is on),
    in order of first mention."""
    found: list[str] = []

    def add(value: Any) -> None:
        digits = "".join(ch for ch in normalize_text(str(value)) if ch.isdigit()) if value is not None else ""
        if 6 <= len(digits) <= 20 and digits not in found:
            found.append(digits)

    for turn in turns:
        for entity in turn.entities:
            if entity.get("entity") == "order_id":
                add(entity.get("value"))
        if not turn.payload:
            for match in find_order_ids(turn.normalized):
                add(match.value)
    add(slot_value)
    current = metadata.get("current_order")
    if isinstance(current, Mapping):
        add(current.get("order_id") or current.get("id"))
    elif isinstance(current, (str, int)):
        add(current)
    return found


# the routing category of a reported problem (售后 when not listed)
PROBLEM_CATEGORY = {"cannot_use": "产品", "account": "其他"}


def category_of(turns: list[sig.Turn], order_topic: Any, problem: list[sig.Turn]) -> str:
    """Routing category: the newest problem the customer reported (a damaged, wrong or missing
    item … whatever the intent and whatever was asked after it: the problem is what the case is
    about), else the newest customer message with a topical intent, else the order topic the bot
    was asking about, else keywords in the customer's words, else 其他."""
    for turn in reversed(turns):
        kinds = [e.get("value") for e in turn.entities if e.get("entity") == "problem"]
        if kinds:  # a product that will not work: 产品; an account that will not log in: 其他
            return PROBLEM_CATEGORY.get(kinds[0], "售后")
    for turn in reversed(turns):
        if turn.intent in INTENT_CATEGORY:
            return INTENT_CATEGORY[turn.intent]
    if isinstance(order_topic, str) and order_topic in TOPIC_CATEGORY:
        return TOPIC_CATEGORY[order_topic]
    texts = [t.normalized for t in reversed(problem or turns) if t.normalized]
    for text in texts:
        for category, words in CATEGORY_KEYWORDS:
            if any(word in text for word in words):
                return category
    return DEFAULT_CATEGORY


def problem_text(problem: list[sig.Turn], lexicon: sig.Lexicon) -> str:
    """The problem messages joined, whitespace tidied, profanity masked (agents are protected)."""
    return "；".join(" ".join(sig.mask_profanity(t.text, lexicon).split()) for t in problem)
