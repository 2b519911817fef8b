"""Wrap-up in one click: what the close dialog pre-fills — the intent the chat really was and a one-
or two-sentence summary of its resolution — built from the chat itself.

The intent: the topic of the last suggestion the agent used, else the last topic intent the bot
recognised before the handover, else the topic the customer's words retrieve best. The summary:
why the chat came to a person (the handover's reason), what it was about (that topic's title), and
the agent's last answer, shortened. The agent confirms or edits both; the close stores them as it
always has (resolution, intent).
"""

from __future__ import annotations

from typing import Any

from jieli_contract.intents import INTENT_LABELS
from jieli_contract.reasons import reason_label

from ...domain.errors import NotFound
from ...repositories import assist as repo
from .suggestions import AssistService

# The intents a chat's topic can be (the close dialog offers these first).
TOPIC_INTENTS = (
    "order_status",
    "cancel_order",
    "change_address",
    "refund",
    "return_exchange",
    "invoice",
    "payment",
    "coupon",
    "product_usage",
    "product_info",
)
# A shop topic ("<section>.<id>", "manual.<id>") → the intent it answers.
SECTION_INTENTS = {
    "shipping": "order_status",
    "return_exchange": "return_exchange",
    "refund": "refund",
    "invoice": "invoice",
    "payment": "payment",
    "coupon": "coupon",
    "product_info": "product_info",
    "manual": "product_usage",
}
MAX_ANSWER_IN_SUMMARY = 60


def topic_intent(topic: str | None) -> str | None:
    if not topic:
        return None
    section, _, name = topic.partition(".")
    if section == "order_help":
        return "cancel_order" if name.startswith("cancel") else "change_address"
    return SECTION_INTENTS.get(section)


def bot_intent(context: dict[str, Any] | None) -> str | None:
    """The last topic intent the bot recognised before the handover (the context's `intents`)."""
    intents = (context or {}).get("intents") or []
    for item in reversed(intents if isinstance(intents, list) else []):
        name = item.get("intent") if isinstance(item, dict) else None
        if name in TOPIC_INTENTS:
            return name
    return None


def shorten(text: str, limit: int = MAX_ANSWER_IN_SUMMARY) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(reason: str | None, topic_title: str | None, answer: str | None) -> str:
    """「顾客咨询「{topic}」（{reason}）。客服答复：{answer}」 — whichever parts are known."""
    why = f"（{reason_label(reason)}）" if reason else ""
    first = f"顾客咨询「{topic_title}」{why}。" if topic_title else f"顾客转人工{why}。"
    return first + (f"客服答复：{shorten(answer)}" if answer else "客服尚未答复。")


class WrapupService:
    def __init__(self, assist: AssistService):
        self.assist = assist
        self.ctx = assist.ctx

    async def wrapup(self, agent, conversation_id: str) -> dict[str, Any]:
        async with self.ctx.db.read() as session:
            conversation = await self.assist._own(session, agent, conversation_id)
            handover = await repo.handover(session, conversation.handover_id)
            if handover is None:
                raise NotFound("this chat has no handover", "no_handover")
            used = await repo.last_used(session, handover.id)
            answer = await repo.last_agent_text(session, conversation_id)
            texts = await repo.customer_texts(session, conversation_id, self.assist.params.max_messages)
        intent, title, basis = None, None, None
        if used is not None:
            entry = self.assist.entry(used.suggestion_id or "")
            intent = topic_intent(entry.topic) if entry else None
            intent = intent or (entry.extra.get("intent") if entry else None)
            title, basis = used.title, "suggestion"
        if intent is None and (found := bot_intent(handover.context)):
            intent, basis = found, basis or "bot"
        if title is None or intent is None:
            hits = (await self.assist.fresh()).search(texts, 1)
            if hits:
                title = title or hits[0].entry.title
                if intent is None and (found := topic_intent(hits[0].entry.topic)):
                    intent, basis = found, basis or "customer_words"
        return {
            "intent": intent,
            "intent_label": INTENT_LABELS.get(intent, intent) if intent else None,
            "resolution": summary(handover.reason, title, answer),
            "basis": basis,
        }
