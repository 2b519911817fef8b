"""The transcript an agent reads: every customer and bot message with its time, each customer
turn's intent, confidence, entities and abuse flags; and the bot's substantive answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from jieli_dialogue import signals as sig

MAX_TRANSCRIPT = 200  # messages sent to the agent (the most recent ones)
MAX_MESSAGE_CHARS = 4000  # per message

# bot actions whose messages are not an answer to the customer's question
NOT_ANSWERS = {
    "action_session_start",
    "action_listen",
    "utter_greet",
    "utter_goodbye",
    "utter_thank",
    "utter_bot_challenge",
    "utter_default",
    "action_default_fallback",
    "utter_insult",
    "utter_complain",
    "utter_out_of_scope",
    "utter_ask_rating",
    "action_rating_thanks",
    sig.HANDOVER_ACTION,
    sig.ASK_ACTION,
    sig.OFFER_ACTION,
}
_SENTENCE_END = re.compile(r"[。！？!?；;]")


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
        return text[: match.end()]
    return clip(text, limit)


def transcript_of(events: list[dict], lexicon: sig.Lexicon, earlier_turns: int = 0) -> tuple[list[dict], list[dict]]:
    """(transcript, answers): every customer and bot message with its time, and the bot's
    substantive answers (message text, the action that said it, the turn it answered).
    `earlier_turns`: customer messages before these events (a rolled session's, see
    jieli_dialogue/signals/carry.py), so that turn numbers count from the conversation's start."""
    transcript: list[dict] = []
    answers: list[dict] = []
    action: str | None = None
    turn = earlier_turns
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
            entry: dict[str, Any] = {
                "turn": turn,
                "sender": "customer",
                "text": clip(text),
                "timestamp": iso(event.get("timestamp")),
            }
            if intent.get("name"):
                entry["intent"] = intent["name"]
                confidence = intent.get("confidence")
                entry["confidence"] = round(float(confidence), 4) if isinstance(confidence, (int, float)) else None
            entities = [
                {"entity": e.get("entity"), "value": e.get("value")}
                for e in parse.get("entities") or []
                if isinstance(e, Mapping) and e.get("entity")
            ]
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
            if text and action not in NOT_ANSWERS and turn > earlier_turns:
                answers.append({"turn": turn, "action": action, "text": text})
        elif kind == "pause":
            transcript.append({"sender": "system", "text": "已转人工客服", "timestamp": iso(event.get("timestamp"))})
        elif kind == "resume":
            transcript.append(
                {
                    "sender": "system",
                    "text": "人工客服已结束接待，对话交回机器人",
                    "timestamp": iso(event.get("timestamp")),
                }
            )
    return transcript, answers
