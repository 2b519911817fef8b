"""`action_clarify`: the bot is not sure what the customer means, and says so.

EscalationPolicy runs it when the newest message's intent confidence (calibrated: 0.6 means right
about six times in ten) is under `clarify_below` in config.yml. Instead of answering what it
merely guesses — the 答非所问 customers hate — the bot offers its two likeliest topics as buttons,
plus 转人工: "您是想问「退款」还是「退换货」？". The turn counts as not understood for escalation
(jieli_dialogue/signals: FALLBACK_ACTIONS), so a customer it keeps failing reaches a person.
"""

from __future__ import annotations

from actions.common import HUMAN_BUTTON, JieliAction, ask

# What a customer would call each topic, and the button that asks about it.
TOPICS = {
    "order_status": "查物流/发货进度",
    "cancel_order": "取消订单",
    "change_address": "修改收货地址",
    "refund": "退款",
    "return_exchange": "退货/换货",
    "invoice": "开发票",
    "payment": "付款问题",
    "coupon": "优惠券/价保",
    "product_usage": "商品怎么用",
    "product_info": "商品信息",
    "complain": "投诉/反馈问题",
    "bot_challenge": "我是不是机器人",
}
MENU = ["order_status", "refund", "return_exchange"]
TWO = "抱歉，我不太确定您的意思 😅 您是想问「{a}」，还是「{b}」呢？都不是的话，可以换个说法告诉我，或者直接转人工客服。"
ONE = "抱歉，我不太确定您的意思 😅 您是想问「{a}」吗？不是的话，可以换个说法告诉我，或者直接转人工客服。"


def likeliest_topics(latest_message: dict, limit: int = 2) -> list[str]:
    """The likeliest intents of the latest parse that are topics we can offer, best first."""
    ranking = (latest_message or {}).get("intent_ranking") or []
    names = [r.get("name") for r in ranking if isinstance(r, dict)]
    intent = (latest_message or {}).get("intent") or {}
    if isinstance(intent, dict) and intent.get("name") not in names:
        names.insert(0, intent.get("name"))
    topics = []
    for name in names:
        if name in TOPICS and name not in topics:
            topics.append(name)
        if len(topics) == limit:
            break
    return topics


class ActionClarify(JieliAction):
    def name(self) -> str:
        return "action_clarify"

    def handle(self, dispatcher, tracker, domain):
        topics = likeliest_topics(tracker.latest_message or {})
        if not topics:
            topics = MENU[:2]
        text = (
            TWO.format(a=TOPICS[topics[0]], b=TOPICS[topics[1]])
            if len(topics) == 2
            else ONE.format(a=TOPICS[topics[0]])
        )
        buttons = [{"title": TOPICS[t], "payload": f"/{t}"} for t in topics] + [HUMAN_BUTTON]
        ask(dispatcher, text, buttons)
        return []
