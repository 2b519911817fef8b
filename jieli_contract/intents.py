"""The bot's intents as agents and designers read them: one Chinese label per intent of domain.yml.

Shown on the handover card (最近意图), in the close dialog (顾客其实想问的是) and on the review page;
an intent without a label is shown by its name.
"""

from __future__ import annotations

# topics first (the order the close dialog offers them in)
INTENT_LABELS: dict[str, str] = {
    "order_status": "查订单 / 物流",
    "cancel_order": "取消订单",
    "change_address": "修改地址",
    "refund": "退款",
    "return_exchange": "退换货",
    "invoice": "发票",
    "payment": "支付",
    "coupon": "优惠券 / 价保",
    "product_usage": "产品使用",
    "product_info": "商品咨询",
    "faq": "常见问题",
    "out_of_scope": "超出范围",
    "complain": "投诉",
    "request_human": "要人工客服",
    "bot_challenge": "问是不是机器人",
    "inform_order_id": "发订单号",
    "inform_phone_last4": "发手机尾号",
    "greet": "打招呼",
    "goodbye": "告别",
    "thank": "感谢",
    "affirm": "确认",
    "deny": "否定",
    "insult": "辱骂",
    "request_rating": "要评价",
    "rate": "打分",
    "nlu_fallback": "没听懂",
}


def intent_label(name: str) -> str:
    """The Chinese label of an intent; its name when it has none."""
    return INTENT_LABELS.get(name, name)
