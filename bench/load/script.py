"""What the simulated customers and agents say, and how a reply is recognised.

The texts are the demo shop's: ordinary questions the bot answers at once (none asks for an order
number or hands over), look-ups of the demo orders (shop/demo_orders.yml, checked with the last
four digits of the order's phone), and requests for a person. A look-up asked again later must be
answered from the conversation's slots (order number and verified digits): its reply names the
order number the customer gave earlier.
"""

from __future__ import annotations

FAQ = (
    "你好",
    "退货运费谁出",
    "怎么开发票",
    "优惠券怎么用",
    "支持哪些付款方式",
    "可以用花呗吗",
    "发票抬头写错了怎么办",
    "七天无理由退货吗",
    "谢谢",
)

# shipped demo orders and the last four digits of their phones
ORDERS = (("2024111800045604", "4444"), ("2024111300056705", "5555"))
ORDER_ASK = "我的快递到哪了"
ORDER_ASK_AGAIN = ("我的快递到哪了", "物流到哪了", "帮我查下快递")

HUMAN_ASK = "转人工"
PROBLEM = "快递三天没动了，订单号{order}"
CUSTOMER_TO_AGENT = "好的，麻烦帮我催一下"
AGENT_GREETING = "您好，我是客服，这就帮您查一下。"
AGENT_ANSWER = "已经帮您催促快递公司了，今天会有更新，请放心。"
RATING = 5


def names_order(text: str, order_id: str) -> bool:
    """Does a bot reply answer about this order?"""
    return order_id in text


def slot_answer(replies: list[str], order_id: str) -> str:
    """How the bot answered an order question asked again without the number: `remembered` (it
    names the order), `forgotten` (it asks for the order number or the phone's digits again) or
    `other` (anything else, e.g. a handover)."""
    if any(names_order(text, order_id) for text in replies):
        return "remembered"
    if any(("订单号" in text or "后四位" in text) for text in replies):
        return "forgotten"
    return "other"
