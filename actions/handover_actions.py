"""action_handover: pass the conversation to a human agent, with everything the bot learned.

Builds the handover context from the tracker (transcript with timestamps, recent intents, the
order number, a one-line summary), posts it to the bridge and pauses the conversation. When no
bridge is configured or it fails, the customer gets the human service hours and hotline instead,
and the bot keeps the conversation.
"""
from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused

from actions import policy, timeutil
from actions.bridge_client import BridgeError, HandoverTicket, get_bridge_client
from actions.common import JieliAction, latest_intent

logger = logging.getLogger(__name__)

MAX_TRANSCRIPT = 200        # messages sent to the agent (the most recent ones)
MAX_MESSAGE_CHARS = 4000    # per message
RECENT_INTENTS = 5

CATEGORIES = {
    "order_status": "order", "cancel_order": "order", "change_address": "order", "inform_order_id": "order",
    "refund": "after_sales", "return_exchange": "after_sales",
    "invoice": "billing", "payment": "billing", "coupon": "billing",
    "product_usage": "product", "product_info": "product",
    "complain": "complaint", "insult": "complaint",
}
CATEGORY_TEXT = {"order": "订单物流", "after_sales": "退款售后", "billing": "支付发票优惠",
                 "product": "商品咨询", "complaint": "投诉", "general": "其他"}
REASONS = {"request_human": "customer_request", "complain": "complaint", "insult": "abuse",
           "nlu_fallback": "bot_failure"}
REASON_TEXT = {"customer_request": "顾客要求转人工", "complaint": "顾客投诉", "abuse": "顾客情绪激动",
               "bot_failure": "机器人没能理解"}

FALLBACK_TEXT = ("非常抱歉，现在没能为您接通人工客服 🙏 人工客服的服务时间是{service_hours}，"
                 "您也可以拨打客服热线 {hotline}（{hotline_hours}）。"
                 "或者直接在这里留言，写下您的问题、订单号和联系方式，客服会尽快联系您。")


def _iso(timestamp: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(timestamp), timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _clip(text: Any) -> str:
    text = text if isinstance(text, str) else ""
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "…"


def _intent_of(event: dict) -> dict:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent if isinstance(intent, dict) else {}


def upset_intents(names: list[str]) -> int:
    return sum(1 for n in names[-10:] if n in ("complain", "insult"))


def build_context(tracker: Tracker) -> dict:
    """The handover context the bridge stores and the agent sees."""
    transcript: list[dict] = []
    intents: list[dict] = []
    metadata: dict = {}
    for event in tracker.events or []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "user":
            intent = _intent_of(event)
            entry = {"sender": "customer", "text": _clip(event.get("text")),
                     "timestamp": _iso(event.get("timestamp"))}
            if intent.get("name"):
                entry["intent"] = intent["name"]
                intents.append({"intent": intent["name"], "confidence": intent.get("confidence"),
                                "timestamp": entry["timestamp"]})
            transcript.append(entry)
            if isinstance(event.get("metadata"), dict) and event["metadata"]:
                metadata = event["metadata"]
        elif kind == "bot":
            data = event.get("data") or {}
            buttons = [b.get("title") for b in (data.get("buttons") or []) if isinstance(b, dict)]
            if not event.get("text") and not buttons:
                continue
            entry = {"sender": "bot", "text": _clip(event.get("text")), "timestamp": _iso(event.get("timestamp"))}
            if buttons:
                entry["buttons"] = buttons
            transcript.append(entry)
    recent = intents[-RECENT_INTENTS:]
    names = [i["intent"] for i in intents]
    trigger = latest_intent(tracker) or (names[-1] if names else None)
    reason = REASONS.get(trigger or "", "customer_request")
    upset = upset_intents(names)
    topical = [n for n in names if n in CATEGORIES and n not in ("complain", "insult")]
    specific = [n for n in topical if n != "inform_order_id"]  # a bare order number carries no topic
    if specific or topical:
        category = CATEGORIES[(specific or topical)[-1]]
    else:
        category = "complaint" if reason in ("complaint", "abuse") or upset else "general"
    asked = sum(1 for n in names[-10:] if n == "request_human")
    priority = "high" if upset or asked >= 2 else "normal"
    slots = {key: tracker.get_slot(key) for key in ("order_id", "order_topic", "product", "pending_confirm")}
    order_id = slots["order_id"]
    last_question = next((t["text"] for t in reversed(transcript)
                          if t["sender"] == "customer" and t.get("intent") not in ("request_human", None)), "")
    summary = f"{REASON_TEXT[reason]}；话题：{CATEGORY_TEXT[category]}"
    if order_id:
        summary += f"；订单 {order_id}"
    if last_question:
        summary += f"；最近的问题：{last_question[:60]}"
    return {
        "conversation_id": tracker.sender_id,
        "reason": reason,
        "category": category,
        "priority": priority,
        "summary": summary,
        "order_id": order_id,
        "slots": slots,
        "latest_intents": recent,
        "transcript": transcript[-MAX_TRANSCRIPT:],
        "transcript_truncated": len(transcript) > MAX_TRANSCRIPT,
        "metadata": metadata,
        "channel": tracker.get_latest_input_channel(),
        "requested_at": timeutil.now_utc().isoformat(),
    }


def queued_text(ticket: HandoverTicket) -> str:
    """Tell the customer where they stand: queue position, expected wait, agents online."""
    text = "好的，已经为您转接人工客服 🙋 "
    position = f"您现在排在第 {ticket.queue_position} 位" if ticket.queue_position else ""
    tail = "我们刚才的聊天记录客服都能看到，您不用再重复说明"
    if ticket.agents_online == 0:
        hours = policy.shop_info().get("service_hours", "")
        return (text + (position + "。" if position else "")
                + f"现在暂时没有在线的客服（人工服务时间 {hours}），客服上线后会按顺序接待您，"
                  "着急的话也可以直接留言。" + tail + "。")
    details = [position] if position else []
    if ticket.eta_seconds is not None:
        details.append("预计等待不到 1 分钟" if ticket.eta_seconds < 60
                       else f"预计等待约 {math.ceil(ticket.eta_seconds / 60)} 分钟")
    if details:
        text += "，".join(details)
        if ticket.agents_online:
            text += f"（当前 {ticket.agents_online} 位客服在线）"
        text += "。"
    return text + tail + "，请稍等~"


class ActionHandover(JieliAction):
    def name(self) -> str:
        return "action_handover"

    def handle(self, dispatcher, tracker, domain):
        client = get_bridge_client()
        if client is None:
            logger.info("no JIELI_BRIDGE_URL: cannot hand %s over", tracker.sender_id)
            self.fallback(dispatcher)
            return []
        key = f"{tracker.sender_id}:{len(tracker.events or [])}"
        try:
            ticket = client.create_handover(build_context(tracker), key)
        except BridgeError as error:
            logger.warning("handover of %s failed: %s", tracker.sender_id, error)
            self.fallback(dispatcher)
            return []
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
        dispatcher.utter_message(text=queued_text(ticket))
        return [ConversationPaused()]

    def fallback(self, dispatcher) -> None:
        try:
            text = policy.fmt(FALLBACK_TEXT)
        except Exception:  # noqa: BLE001 - even a broken policy file must not stop the apology
            logger.exception("cannot read the policy for the handover apology")
            text = "非常抱歉，现在没能为您接通人工客服 🙏 请稍后再试，或者直接在这里留言，客服会尽快联系您。"
        dispatcher.utter_message(text=text)
