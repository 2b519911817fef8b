"""What a closed handover can teach the bot: which customer messages make sensible NLU examples
(`usable_example`), and what a handover holds — the customer's questions before and during it,
the agent's answer, what the bot thought it was (`gather`). Used by the review queue (review.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ...models import Handover, Message, utcnow
from . import training_export as tx

MAX_EXAMPLES = 12  # per candidate
MAX_EXAMPLE_CHARS = tx.MAX_EXAMPLE_CHARS
MAX_ANSWER_CHARS = 1000
MAX_NOTE_CHARS = 500

# Customer messages that say nothing a bot could learn from, by the intent Rasa gave them.
NOT_A_QUESTION = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "request_human",
        "insult",
        "request_rating",
        "rate",
        "inform_order_id",
    }
)
# A request for a person, an empty pleasantry, or personal data: never a training example.
_REQUEST = re.compile(r"人工|真人|活人|转接|转人|(^|[^a-z])rg([^a-z]|$)|ren ?gong", re.I)
_PLEASANTRY = re.compile(
    r"^(好的?|嗯+|哦+|噢+|谢谢(你|您)?|多谢|感谢|ok|okay|收到|知道了|明白了?|懂了|你好|您好|在吗|在不在|"
    r"没有了|没了|行|可以|是的|对的?|不是|不用了?|拜拜|再见|好吧|哈+|呵+)+$"
)
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _content(text: str) -> str:
    """Letters and digits only, normalised: what a message says."""
    return tx.dedupe_key(text)


def usable_example(text: str, intent: str | None = None, abusive: bool = False) -> bool:
    """Would this customer message make a sensible NLU example?"""
    text = (text or "").strip()
    if not text or text.startswith("/") or abusive or len(text) > MAX_EXAMPLE_CHARS:
        return False
    if intent in NOT_A_QUESTION:
        return False
    normal = tx.normalize(text)
    if _REQUEST.search(normal) or _PHONE.search(normal) or _EMAIL.search(normal):
        return False
    content = _content(text)
    letters = re.sub(r"[0-9]", "", content)
    return len(letters) >= 3 and not _PLEASANTRY.match(content)


def gather(handover: Handover, messages: Iterable[Message], window_start) -> dict[str, Any]:
    """examples (customer questions before and during the handover), the default answer (the
    agent's longest message), and what the bot thought it was."""
    context = handover.context if isinstance(handover.context, dict) else {}
    transcript_intents: dict[str, str] = {}
    for entry in context.get("transcript") or []:
        if isinstance(entry, dict) and entry.get("sender") == "customer" and isinstance(entry.get("text"), str):
            if isinstance(entry.get("intent"), str):
                transcript_intents[tx.dedupe_key(entry["text"])] = entry["intent"]
    closed = handover.closed_at or utcnow()
    before, during, agent_texts = [], [], []
    for message in messages:
        at = message.created_at
        if message.sender == "customer":
            if at < handover.queued_at and (window_start is None or at >= window_start):
                before.append(message)
            elif handover.queued_at <= at <= closed:
                during.append(message)
        elif message.sender == "agent" and handover.queued_at <= at <= closed and (message.text or "").strip():
            agent_texts.append(message.text.strip())
    examples: list[str] = []
    seen: set[str] = set()
    for message in [*before, *during]:
        intent = transcript_intents.get(tx.dedupe_key(message.text))
        if not usable_example(message.text, intent, bool(message.abusive)):
            continue
        text = tx.clean_example(message.text)
        key = tx.dedupe_key(text)
        if key in seen:
            continue
        seen.add(key)
        examples.append(text)
        if len(examples) >= MAX_EXAMPLES:
            break
    answer = tx.clean_answer(max(agent_texts, key=len)) if agent_texts else None
    return {
        "examples": examples,
        "answer": answer[:MAX_ANSWER_CHARS] if answer else None,
        "bot_intent": bot_intent_of(context),
    }


def bot_intent_of(context: dict[str, Any]) -> str | None:
    """What the bot took the problem for: the intent of the last problem message, else the last
    customer intent that asks something."""
    intents = [
        i if isinstance(i, dict) else {"intent": i}
        for i in context.get("intents") or []
        if isinstance(i, str) or isinstance(i, dict) and isinstance(i.get("intent"), str)
    ]
    if not intents:  # older contexts: the intents of the customer turns in the transcript
        intents = [
            {"turn": t.get("turn"), "intent": t["intent"]}
            for t in context.get("transcript") or []
            if isinstance(t, dict) and t.get("sender") == "customer" and isinstance(t.get("intent"), str)
        ]
    by_turn = {i.get("turn"): i["intent"] for i in intents}
    problem = (context.get("problem") or {}).get("messages") if isinstance(context.get("problem"), dict) else None
    for message in reversed(problem or []):
        intent = by_turn.get(message.get("turn")) if isinstance(message, dict) else None
        if intent and intent not in NOT_A_QUESTION:
            return intent
    for item in reversed(intents):
        if item["intent"] not in NOT_A_QUESTION:
            return item["intent"]
    return intents[-1]["intent"] if intents else None
