"""A handover's card in the agent console: the handover as JSON, and what a queued customer writes
added to it (so the agent sees the problem before opening the chat)."""

from __future__ import annotations

from typing import Any

from ...domain.handover_claims import NOT_DESCRIBED  # what actions/handover_context.py writes when it has nothing
from ...models import Handover

MAX_WAITING_MESSAGES = 20
WAITING_SUMMARY_CHARS = 60


def with_waiting_message(
    context: dict[str, Any] | None, summary: str | None, message: dict[str, Any], abusive: bool
) -> tuple[dict[str, Any], str | None]:
    """The handover's context and summary with a message the customer wrote while queued.

    A customer who asked for a person straight away is asked, while they wait, what the problem
    is: their answer is added to `context.waiting_messages` and, when the bot had nothing to say
    about the problem, becomes the problem and the summary's 客户诉求 — so the agent's card shows
    it before they open the chat, and nobody has to ask again. An abusive message is kept in the
    transcript but not put on the card."""
    context = dict(context or {})
    waiting = list(context.get("waiting_messages") or [])
    waiting.append({"seq": message["seq"], "text": message["text"], "created_at": message.get("created_at")})
    context["waiting_messages"] = waiting[-MAX_WAITING_MESSAGES:]
    problem = dict(context.get("problem") or {})
    if abusive or (problem.get("text") or "").strip():
        return context, summary
    text = " ".join(str(message["text"]).split())
    problem["text"] = text
    problem["messages"] = [*(problem.get("messages") or []), {"text": text, "while_waiting": True}]
    context["problem"] = problem
    if summary and NOT_DESCRIBED in summary:
        clipped = text if len(text) <= WAITING_SUMMARY_CHARS else text[:WAITING_SUMMARY_CHARS] + "…"
        summary = summary.replace(NOT_DESCRIBED, f"{clipped}（排队时补充）", 1)
    return context, summary


def handover_dict(handover: Handover) -> dict[str, Any]:
    return {
        "id": handover.id,
        "reason": handover.reason,
        "category": handover.category,
        "skill": handover.skill,
        "priority": handover.priority,
        "summary": handover.summary,
        "context": handover.context,
        "queued_at": handover.queued_at.isoformat(),
        "accepted_at": handover.accepted_at.isoformat() if handover.accepted_at else None,
        "closed_at": handover.closed_at.isoformat() if handover.closed_at else None,
        "agent_id": handover.agent_id,
        "resolution": handover.resolution,
        "tags": handover.tags,
        "rating": handover.rating,
        "ticket_offered": handover.ticket_offered_at is not None,
    }
