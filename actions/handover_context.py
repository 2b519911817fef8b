"""The handover context: everything the bot learned, in the shape the bridge accepts.

`build_handover(tracker)` returns the body of `POST /api/handovers`:

    {"conversation_id", "reason", "category", "priority", "summary", "context": {...}}

* `reason` — the first reason code of the decision: request_human, problem_report, bot_failure,
  repeated_question, complaint, abuse, frustration;
* `category` — one of the bridge's routing categories 物流 / 售后 / 账单 / 产品 / 其他
  (handover_bridge/config.py CATEGORIES; the bridge maps each to an agent skill);
* `priority` — an integer as the bridge ranks it (0 low, 1 normal, 2 high, 3 urgent … 9): 1,
  plus one each for anger, repeated requests for a person, a VIP tier of a verified customer, an
  order of ¥1000 or more verified as the customer's;
* `summary` — five short fields an agent reads in five seconds:
  "客户诉求：… / 订单号：… / 机器人已答复：… / 转人工原因：… / 情绪：…";
* `context` — the whole story (see `build_context` for every key): transcript with ISO times,
  each customer turn's intent, confidence, entities and abuse flags, the problem in the
  customer's own words, every order number, slots, the signals that fired with their
  explanations, the frustration level, the widget metadata (current order, page; never the
  `jieli_identity` token), the customer (`customer`: ``verified`` with the id and tier the bridge
  vouched for; what the widget only claimed under ``customer.claimed``) and the order as the shop
  knows it (`order.order_verified`: opened for its owner in this conversation).

The pieces live in actions/handover/ (transcript, problem, customer, priority, summary); the
codes, labels, categories, tiers, the priority rule and the context's JSON Schema are jieli_contract's.
The signals are computed with `jieli_dialogue.signals`, the same code the EscalationPolicy runs;
the policy's own decision (slot `escalation`) says which rules fired and with which thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping

from rasa_sdk import Tracker

import jieli_contract as contract
from actions import timeutil
from actions.handover.customer import JIELI_IDENTITY, customer_of, order_facts, order_value  # noqa: F401
from actions.handover.priority import priority_of, reasons_of
from actions.handover.problem import (  # noqa: F401
    CATEGORY_KEYWORDS,
    INTENT_CATEGORY,
    PROBLEM_CATEGORY,
    TOPIC_CATEGORY,
    category_of,
    order_ids_of,
    problem_messages,
    problem_text,
)
from actions.handover.summary import summary_of
from actions.handover.transcript import MAX_MESSAGE_CHARS, MAX_TRANSCRIPT, NOT_ANSWERS, clip, iso, transcript_of  # noqa: F401
from jieli_contract import CATEGORIES, CONTEXT_VERSION, REASON_PRIORITY, VIP_TIERS  # noqa: F401 - re-exported
from jieli_dialogue import signals as sig


def build_handover(tracker: Tracker, lexicon: sig.Lexicon | None = None) -> dict:
    """The body of POST /api/handovers for this tracker (see the module docstring)."""
    lexicon = lexicon if lexicon is not None else sig.default_lexicon()
    # a session the tracker store rolled comes back together: the messages it carried, then its own
    # (older messages are in the bridge's own transcript; their counts are in the signals)
    events, carry = sig.continued(tracker.events or [])
    earlier_turns = carry.turns if carry else 0
    decision = tracker.get_slot(sig.ESCALATION_SLOT)
    try:
        thresholds = sig.Thresholds.from_mapping(
            (decision or {}).get("thresholds") if isinstance(decision, Mapping) else None
        )
    except ValueError:
        thresholds = sig.Thresholds()
    signals = sig.compute_signals(tracker.events or [], lexicon)
    codes, explanations = reasons_of(signals, thresholds, decision)

    turns = sig.customer_turns(events)
    transcript, answers = transcript_of(events, lexicon, earlier_turns)
    session_turns = sig.customer_turns(events, sig.session_start(events))
    pending_answer = session_turns[-1] if signals.pending_description and session_turns else None
    # after an agent handed the conversation back, the new problem is in what came since
    since_resume = [t for t in turns if t.index > sig.last_resume(events)]
    problem = problem_messages(since_resume, lexicon, pending_answer) or problem_messages(turns, lexicon, None)

    metadata: dict = {}
    for event in reversed(events):
        if (
            event.get("event") == "user"
            and not sig.is_external(event)
            and isinstance(event.get("metadata"), Mapping)
            and event["metadata"]
        ):
            metadata = dict(event["metadata"])
            break
    slots = {key: value for key, value in (tracker.slots or {}).items() if key != sig.ESCALATION_SLOT}
    order_ids = order_ids_of(turns, slots.get("order_id"), metadata)
    from_slot = order_ids_of([], slots.get("order_id"), {})
    order_id = from_slot[0] if from_slot else (order_ids[-1] if order_ids else None)
    order = order_facts(order_id, tracker)
    customer = customer_of(tracker, metadata)
    metadata.pop(JIELI_IDENTITY, None)  # a live credential for the action server: never to an agent
    priority, factors = priority_of(signals, thresholds, metadata, order, customer)
    category = category_of(turns, slots.get("order_topic"), problem)
    turn_numbers = {t.index: n for n, t in enumerate(turns, start=1 + earlier_turns)}
    abusive_turns = [e for e in transcript if e.get("abusive")]
    reason = contract.first_reason(codes)
    wants = problem_text(problem, lexicon)
    summary = summary_of(wants, order_ids, answers, explanations, signals.frustration_level)

    context = {
        "version": contract.CONTEXT_VERSION,
        "conversation_id": tracker.sender_id,
        "summary": summary,
        "reason": reason,
        "reasons": [{"code": c, "explanation": e} for c, e in zip(codes, explanations)],
        "category": category,
        "priority": priority,
        "priority_factors": factors,
        "problem": {
            "text": wants,
            "messages": [
                {
                    "turn": turn_numbers.get(t.index),
                    "text": clip(sig.mask_profanity(t.text, lexicon)),
                    "timestamp": iso(t.timestamp),
                }
                for t in problem
            ],
        },
        "order_id": order_id,
        "order_ids": order_ids,
        "order": order,
        "entities": [{**e, "turn": turn_numbers.get(t.index)} for t in turns for e in t.entities],
        "intents": [
            {
                "turn": turn_numbers.get(t.index),
                "intent": t.intent,
                "confidence": t.confidence,
                "timestamp": iso(t.timestamp),
            }
            for t in turns
            if t.intent
        ],
        "frustration": signals.frustration,
        "frustration_level": signals.frustration_level,
        "human_requests": signals.requests_since_resume,
        "signals": {
            "observed": signals.observed(),
            "triggers": [{"name": c, "explanation": e} for c, e in zip(codes, explanations)],
            "values": signals.as_dict(),
            "thresholds": thresholds.as_dict(),
        },
        "abuse": {
            "turns": [e["turn"] for e in abusive_turns],
            "words": sorted({w for e in abusive_turns for w in e.get("abuse_words", [])}),
        },
        "bot_answers": [{"turn": a["turn"], "action": a["action"], "text": clip(a["text"], 500)} for a in answers[-5:]],
        "slots": slots,
        "metadata": metadata,
        "customer": customer,
        "transcript": transcript[-MAX_TRANSCRIPT:],
        "transcript_truncated": len(transcript) > MAX_TRANSCRIPT or earlier_turns > 0,
        "channel": tracker.get_latest_input_channel(),
        "requested_at": timeutil.now_utc().isoformat(),
    }
    return {
        "conversation_id": tracker.sender_id,
        "reason": reason,
        "category": category,
        "priority": priority,
        "summary": summary,
        "context": context,
    }
