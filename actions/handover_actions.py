"""Passing the conversation to a human agent (docs/escalation.md).

* `action_handover` — builds the handover context (actions/handover_context.py), POSTs it to the
  bridge, tells the customer their place in the queue and the expected wait (and that the agent
  already sees the whole conversation), and pauses the conversation (`ConversationPaused`, then
  `action_listen`, so the conversation picks up normally when the bridge resumes it). When no bridge is
  configured or it cannot be reached: an apology, the service hours and hotline, and an offer to
  leave a message (a `ticket_offer` payload the widget can show as a form) — never a crash, and
  the bot keeps the conversation.
* `action_ask_handover_problem` — only when a designer sets `ask_description_first: true`: the
  customer's very first message was a bare "转人工": ask one question and remember it (slot
  `handover_pending`); EscalationPolicy hands over on the next message, whatever it says. By
  default the first request hands over at once and `action_handover` asks for the problem while
  the customer waits in the queue (ASK_WHILE_WAITING). Without a bridge there is nobody to hand over to: the apology at
  once, rather than a promise we cannot keep.
* `action_offer_handover` — an explicit request below `human_request_limit` (only when a
  designer raised the limit): offers help and says one more 转人工 hands over.
"""

from __future__ import annotations

import logging
import math

from rasa_sdk.events import ActionExecuted, ConversationPaused, SlotSet

from actions import policy
from actions.bridge_client import BridgeError, HandoverTicket, get_bridge_client
from actions.common import HUMAN_BUTTON, JieliAction
from actions.handover_context import build_handover
from actions.settings import get_settings
from jieli_dialogue import signals as sig

logger = logging.getLogger(__name__)

ASK_PROBLEM_TEXT = "请简单描述一下您遇到的问题，我马上为您转接人工客服～"
OFFER_TEXT = (
    "我可以为您转接人工客服 🙋 方便先说说遇到了什么问题吗？简单的问题我现在就能帮您查；"
    "还是想找人工的话，再点一下「转人工」就行。"
)
FALLBACK_TEXT = (
    "非常抱歉，现在没能为您接通人工客服 🙏 人工客服的服务时间是{service_hours}，"
    "您也可以拨打客服热线 {hotline}（{hotline_hours}）。"
    "或者直接在这里留言，写下您的问题、订单号和联系方式，客服会尽快联系您。"
)
FALLBACK_PLAIN = "非常抱歉，现在没能为您接通人工客服 🙏 请稍后再试，或者直接在这里留言，客服会尽快联系您。"
TICKET_OFFER = {"type": "ticket_offer"}
# The customer asked for a person before saying what is wrong: hand over at once (never make them
# ask twice), and ask while they wait — what they write in the queue reaches the agent's screen.
ASK_WHILE_WAITING = (
    "等待的时候，您可以先简单说说遇到了什么问题（有订单号的话也发一下），客服接入前就能看到，不用再重复说明～"
)


def queued_text(ticket: HandoverTicket) -> str:
    """Tell the customer where they stand: queue position, expected wait, agents online."""
    tail = "我们刚才的聊天记录客服都能看到，您不用再重复说明"
    if ticket.data.get("already") and ticket.data.get("state") == "assigned":
        return "客服已经在为您处理啦，请稍等片刻～" + tail + "。"
    text = "好的，已经为您转接人工客服 🙋 "
    position = f"您现在排在第 {ticket.queue_position} 位" if ticket.queue_position else ""
    if ticket.agents_online == 0:
        hours = policy.shop_info().get("service_hours", "")
        return (
            text
            + (position + "。" if position else "")
            + f"现在暂时没有在线的客服（人工服务时间 {hours}），客服上线后会按顺序接待您，"
            "着急的话也可以直接留言。" + tail + "。"
        )
    details = [position] if position else []
    if ticket.eta_seconds is not None:
        details.append(
            "预计等待不到 1 分钟"
            if ticket.eta_seconds < 60
            else f"预计等待约 {math.ceil(ticket.eta_seconds / 60)} 分钟"
        )
    if details:
        text += "，".join(details)
        if ticket.agents_online:
            text += f"（当前 {ticket.agents_online} 位客服在线）"
        text += "。"
    return text + tail + "，请稍等~"


def apologise(dispatcher) -> None:
    """No agent can be reached: apology, service hours and hotline, and a leave-a-message offer."""
    try:
        info = policy.shop_info()
        text = policy.fmt(FALLBACK_TEXT)
    except Exception:  # noqa: BLE001 - even a broken policy file must not stop the apology
        logger.exception("cannot read the policy for the handover apology")
        info, text = {}, FALLBACK_PLAIN
    offer = {**TICKET_OFFER, **{k: info[k] for k in ("service_hours", "hotline", "hotline_hours") if k in info}}
    dispatcher.utter_message(text=text, json_message=offer)


def clear_escalation_slots(tracker) -> list[dict]:
    events = []
    if tracker.get_slot(sig.PENDING_SLOT) is not None:
        events.append(SlotSet(sig.PENDING_SLOT, None))
    if tracker.get_slot(sig.ESCALATION_SLOT) is not None:
        events.append(SlotSet(sig.ESCALATION_SLOT, None))
    return events


def idempotency_key(tracker) -> str:
    """The same customer message always gives the same key (a retried POST queues once)."""
    latest = tracker.latest_message or {}
    message_id = latest.get("message_id") if isinstance(latest, dict) else None
    return f"handover:{tracker.sender_id}:{message_id or len(tracker.events or [])}"


class ActionHandover(JieliAction):
    def name(self) -> str:
        return "action_handover"

    def handle(self, dispatcher, tracker, domain):
        events = clear_escalation_slots(tracker)
        client = get_bridge_client()
        if client is None:
            logger.info("no JIELI_BRIDGE_URL: cannot hand %s over", tracker.sender_id)
            apologise(dispatcher)
            return events
        try:
            body = build_handover(tracker)
            ticket = client.create_handover(body, idempotency_key(tracker))
        except BridgeError as error:
            logger.warning("handover of %s failed: %s", tracker.sender_id, error)
            apologise(dispatcher)
            return events
        finally:
            close = getattr(client, "close", None)
            if callable(close):
                close()
        logger.info(
            "handed %s over: reason=%s category=%s priority=%s",
            tracker.sender_id,
            body["reason"],
            body["category"],
            body["priority"],
        )
        dispatcher.utter_message(text=queued_text(ticket))
        if not body["context"]["problem"]["text"] and not (
            ticket.data.get("already") and ticket.data.get("state") == "assigned"
        ):
            dispatcher.utter_message(text=ASK_WHILE_WAITING)
        # Paused, the bot predicts nothing more, so Rasa would never log its usual action_listen.
        # Log it: when the bridge resumes the conversation, the next message (the triggered
        # request_rating, or the customer's own) then follows action_listen as in any turn, and
        # the rules (request_rating → utter_ask_rating, refund → action_refund …) match again.
        return events + [ConversationPaused(), ActionExecuted("action_listen")]

    def fallback(self, dispatcher) -> None:
        apologise(dispatcher)


class ActionAskHandoverProblem(JieliAction):
    def name(self) -> str:
        return "action_ask_handover_problem"

    def handle(self, dispatcher, tracker, domain):
        if not get_settings().bridge_url:
            logger.info("no JIELI_BRIDGE_URL: no agent for %s, apologising at once", tracker.sender_id)
            apologise(dispatcher)
            return []
        dispatcher.utter_message(text=ASK_PROBLEM_TEXT)
        return [SlotSet(sig.PENDING_SLOT, True)]


class ActionOfferHandover(JieliAction):
    def name(self) -> str:
        return "action_offer_handover"

    def handle(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=OFFER_TEXT, buttons=[HUMAN_BUTTON])
        return []
