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

The signals are computed with `jieli_dialogue.signals`, the same code the EscalationPolicy runs;
the policy's own decision (slot `escalation`) says which rules fired and with which thresholds.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any, Mapping

from rasa_sdk import Tracker

from actions import policy, timeutil
from jieli_dialogue import signals as sig
from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_ids import find_order_ids

logger = logging.getLogger(__name__)

CONTEXT_VERSION = 1
MAX_TRANSCRIPT = 200        # messages sent to the agent (the most recent ones)
MAX_MESSAGE_CHARS = 4000    # per message
JIELI_IDENTITY = "jieli_identity"   # actions/identity.py
PROBLEM_MESSAGES = 3        # customer messages quoted as the problem
SUMMARY_PROBLEM_CHARS = 60
SUMMARY_ANSWER_CHARS = 60

CATEGORIES = ("物流", "售后", "账单", "产品", "其他")   # the bridge's, exactly
INTENT_CATEGORY = {
    "order_status": "物流", "change_address": "物流",
    "cancel_order": "售后", "refund": "售后", "return_exchange": "售后",
    "invoice": "账单", "payment": "账单", "coupon": "账单",
    "product_usage": "产品", "product_info": "产品",
}
TOPIC_CATEGORY = {"order_status": "物流", "change_address": "物流", "cancel_order": "售后", "refund": "售后"}
# for messages whose intent names no topic (complaints, fallbacks, requests): words → category
CATEGORY_KEYWORDS = (
    ("售后", ("退款", "退钱", "退货", "换货", "退换", "售后", "质量", "坏了", "破损", "维修", "保修", "假货", "少发", "发错")),
    ("物流", ("快递", "物流", "发货", "配送", "派送", "驿站", "签收", "到货", "运单", "送货", "没收到", "丢件", "地址")),
    ("账单", ("发票", "付款", "支付", "扣款", "扣钱", "扣了", "优惠券", "价保", "差价", "花呗", "账单", "多收")),
    ("产品", ("怎么用", "使用", "按钮", "说明书", "安装", "功能", "充电", "不亮", "开机", "配对", "连不上", "尺码",
            "没声音", "没反应", "不工作", "故障", "蓝牙", "耳机", "设置", "重置", "死机")),
)
REASON_PRIORITY = ("request_human", "problem_report", "bot_failure", "repeated_question", "complaint", "abuse", "frustration")

VIP_TIERS = {"vip", "svip", "gold", "platinum", "diamond", "plus", "88vip", "黄金", "铂金", "钻石", "黑金"}
HIGH_ORDER_VALUE = 1000.0
DEFAULT_PRIORITY = 1
MAX_PRIORITY = 9

# bot actions whose messages are not an answer to the customer's question
NOT_ANSWERS = {
    "action_session_start", "action_listen", "utter_greet", "utter_goodbye", "utter_thank",
    "utter_bot_challenge", "utter_default", "action_default_fallback", "utter_insult", "utter_complain",
    "utter_out_of_scope", "utter_ask_rating", "action_rating_thanks", sig.HANDOVER_ACTION, sig.ASK_ACTION,
    sig.OFFER_ACTION,
}
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_ASKS_ORDER_ID = re.compile(r"(发|告诉|提供|输入|给)(一下)?(我)?(您的)?订单号")


def iso(timestamp: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(timestamp), timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def clip(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = text if isinstance(text, str) else ""
    return text if len(text) <= limit else text[:limit] + "…"


def first_sentence(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    match = _SENTENCE_END.search(text)
    if match and match.end() <= limit:
        return text[:match.end()]
    return clip(text, limit)


# ---------------------------------------------------------------------------------------------
# the transcript

def transcript_of(events: list[dict], lexicon: sig.Lexicon) -> tuple[list[dict], list[dict]]:
    """(transcript, answers): every customer and bot message with its time, and the bot's
    substantive answers (message text, the action that said it, the turn it answered)."""
    transcript: list[dict] = []
    answers: list[dict] = []
    action: str | None = None
    turn = 0
    for event in events:
        kind = event.get("event")
        if kind == "action":
            action = event.get("name") if isinstance(event.get("name"), str) else None
        elif kind == "user":
            if sig.is_external(event):
                continue
            turn += 1
            text = event.get("text") if isinstance(event.get("text"), str) else ""
            parse = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
            intent = parse.get("intent") if isinstance(parse.get("intent"), Mapping) else {}
            entry: dict[str, Any] = {"turn": turn, "sender": "customer", "text": clip(text),
                                     "timestamp": iso(event.get("timestamp"))}
            if intent.get("name"):
                entry["intent"] = intent["name"]
                confidence = intent.get("confidence")
                entry["confidence"] = round(float(confidence), 4) if isinstance(confidence, (int, float)) else None
            entities = [{"entity": e.get("entity"), "value": e.get("value")}
                        for e in parse.get("entities") or [] if isinstance(e, Mapping) and e.get("entity")]
            if entities:
                entry["entities"] = entities
            if text.lstrip().startswith("/"):
                entry["button"] = True
            words = sig.abusive_words(text, lexicon)
            entry["abusive"] = bool(words) or intent.get("name") == sig.INSULT
            if entry["abusive"]:
                entry["abuse_words"] = words  # empty for an insult without a listed word: mask it all
            transcript.append(entry)
        elif kind == "bot":
            data = event.get("data") if isinstance(event.get("data"), Mapping) else {}
            buttons = [b.get("title") for b in (data.get("buttons") or []) if isinstance(b, Mapping)]
            text = event.get("text") if isinstance(event.get("text"), str) else ""
            if not text and not buttons:
                continue
            entry = {"sender": "bot", "text": clip(text), "timestamp": iso(event.get("timestamp"))}
            if buttons:
                entry["buttons"] = buttons
            if action:
                entry["action"] = action
            transcript.append(entry)
            if text and action not in NOT_ANSWERS and turn:
                answers.append({"turn": turn, "action": action, "text": text})
        elif kind == "pause":
            transcript.append({"sender": "system", "text": "已转人工客服", "timestamp": iso(event.get("timestamp"))})
        elif kind == "resume":
            transcript.append({"sender": "system", "text": "人工客服已结束接待，对话交回机器人",
                               "timestamp": iso(event.get("timestamp"))})
    return transcript, answers


# ---------------------------------------------------------------------------------------------
# what the customer wants

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
    """Routing category: the newest customer message with a topical intent, else the order
    topic the bot was asking about, else keywords in the customer's words, else 其他."""
    for turn in reversed(turns):
        kinds = [e.get("value") for e in turn.entities if e.get("entity") == "problem"]
        if kinds:   # a damaged, wrong or missing item … whatever the intent; a product that will not work: 产品
            return PROBLEM_CATEGORY.get(kinds[0], "售后")
        if turn.intent in INTENT_CATEGORY:
            return INTENT_CATEGORY[turn.intent]
    if isinstance(order_topic, str) and order_topic in TOPIC_CATEGORY:
        return TOPIC_CATEGORY[order_topic]
    texts = [t.normalized for t in reversed(problem or turns) if t.normalized]
    for text in texts:
        for category, words in CATEGORY_KEYWORDS:
            if any(word in text for word in words):
                return category
    return "其他"


def _amount(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value).replace("¥", "").replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def order_facts(order_id: str | None, tracker: Tracker | None = None) -> dict | None:
    """The order as the shop knows it (status, total, items), or None; never raises. The agent
    is the shop's staff: the order is looked up without an owner, and ``order_verified`` says
    whether it was opened for its owner in this conversation (the verified customer placed it, or
    the phone digits were checked: actions/order_access.py) — only then may its value count."""
    if not order_id:
        return None
    try:
        from actions.order_access import order_verified
        from actions.shop.base import amount_str
        from actions.shop.factory import get_adapter

        order = get_adapter().get_order(order_id)
        verified = order_verified(tracker, order) if tracker is not None else False
    except Exception as error:  # noqa: BLE001 - the handover must not wait on or fail with the shop
        logger.info("no order facts for %s: %s", order_id, error)
        return None
    if order is None:
        return None
    try:
        status_text = policy.order_status_text(order.status)
    except Exception:  # noqa: BLE001 - a broken policy file only loses the wording
        status_text = order.status
    return {"order_id": order.order_id, "status": order.status, "status_text": status_text,
            "total": amount_str(order.total_cents),
            "items": [f"{item.name} ×{item.quantity}" for item in order.items],
            "order_verified": verified}


def customer_of(tracker: Tracker, metadata: Mapping[str, Any]) -> dict:
    """Who the customer is: ``verified`` with the id and tier the bridge vouched for
    (actions/identity.py), else only ``{"verified": false}``; what the widget claimed (customer id,
    tier …) under ``claimed``, to be shown as 顾客自述, never as identity."""
    from actions.identity import claimed_identity, verified_customer

    try:
        verified = verified_customer(tracker)
    except Exception:  # noqa: BLE001 - a broken token is an anonymous customer, not a lost handover
        logger.exception("identity check failed")
        verified = None
    customer: dict[str, Any] = {"verified": verified is not None}
    if verified is not None:
        customer["customer_id"] = verified.customer_id
        if verified.tier:
            customer["tier"] = verified.tier
    if metadata.get("page") is not None:
        customer["page"] = metadata.get("page")
    claimed = claimed_identity(metadata)
    if claimed:
        customer["claimed"] = claimed
    return customer


def order_value(metadata: Mapping[str, Any], order: Mapping[str, Any] | None) -> float | None:
    """The order's amount in yuan: from the page the customer is on, else the shop's total.
    (Shown to the agent; it raises the priority only for an order verified as the customer's.)"""
    current = metadata.get("current_order") if isinstance(metadata.get("current_order"), Mapping) else {}
    legacy = metadata.get("order") if isinstance(metadata.get("order"), Mapping) else {}
    for candidate in (current.get("amount"), current.get("total"), legacy.get("amount"), (order or {}).get("total")):
        value = _amount(candidate)
        if value is not None:
            return value
    return None


def priority_of(signals: sig.Signals, thresholds: sig.Thresholds, metadata: Mapping[str, Any],
                order: Mapping[str, Any] | None, customer: Mapping[str, Any] | None = None) -> tuple[int, list[str]]:
    """(priority, the reasons it is above normal), on the bridge's scale (1 normal … 9). Only
    what is verified counts: the tier of a verified customer (`customer_of`), the shop's total of
    an order verified as theirs (``order_verified``) — never what the widget claims."""
    level, factors = DEFAULT_PRIORITY, []
    threshold = thresholds.frustration_threshold or 0.7
    if signals.frustration >= threshold or signals.frustration_level == sig.ANGRY:
        level += 1
        factors.append("客户情绪愤怒")
    if signals.requests_since_resume >= 2:
        level += 1
        factors.append(f"客户{sig.cn(signals.requests_since_resume)}次要求人工")
    tier = str((customer or {}).get("tier") or "").strip() if (customer or {}).get("verified") else ""
    if tier.lower() in VIP_TIERS or tier in VIP_TIERS:
        level += 1
        factors.append(f"会员等级 {tier}")
    value = _amount(order.get("total")) if order and order.get("order_verified") else None
    if value is not None and value >= HIGH_ORDER_VALUE:
        level += 1
        factors.append(f"订单金额 ¥{value:.2f}")
    return min(MAX_PRIORITY, level), factors


def reasons_of(signals: sig.Signals, thresholds: sig.Thresholds, decision: Any) -> tuple[list[str], list[str]]:
    """(reason codes, Chinese explanations): the policy's decision when it made one for this
    handover, else what the signals say (a rule or the 转人工 button handed over)."""
    if isinstance(decision, Mapping) and decision.get("action") == sig.HANDOVER_ACTION and decision.get("reasons"):
        codes = [str(c) for c in decision.get("reasons") or []]
        texts = [str(t) for t in decision.get("explanations") or []]
        return codes, texts + [""] * (len(codes) - len(texts))
    fired: list[tuple[str, str]] = []
    if signals.pending_description:
        fired.append(("request_human", "客户一开始就要求人工，已按要求补充问题"))
    elif signals.explicit_request:
        fired.append(("request_human", sig.request_explanation(signals)))
    fired += signals.triggers(thresholds)
    if not fired:
        fired.append(("request_human", "机器人判断需要人工处理"))
    return [code for code, _ in fired], [text for _, text in fired]


def problem_text(problem: list[sig.Turn], lexicon: sig.Lexicon) -> str:
    """The problem messages joined, whitespace tidied, profanity masked (agents are protected)."""
    return "；".join(" ".join(sig.mask_profanity(t.text, lexicon).split()) for t in problem)


def summary_of(wants: str, order_ids: list[str], answers: list[dict], explanations: list[str],
               level: str) -> str:
    """"客户诉求：… / 订单号：… / 机器人已答复：… / 转人工原因：… / 情绪：…" — readable in five seconds."""
    wants = wants or "（客户还没有描述问题）"
    useful = [a for a in answers if not _ASKS_ORDER_ID.search(a["text"])] or answers
    answered = first_sentence(useful[-1]["text"], SUMMARY_ANSWER_CHARS) if useful else "还没有给出具体答复"
    return " / ".join([
        f"客户诉求：{clip(wants, SUMMARY_PROBLEM_CHARS)}",
        f"订单号：{'、'.join(order_ids) if order_ids else '无'}",
        f"机器人已答复：{answered}",
        f"转人工原因：{'；'.join(e for e in explanations if e) or '客户要求转人工'}",
        f"情绪：{level}",
    ])


def build_handover(tracker: Tracker, lexicon: sig.Lexicon | None = None) -> dict:
    """The body of POST /api/handovers for this tracker (see the module docstring)."""
    lexicon = lexicon if lexicon is not None else sig.default_lexicon()
    events = sig.applied_events(tracker.events or [])
    decision = tracker.get_slot(sig.ESCALATION_SLOT)
    try:
        thresholds = sig.Thresholds.from_mapping((decision or {}).get("thresholds") if isinstance(decision, Mapping) else None)
    except ValueError:
        thresholds = sig.Thresholds()
    signals = sig.compute_signals(events, lexicon)
    codes, explanations = reasons_of(signals, thresholds, decision)

    turns = sig.customer_turns(events)
    transcript, answers = transcript_of(events, lexicon)
    session_turns = sig.customer_turns(events, sig.session_start(events))
    pending_answer = session_turns[-1] if signals.pending_description and session_turns else None
    # after an agent handed the conversation back, the new problem is in what came since
    since_resume = [t for t in turns if t.index > sig.last_resume(events)]
    problem = problem_messages(since_resume, lexicon, pending_answer) or problem_messages(turns, lexicon, None)

    metadata: dict = {}
    for event in reversed(events):
        if event.get("event") == "user" and not sig.is_external(event) and isinstance(event.get("metadata"), Mapping) \
                and event["metadata"]:
            metadata = dict(event["metadata"])
            break
    slots = {key: value for key, value in (tracker.slots or {}).items() if key != sig.ESCALATION_SLOT}
    order_ids = order_ids_of(turns, slots.get("order_id"), metadata)
    from_slot = order_ids_of([], slots.get("order_id"), {})
    order_id = from_slot[0] if from_slot else (order_ids[-1] if order_ids else None)
    order = order_facts(order_id, tracker)
    customer = customer_of(tracker, metadata)
    metadata.pop(JIELI_IDENTITY, None)   # a live credential for the action server: never to an agent
    priority, factors = priority_of(signals, thresholds, metadata, order, customer)
    category = category_of(turns, slots.get("order_topic"), problem)
    turn_numbers = {t.index: n for n, t in enumerate(turns, start=1)}
    abusive_turns = [e for e in transcript if e.get("abusive")]
    reason = next((code for code in REASON_PRIORITY if code in codes), codes[0] if codes else "request_human")
    wants = problem_text(problem, lexicon)
    summary = summary_of(wants, order_ids, answers, explanations, signals.frustration_level)

    context = {
        "version": CONTEXT_VERSION,
        "conversation_id": tracker.sender_id,
        "summary": summary,
        "reason": reason,
        "reasons": [{"code": c, "explanation": e} for c, e in zip(codes, explanations)],
        "category": category,
        "priority": priority,
        "priority_factors": factors,
        "problem": {
            "text": wants,
            "messages": [{"turn": turn_numbers.get(t.index), "text": clip(sig.mask_profanity(t.text, lexicon)),
                          "timestamp": iso(t.timestamp)} for t in problem],
        },
        "order_id": order_id,
        "order_ids": order_ids,
        "order": order,
        "entities": [{**e, "turn": turn_numbers.get(t.index)} for t in turns for e in t.entities],
        "intents": [{"turn": turn_numbers.get(t.index), "intent": t.intent, "confidence": t.confidence,
                     "timestamp": iso(t.timestamp)} for t in turns if t.intent],
        "frustration": signals.frustration,
        "frustration_level": signals.frustration_level,
        "human_requests": signals.requests_since_resume,
        "signals": {
            "observed": signals.observed(),
            "triggers": [{"name": c, "explanation": e} for c, e in zip(codes, explanations)],
            "values": signals.as_dict(),
            "thresholds": thresholds.as_dict(),
        },
        "abuse": {"turns": [e["turn"] for e in abusive_turns],
                  "words": sorted({w for e in abusive_turns for w in e.get("abuse_words", [])})},
        "bot_answers": [{"turn": a["turn"], "action": a["action"], "text": clip(a["text"], 500)}
                        for a in answers[-5:]],
        "slots": slots,
        "metadata": metadata,
        "customer": customer,
        "transcript": transcript[-MAX_TRANSCRIPT:],
        "transcript_truncated": len(transcript) > MAX_TRANSCRIPT,
        "channel": tracker.get_latest_input_channel(),
        "requested_at": timeutil.now_utc().isoformat(),
    }
    return {"conversation_id": tracker.sender_id, "reason": reason, "category": category, "priority": priority,
            "summary": summary, "context": context}
