"""The customer's own words on the agent's card: what the bridge stored, not what it was told.

A handover's context comes from the action server, which built it from Rasa's tracker. The
bridge does not take it on trust: whatever the context claims the customer wrote (the problem
messages, the customer turns of its transcript, the problem text) is looked up among the
conversation's stored customer messages. Text the customer never wrote is never shown as theirs:

* the card's "客户诉求" (the summary's first field) and `context.problem` are rebuilt from the
  stored messages the action pointed at, in the stored wording; when none of them is found (or the
  context has no `problem` at all), from the customer's own latest messages; when the action's
  `problem` is empty (nothing but a request for a person so far), the summary keeps
  "（客户还没有描述问题）" so what the customer writes while waiting fills it in;
* customer turns of `context.transcript` that are not stored are left out;
* the rest of the action's summary (订单号 / 机器人已答复 / 转人工原因 / 情绪) stays as the bot's
  annotation, with any further "客户诉求" label in it neutralised;
* when the context claims something the store does not support (customer text the customer never
  wrote, more requests for a person than the customer sent messages, a `bot_unavailable` reason,
  which only the bridge itself gives), the action's priority and its signals are not used: the
  priority is derived from the conversation's own metadata only.

`waiting_messages` and `bridge_check` are the bridge's own keys: the action's are dropped.
What was left out and why is kept in `context["bridge_check"]` for the agent and for audits:
`{"verified": bool, "unverified_customer_texts": [...], "dropped_transcript_turns": n,
"claimed_priority": ..., "claimed_reason": ..., "notes": [...]}`.

Matching tolerates what happens to a message on its way through Rasa and the action: NFKC,
whitespace, the leading "/" the bridge strips before Rasa (bot.as_text), profanity masked with
"*" by the action, and a clipped end ("…"). Pure functions: no Sanic, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jieli_contract as contract

FIELD = "客户诉求"
NOT_DESCRIBED = "（客户还没有描述问题）"  # what actions/handover_context.py writes when it has nothing
SUMMARY_CHARS = 60
OWN_MESSAGES = 3  # the customer's latest messages quoted when the action's are not found
MAX_REPORTED = 5  # unverified texts kept in bridge_check (clipped)
REPORTED_CHARS = 200
BRIDGE_ONLY_REASONS = contract.BRIDGE_ONLY_REASONS
BRIDGE_KEYS = frozenset({"waiting_messages", "bridge_check"})
_MASK = "*"
_CLIPPED = "…"


@dataclass(frozen=True)
class StoredText:
    """A stored customer message, as the check needs it."""

    seq: int
    text: str
    payload: str | None = None  # the button payload Rasa got instead of the text
    abusive: bool = False


def button_payload(payload: Any) -> str | None:
    """The payload Rasa got for a button press (conversations.rasa_message), if this was one."""
    if isinstance(payload, dict) and payload.get("type") == "button" and isinstance(payload.get("payload"), str):
        return payload["payload"]
    return None


def stored_texts(messages: Iterable[Any]) -> list[StoredText]:
    """Stored customer messages (models.Message) as the check needs them."""
    return [StoredText(m.seq, m.text or "", button_payload(m.payload), bool(m.abusive)) for m in messages]


@dataclass
class Checked:
    context: dict[str, Any]
    summary: str
    trusted: bool  # the action's priority and signals may be used
    notes: list[str] = field(default_factory=list)


def key(text: Any) -> str:
    """The text as compared: NFKC, no whitespace or invisible characters, no leading slashes."""
    plain = unicodedata.normalize("NFKC", text if isinstance(text, str) else "")
    kept = "".join(ch for ch in plain if not (ch.isspace() or unicodedata.category(ch) == "Cf"))
    return kept.lstrip("/")


def _pattern(claimed: str) -> re.Pattern[str] | None:
    """A claimed text as a pattern over stored keys: "*" stands for a masked character, a
    trailing "…" for a clipped end."""
    clipped = claimed.endswith(_CLIPPED)
    text = key(claimed[:-1] if clipped else claimed)
    if not text:
        return None
    body = "".join("." if ch == _MASK else re.escape(ch) for ch in text)
    return re.compile(body + (".*" if clipped else ""), re.DOTALL)


class Index:
    """The stored customer messages' keys, computed once per check: an exact claim is a dict
    lookup; a masked, clipped or partial one a scan."""

    def __init__(self, stored: Iterable[StoredText]):
        self.entries: list[tuple[str, StoredText]] = []
        self.exact: dict[str, StoredText] = {}
        for message in stored:
            for text in (message.text, message.payload):
                if text:
                    entry = (key(text), message)
                    self.entries.append(entry)
                    self.exact.setdefault(entry[0], message)


def find(claimed: Any, stored: Index | Iterable[StoredText], *, part: bool = False) -> StoredText | None:
    """The stored message the claimed text is (or, with `part`, is a piece of), or None."""
    if not isinstance(claimed, str):
        return None
    index = stored if isinstance(stored, Index) else Index(stored)
    if not part and _MASK not in claimed and not claimed.endswith(_CLIPPED):
        return index.exact.get(key(claimed)) if key(claimed) else None
    pattern = _pattern(claimed)
    if pattern is None:
        return None
    test = pattern.search if part else pattern.fullmatch
    return next((message for text, message in index.entries if test(text)), None)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def tidy(text: str) -> str:
    return " ".join(text.split())


def own_problem(stored: list[StoredText]) -> list[StoredText]:
    """The customer's latest typed messages (no button presses, nothing abusive)."""
    typed = [m for m in stored if not m.payload and not m.abusive and tidy(m.text)]
    return typed[-OWN_MESSAGES:]


def check(context: dict[str, Any], summary: str | None, reason: str, stored: list[StoredText]) -> Checked:
    """Cross-check the action's context against the stored customer messages (see the module
    docstring); returns the context and summary to store and whether the claims held."""
    # keys only the bridge writes (what the customer wrote while waiting, this check) are never taken
    context = {k: v for k, v in context.items() if k not in BRIDGE_KEYS}
    notes: list[str] = []
    unverified: list[str] = []
    index = Index(stored)

    def report(text: Any) -> None:
        if isinstance(text, str) and text.strip() and len(unverified) < MAX_REPORTED:
            unverified.append(clip(text, REPORTED_CHARS))

    # the problem: each claimed message must be a stored customer message
    problem = context.get("problem") if isinstance(context.get("problem"), dict) else {}
    claimed_messages = [m for m in problem.get("messages") or [] if isinstance(m, dict)]
    found: list[tuple[dict[str, Any], StoredText]] = []
    for item in claimed_messages:
        match = find(item.get("text"), index)
        if match is None:
            report(item.get("text"))
        elif all(match.seq != seen.seq for _, seen in found):
            found.append((item, match))
    claimed_text = problem.get("text") if isinstance(problem.get("text"), str) else ""
    parts = [p for p in re.split(r"[；;]", claimed_text) if p.strip()]
    text_holds = all(find(p, index, part=True) is not None for p in parts)
    if parts and not text_holds and not claimed_messages:
        report(claimed_text)
    if claimed_text.strip() and not text_holds:
        notes.append("problem_text_not_found")
    said = said_in_summary(summary)  # the summary's own 客户诉求 is a claim too
    said_holds = all(find(p, index, part=True) is not None for p in said)
    if said and not said_holds:
        report("；".join(said))
        notes.append("summary_request_not_found")

    if found:
        chosen = [match for _, match in sorted(found, key=lambda pair: pair[1].seq)]
        source = "action"
    elif claimed_messages or claimed_text.strip() or said or "problem" not in context:
        # the action's were not the customer's, or it said nothing in Jieli's shape: their own words
        chosen, source = own_problem(stored), "bridge"
    else:
        chosen, source = [], "none"  # the action found nothing about the problem (a bare 转人工)
    rebuilt = dict(problem)
    rebuilt["text"] = "；".join(tidy(m.text) for m in chosen)
    rebuilt["messages"] = (
        [
            {
                **({k: v for k, v in item.items() if k != "text"}),
                "text": tidy(match.text),
                "seq": match.seq,
                "verified": True,
            }
            for item, match in found
        ]
        if found
        else [{"text": tidy(m.text), "seq": m.seq, "verified": True} for m in chosen]
    )
    rebuilt["source"] = source
    if problem or chosen:
        context["problem"] = rebuilt

    # the transcript: customer turns that are not stored are left out
    transcript = context.get("transcript")
    dropped = 0
    if isinstance(transcript, list):
        kept = []
        for entry in transcript:
            if isinstance(entry, dict) and entry.get("sender") in ("customer", "user"):
                if not key(entry.get("text")):
                    continue  # no text: nothing to show, nothing claimed
                if find(entry.get("text"), index) is None:
                    dropped += 1
                    report(entry.get("text"))
                    continue
            kept.append(entry)
        context["transcript"] = kept
    if dropped:
        notes.append("transcript_turns_not_found")

    # counts the store can check
    requests = context.get("human_requests")
    if isinstance(requests, (int, float)) and not isinstance(requests, bool) and requests > len(stored):
        notes.append("more_requests_than_messages")
    if reason in BRIDGE_ONLY_REASONS:
        notes.append("reason_only_the_bridge_gives")
    if unverified:
        notes.insert(0, "customer_text_not_found")

    wants = rebuilt["text"] if chosen else ""
    checked_summary = summary_with(wants, summary)
    context["bridge_check"] = {
        "verified": not notes,
        "unverified_customer_texts": unverified,
        "dropped_transcript_turns": dropped,
        "notes": notes,
    }
    return Checked(context, checked_summary, trusted=not notes, notes=notes)


def said_in_summary(summary: str | None) -> list[str]:
    """The pieces of customer text the summary's 客户诉求 field claims (its clipped end and
    what the bridge adds while the customer waits left out)."""
    pieces: list[str] = []
    for part in (summary or "").split(" / "):
        text = unicodedata.normalize("NFKC", part).strip()
        if not text.startswith(FIELD):
            continue
        text = text[len(FIELD) :].lstrip(":： ")
        text = text.replace(unicodedata.normalize("NFKC", NOT_DESCRIBED), "").replace("(排队时补充)", "")
        pieces += [p.strip().rstrip(_CLIPPED) for p in re.split(r"[；;]", text) if p.strip().rstrip(_CLIPPED)]
    return pieces


def summary_with(wants: str, summary: str | None) -> str:
    """ "客户诉求：<the customer's own words> / <the rest of the action's summary>"."""
    head = f"{FIELD}：{clip(tidy(wants), SUMMARY_CHARS) if wants.strip() else NOT_DESCRIBED}"
    rest = []
    for part in (summary or "").split(" / "):
        if not part.strip() or key(part).startswith(FIELD):
            continue
        rest.append(part.strip().replace(FIELD, "诉求（机器人转述，未核实）"))
    return " / ".join([head, *rest])


def untrusted_context(context: dict[str, Any]) -> dict[str, Any]:
    """The context without the action's signals (what derived priority reads from it)."""
    return {
        k: v
        for k, v in context.items()
        if k not in ("frustration", "human_requests", "signals", "priority", "priority_factors", "tier", "order")
    }


# ---- the bridge's own context, when there is no bot to build one (Rasa down) ------------------------

BOT_DOWN = "bot_unavailable"  # a reason code of jieli_contract
BOT_DOWN_REASON = "智能助手暂时不可用"
MAX_ORDER_IDS = 5
TRANSCRIPT_MESSAGES = 20


def order_ids_in(stored: Iterable[StoredText]) -> list[str]:
    """Every order number the customer typed, oldest first, each once (jieli_nlu.order_ids: the
    rule the bot's entity extractor uses, on NFKC text: full-width digits folded)."""
    from jieli_nlu.order_ids import find_order_ids  # pure `re`; no Rasa, no OpenCC

    seen: list[str] = []
    for message in stored:
        if message.payload:
            continue
        for match in find_order_ids(unicodedata.normalize("NFKC", message.text)):
            if match.value not in seen:
                seen.append(match.value)
    return seen[-MAX_ORDER_IDS:]


def bridge_context(
    stored: list[StoredText], created_at: dict[int, str | None] | None = None
) -> tuple[str, dict[str, Any]]:
    """(summary, context) for a handover the bridge starts itself: the customer's own recent
    messages as 客户诉求 and transcript, every order number they typed. Same keys as the action's
    context where they mean the same (problem, order_id, order_ids, transcript)."""
    created_at = created_at or {}
    problem = own_problem(stored)
    orders = order_ids_in(stored)
    wants = "；".join(tidy(m.text) for m in problem)
    summary = " / ".join(
        [
            f"{FIELD}：{clip(wants, SUMMARY_CHARS) if wants else NOT_DESCRIBED}",
            f"订单号：{'、'.join(orders) if orders else '无'}",
            "机器人已答复：无（智能助手暂时不可用）",
            f"转人工原因：{BOT_DOWN_REASON}",
        ]
    )
    recent = stored[-TRANSCRIPT_MESSAGES:]
    context = {
        "version": contract.CONTEXT_VERSION,
        "source": "bridge",
        "summary": summary,
        "reason": BOT_DOWN,
        "reasons": [{"code": BOT_DOWN, "explanation": BOT_DOWN_REASON}],
        "problem": {
            "text": wants,
            "source": "bridge",
            "messages": [{"seq": m.seq, "text": tidy(m.text), "verified": True} for m in problem],
        },
        "order_id": orders[-1] if orders else None,
        "order_ids": orders,
        "transcript": [
            {
                "seq": m.seq,
                "sender": "customer",
                "text": m.text,
                "timestamp": created_at.get(m.seq),
                **({"abusive": True} if m.abusive else {}),
                **({"button": True} if m.payload else {}),
            }
            for m in recent
        ],
        "transcript_truncated": len(stored) > len(recent),
    }
    return summary, context
