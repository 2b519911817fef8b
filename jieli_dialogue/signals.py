"""Escalation signals: when should the bot pass the baton to a person?

Pure functions over the list of tracker events *as dicts* — `tracker.events` in the action server
(rasa_sdk), `[e.as_dict() for e in tracker.events]` inside Rasa — so the policy that decides and
the action that explains the decision to the agent run the same code. Nothing here imports Rasa.

Where the signals look
----------------------
* **Session** — events since the last `session_started` / `restart` (rewinds and undos applied).
* **Window** — the part of the session since the last escalation: the last `action_handover`
  (successful or not) or the last `resume` (an agent handed the conversation back). Counters
  restart there, so a second escalation in the same conversation works like the first.
* A **customer turn** is a `user` event that is not external (`trigger_intent` messages such as
  `request_rating` are the bridge speaking, not the customer).

The signals (each is a field of `Signals`)
------------------------------------------
explicit_request
    The newest customer message asks for a person: intent `request_human`, from the NLU
    ("人工客服", "轉人工", "rengong", "有没有活人" …) or from the 转人工 button (`/request_human`).
human_requests / requests_since_resume / consecutive_requests
    Explicit requests in the window (what `human_request_limit` counts); since the last resume
    (also counting requests whose handover failed, e.g. the bridge was down — what the agent and
    the priority see); and how many of the newest messages in a row were requests.
consecutive_fallbacks
    Customer messages in a row, newest first, that the bot did not understand: intent
    `nlu_fallback`, or answered with `action_default_fallback` / `utter_default`.
repeat_count / repeated_texts
    How many times the newest question has been asked in the last `REPEAT_WINDOW` customer
    messages of the window, counting itself. An earlier message is the same question when
    (a) the two texts are close: character-bigram cosine similarity of the normalised texts
        (digits, spaces and punctuation removed) ≥ `REPHRASE_SIMILARITY` (0.5) — "我的退款什么时候到"
        and "我的退款啥时候到账啊" (0.59), whatever intents the NLU gave them; or
    (b) both have the same topical intent (not small talk, not a request for a person, not a
        complaint or insult) and either the newest message insists ("还是", "到底", "又", "怎么还",
        "也不行" … — `insistence` in the lexicon) or the bot has already given the very same
        answer to two earlier messages of that intent (it is going round in circles, like the
        "fixed scripts" of the news report); or
    (c) the newest message is a complaint, an unrecognised or out-of-scope message that insists
        ("重置了也不行 换手机也不行"): it asks the last topic again, so it repeats every earlier
        message of that topic.
    Short questions of one topic share the topic's words ("优惠券怎么领" / "优惠券能叠加吗": 0.37),
    which is why similarity alone must be high and a same-intent question needs more evidence.
unhelped_turns
    Customer messages in a row, newest first, the bot did not help with — what `miss_limit`
    counts. A message counts when (a) the bot did not understand it (as `consecutive_fallbacks`);
    (b) the bot answered with a question of its own — a menu of topics or "please send the order
    number", marked `clarify` by the action — and the customer's next message passed it over (no
    button clicked, no order number, another intent); or (c) the customer's next message says the
    answer did not help ("没用", "还是不行", "答非所问" — `not_helped` in the lexicon); or (d) the
    bot answered the customer's next message with the very same words (a fixed script said again
    to someone who came back, unless they clicked the same button). The newest message counts when
    it fell back, itself says the last answer did not help, or asks again — same intent, nothing
    new such as an order number — what one of the last `REPEAT_WINDOW` messages asked when the
    bot's question back was passed over (the bot is about to ask it once more). A streak of
    fallbacks alone is `fallback_limit`'s business; `miss_limit` fires when the streak holds at
    least one message of kind (b), (c) or (d). This catches
    the bot that answers confidently beside the point, which fallbacks alone never see: a
    technical problem bounced between menus, "please send the order number" and "没用".
complaint / complaints, insult / insults
    The newest message's intent is `complain` / `insult`; how many there were in the window.
explains_complaint
    The bot answered the customer's previous message, a complaint, with `utter_complain` ("您可以
    把情况简单说一下，或者直接转人工客服，我会把聊天记录一起交给客服"), and the newest message
    takes it up: it describes what happened or gives an order number (as a request that
    describes the problem does) and is not small talk ("不用了", "谢谢"). It counts as one more
    complaint for `complaint_limit`: the bot promised to pass the complaint on, so it does.
negative_words, frustration, frustration_level, window_frustration
    The negative-emotion score over the recent customer messages (lexicon/frustration.yml; the
    text is normalised first, so Traditional and full-width text match the Simplified entries).
    See `Lexicon` for the arithmetic. Levels: 平静 (calm) < 0.3 ≤ 不满 < 0.7 ≤ 愤怒.
    `frustration` (what the agent sees) looks at the messages since the last resume — a handover
    that failed (bridge down) does not calm anybody; `window_frustration` (what
    `frustration_threshold` is compared with) only at the window, so that after a failed
    handover the bot goes back to answering instead of apologising again on every message.
shouting / shouting_score
    Shouting in the newest message, measured on the ORIGINAL text (width-folded only, never
    lower-cased or punctuation-folded): runs of "!!" / "??" / "?!", a character typed three
    times or more ("啊啊啊"), a word repeated three times ("人工人工人工"), all-capital Latin
    ("RENGONG"). It adds to that message's score.
abusive_words
    Profanity in the newest message (the lexicon's `profanity` list): flagged turn by turn in the
    handover context so the agent console can mask it.
first_contact / request_has_description / pending_description
    For the "very first message is 转人工" case: nothing informative said in the session yet (only
    greetings, small talk, requests); whether the request itself also describes the problem
    ("我的药还没发货 转人工" does, "轉人工客服!!!" does not); and whether the bot has asked for a
    description (slot `handover_pending`) that this message answers.

bot_challenge ("你是机器人吗") is deliberately not a signal.

The decision (`decide`)
-----------------------
Only right after a customer message, never while the conversation is paused:
1. the bot asked for a description (`handover_pending`) → `action_handover`, whatever it says;
2. an explicit request →
   first contact and a bare request (and `ask_description_first`) → `action_ask_handover_problem`;
   `human_requests ≥ human_request_limit` → `action_handover`;
   otherwise → `action_offer_handover` (offers help, says one more 人工 hands over);
3. otherwise `action_handover` when any of: consecutive_fallbacks ≥ fallback_limit,
   unhelped_turns ≥ miss_limit, repeat_count ≥ repeat_limit, complaints ≥ complaint_limit, insults ≥ insult_limit,
   frustration ≥ frustration_threshold (a limit of 0 switches that rule off);
4. right after one of the escalation actions (no customer message since) → `action_listen`.
Anything else: no opinion (the other policies decide).
"""
from __future__ import annotations

import functools
import math
import os
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_ids import find_order_ids

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEXICON_PATH = PROJECT_ROOT / "lexicon" / "frustration.yml"
LEXICON_ENV = "JIELI_FRUSTRATION_LEXICON"

# intents
HUMAN = "request_human"
FALLBACK = "nlu_fallback"
COMPLAIN = "complain"
INSULT = "insult"
REQUEST_RATING = "request_rating"
RATE = "rate"
SMALLTALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge"})
# intents that say nothing about the customer's problem
UNINFORMATIVE = SMALLTALK | {HUMAN, INSULT, REQUEST_RATING, RATE}
# intents that are not a question the bot answers (for the repeated-question signal)
NOT_A_QUESTION = UNINFORMATIVE | {COMPLAIN, FALLBACK, "inform_order_id"}
# intents of a message that may say "your last answer did not help" ("重置了也不行")
FOLLOW_UPS = frozenset({COMPLAIN, FALLBACK, "out_of_scope"})

# actions
ACTION_LISTEN = "action_listen"
HANDOVER_ACTION = "action_handover"
ASK_ACTION = "action_ask_handover_problem"
OFFER_ACTION = "action_offer_handover"
ESCALATION_ACTIONS = frozenset({HANDOVER_ACTION, ASK_ACTION, OFFER_ACTION})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "utter_default"})
# key an action sets on a bot message that asks the customer something (actions/common.py)
CLARIFY = "clarify"
COMPLAINT_REPLY = "utter_complain"
# intents that answer a question of the bot's whatever the topic
ANSWERS = frozenset({"inform_order_id", "affirm", "deny"})

# slots
PENDING_SLOT = "handover_pending"
ESCALATION_SLOT = "escalation"

REPHRASE_SIMILARITY = 0.5   # char-bigram cosine at or above which two messages ask the same thing
REPEAT_WINDOW = 6           # earlier customer messages compared with the newest one
DESCRIPTION_MIN_CHARS = 4   # content characters left after removing request words
MAX_TEXT = 2000             # characters of a message looked at

# levels
CALM, UPSET, ANGRY = "平静", "不满", "愤怒"
LEVEL_CODES = {CALM: "calm", UPSET: "upset", ANGRY: "angry"}

_CJK_OR_LATIN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffa-z]")
_LATIN_WORD = re.compile(r"^[a-z0-9 ]+$")
_EXTERNAL_PREFIX = "EXTERNAL: "


# ---------------------------------------------------------------------------------------------
# the lexicon

@dataclass(frozen=True)
class Lexicon:
    """lexicon/frustration.yml, compiled.

    A message's score = the weights of the distinct `negative` entries and `patterns` found in
    its normalised text (an entry inside a longer hit is not counted again) + `profanity_weight`
    per distinct profane word + its shouting score + `intent_bonus[intent]`, capped at
    `turn_cap`. The conversation's frustration = 1 − Π(1 − decay^k · score_k) over the last
    `turns` customer messages of the window (k = 0 for the newest).
    """

    negative: tuple[tuple[str, float, re.Pattern | None], ...] = ()
    patterns: tuple[tuple[re.Pattern, float], ...] = ()
    profanity: tuple[tuple[str, re.Pattern | None], ...] = ()
    profanity_allow: tuple[str, ...] = ()   # innocent phrases cut out first ("我妈的生日")
    insistence: tuple[str, ...] = ()
    not_helped: tuple[str, ...] = ()
    request_words: tuple[re.Pattern, ...] = ()
    turns: int = 4
    decay: float = 0.7
    turn_cap: float = 0.65
    profanity_weight: float = 0.45
    intent_bonus: Mapping[str, float] = field(default_factory=dict)
    upset_level: float = 0.3
    angry_level: float = 0.7
    source: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "Lexicon":
        data = dict(data or {})
        scoring = data.get("scoring") or {}

        def entry(word: Any) -> tuple[str, re.Pattern | None]:
            text = normalize_text(str(word))
            # Latin words only match as whole words: "usb" does not contain "sb"
            pattern = re.compile(r"(?<![a-z])" + re.escape(text) + r"(?![a-z])") if _LATIN_WORD.match(text) else None
            return text, pattern

        negative = []
        for word, weight in (data.get("negative") or {}).items():
            text, pattern = entry(word)
            if text:
                negative.append((text, float(weight), pattern))
        patterns = tuple((re.compile(str(p)), float(w)) for p, w in (data.get("patterns") or {}).items())
        profanity = tuple(e for e in (entry(w) for w in data.get("profanity") or []) if e[0])
        return cls(
            negative=tuple(negative),
            patterns=patterns,
            profanity=profanity,
            profanity_allow=tuple(t for t in (normalize_text(str(w)) for w in data.get("profanity_allow") or [])
                                  if t),
            insistence=tuple(normalize_text(str(w)) for w in data.get("insistence") or [] if str(w).strip()),
            not_helped=tuple(normalize_text(str(w)) for w in data.get("not_helped") or [] if str(w).strip()),
            request_words=tuple(re.compile(str(p)) for p in data.get("request_words") or []),
            turns=max(1, int(scoring.get("turns", 4))),
            decay=float(scoring.get("decay", 0.7)),
            turn_cap=float(scoring.get("turn_cap", 0.65)),
            profanity_weight=float(scoring.get("profanity_weight", 0.45)),
            intent_bonus={str(k): float(v) for k, v in (scoring.get("intent_bonus") or {}).items()},
            upset_level=float(scoring.get("upset_level", 0.3)),
            angry_level=float(scoring.get("angry_level", 0.7)),
            source=data,
        )

    def level(self, frustration: float) -> str:
        if frustration >= self.angry_level:
            return ANGRY
        if frustration >= self.upset_level:
            return UPSET
        return CALM


def profanity_path(path: str | os.PathLike) -> Path:
    """The profanity list that goes with a frustration lexicon: `profanity.yml` beside it, the one
    list the bridge and the agent console use too."""
    return Path(path).with_name("profanity.yml")


def read_lexicon_file(path: str | os.PathLike) -> dict:
    """The lexicon YAML as a dict (what the policy stores inside the model), with the words and
    allowed phrases of `profanity.yml` beside it as `profanity` / `profanity_allow` unless the
    file lists its own `profanity`."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the frustration lexicon must be a mapping")
    if "profanity" not in data and profanity_path(path).exists():
        with open(profanity_path(path), encoding="utf-8") as handle:
            profane = yaml.safe_load(handle) or {}
        if not isinstance(profane, dict):
            raise ValueError(f"{profanity_path(path)}: the profanity lexicon must be a mapping")
        data = {**data, "profanity": list(profane.get("words") or []),
                "profanity_allow": list(profane.get("allow") or [])}
    Lexicon.from_dict(data)  # fail early on a bad regular expression or weight
    return data


@functools.lru_cache(maxsize=4)
def _cached_lexicon(path: str, mtime_ns: int, profanity_mtime_ns: int) -> Lexicon:
    return Lexicon.from_dict(read_lexicon_file(path))


def default_lexicon(path: str | os.PathLike | None = None) -> Lexicon:
    """The lexicon from `path`, else $JIELI_FRUSTRATION_LEXICON, else lexicon/frustration.yml;
    read on first use and again when the file changes. An unreadable file gives an empty
    lexicon (the other signals still work)."""
    chosen = Path(path or os.environ.get(LEXICON_ENV) or DEFAULT_LEXICON_PATH)
    if not chosen.is_absolute():
        chosen = PROJECT_ROOT / chosen
    try:
        profane = profanity_path(chosen)
        return _cached_lexicon(str(chosen), os.stat(chosen).st_mtime_ns,
                               os.stat(profane).st_mtime_ns if profane.exists() else 0)
    except (OSError, ValueError, yaml.YAMLError, re.error):
        return Lexicon()


# ---------------------------------------------------------------------------------------------
# thresholds (EscalationPolicy's config in config.yml)

@dataclass(frozen=True)
class Thresholds:
    """When the implicit signals hand over. A limit of 0 switches its rule off."""

    human_request_limit: int = 1      # explicit requests in the window that hand over
    fallback_limit: int = 3           # consecutive messages the bot did not understand
    miss_limit: int = 3               # consecutive messages the bot did not help with (unhelped_turns)
    repeat_limit: int = 3             # times the same question is asked
    complaint_limit: int = 2          # complain intents in the window
    insult_limit: int = 2             # insult intents in the window (the first gets a calm answer)
    frustration_threshold: float = 0.7  # frustration (0..1) at which the customer is handed over
    ask_description_first: bool = True  # a bare first-message request: ask for the problem first

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | None) -> "Thresholds":
        config = config or {}
        values: dict[str, Any] = {}
        for name in ("human_request_limit", "fallback_limit", "miss_limit", "repeat_limit", "complaint_limit",
                     "insult_limit"):
            if config.get(name) is None:
                continue
            value = config[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, not {value!r}")
            values[name] = int(value)
        if values.get("human_request_limit", 1) < 1:
            raise ValueError("human_request_limit must be at least 1: a request for a person is never ignored")
        if config.get("frustration_threshold") is not None:
            value = config["frustration_threshold"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"frustration_threshold must be between 0 and 1 (0 switches it off), not {value!r}")
            values["frustration_threshold"] = float(value)
        if config.get("ask_description_first") is not None:
            values["ask_description_first"] = bool(config["ask_description_first"])
        return cls(**values)

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# reading events

@dataclass
class Turn:
    """One customer message and what the bot did after it."""

    index: int                      # position in the applied events
    text: str                       # as the customer typed it (or the button payload)
    intent: str | None
    confidence: float | None
    entities: list[dict]
    timestamp: float | None
    metadata: dict
    message_id: str | None
    payload: bool                   # a button payload such as /request_human
    actions: list[str] = field(default_factory=list)   # actions run after it (not action_listen)
    replies: list[str] = field(default_factory=list)   # texts the bot said after it
    asked: bool = False             # the bot answered with a question of its own (metadata clarify)
    _normalized: str | None = field(default=None, repr=False, compare=False)

    @property
    def normalized(self) -> str:
        """normalize_text(text), computed on first use ("" for a button payload)."""
        if self._normalized is None:
            self._normalized = "" if self.payload else normalize_text(self.text)
        return self._normalized

    @property
    def informative(self) -> bool:
        return self.intent not in UNINFORMATIVE

    @property
    def fell_back(self) -> bool:
        return self.intent == FALLBACK or any(a in FALLBACK_ACTIONS for a in self.actions)


def applied_events(events: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The events that count: `restart` clears what came before, `undo` drops the last action,
    `rewind` drops the last user message (as rasa_sdk's `Tracker.applied_events`)."""
    applied: list[dict] = []

    def undo_till(kind: str) -> None:
        while applied:
            if applied.pop().get("event") == kind:
                break

    for event in events or []:
        if not isinstance(event, Mapping):
            continue
        kind = event.get("event")
        if kind == "restart":
            applied = []
        elif kind == "undo":
            undo_till("action")
        elif kind == "rewind":
            undo_till("user")
            undo_till("action")
        else:
            applied.append(dict(event))
    return applied


def is_external(event: Mapping[str, Any]) -> bool:
    """A message the bridge triggered (trigger_intent), not one the customer typed."""
    metadata = event.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("is_external"):
        return True
    text = event.get("text")
    return isinstance(text, str) and text.startswith(_EXTERNAL_PREFIX)


def _intent(event: Mapping[str, Any]) -> tuple[str | None, float | None]:
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), Mapping) else {}
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    # a retrieval intent (faq): which question, from the ResponseSelector ("faq/service_hours"),
    # so that two different FAQ questions are not taken for one question asked twice
    selector = parse.get("response_selector") if isinstance(parse.get("response_selector"), Mapping) else {}
    picked = selector.get(name) if name and isinstance(selector.get(name), Mapping) else {}
    response = picked.get("response") if isinstance(picked.get("response"), Mapping) else {}
    key = response.get("intent_response_key")
    if isinstance(key, str) and key.startswith(f"{name}/"):
        name = key
    confidence = intent.get("confidence")
    try:
        confidence = None if confidence is None else round(float(confidence), 4)
    except (TypeError, ValueError):
        confidence = None
    return name, confidence


def _entities(event: Mapping[str, Any]) -> list[dict]:
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), Mapping) else {}
    found = []
    for entity in parse.get("entities") or []:
        if isinstance(entity, Mapping) and entity.get("entity"):
            found.append({"entity": str(entity["entity"]), "value": entity.get("value")})
    return found


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def customer_turns(events: Sequence[Mapping[str, Any]], start: int = 0) -> list[Turn]:
    """Every customer message in `events[start:]` (applied events), with the bot's actions and
    replies that followed it. External messages are skipped (and end the previous turn)."""
    turns: list[Turn] = []
    current: Turn | None = None
    for index in range(start, len(events)):
        event = events[index]
        kind = event.get("event")
        if kind == "user":
            if is_external(event):
                current = None
                continue
            text = event.get("text") if isinstance(event.get("text"), str) else ""
            text = text[:MAX_TEXT]
            intent, confidence = _intent(event)
            payload = text.lstrip().startswith("/")
            current = Turn(index=index, text=text, intent=intent, confidence=confidence, entities=_entities(event),
                           timestamp=_float(event.get("timestamp")),
                           metadata=dict(event["metadata"]) if isinstance(event.get("metadata"), Mapping) else {},
                           message_id=event.get("message_id") if isinstance(event.get("message_id"), str) else None,
                           payload=payload)
            turns.append(current)
        elif kind == "action" and current is not None:
            name = event.get("name")
            if isinstance(name, str) and name != ACTION_LISTEN:
                current.actions.append(name)
        elif kind == "bot" and current is not None:
            metadata = event.get("metadata")
            if isinstance(metadata, Mapping) and metadata.get(CLARIFY):
                current.asked = True
            text = event.get("text")
            if isinstance(text, str) and text.strip():
                current.replies.append(text.strip())
        elif kind in ("session_started", "resume"):
            current = None
    return turns


def session_start(events: Sequence[Mapping[str, Any]]) -> int:
    """Index of the first event of the current session."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return index
    return 0


def window_start(events: Sequence[Mapping[str, Any]]) -> int:
    """Index where the escalation counters start: after the last handover attempt or resume,
    within the current session."""
    start = session_start(events)
    for index in range(len(events) - 1, start - 1, -1):
        event = events[index]
        if event.get("event") == "resume" or (event.get("event") == "action" and event.get("name") == HANDOVER_ACTION):
            return index + 1
    return start


def last_resume(events: Sequence[Mapping[str, Any]]) -> int:
    """Index of the last `resume` event (an agent handed the conversation back), or -1."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "resume":
            return index
    return -1


def is_paused(events: Sequence[Mapping[str, Any]]) -> bool:
    paused = False
    for event in events:
        kind = event.get("event")
        if kind == "pause":
            paused = True
        elif kind in ("resume", "restart", "session_started"):
            paused = False
    return paused


def slot_value(events: Sequence[Mapping[str, Any]], name: str, default: Any = None) -> Any:
    """The value of a slot after these events (the last `slot` event for it)."""
    value = default
    for event in events:
        if event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
        elif event.get("event") == "reset_slots":
            value = default
    return value


def awaiting_reply(events: Sequence[Mapping[str, Any]]) -> int | None:
    """Index of the newest user event if the bot has not acted on it yet, else None."""
    for index in range(len(events) - 1, -1, -1):
        kind = events[index].get("event")
        if kind == "user":
            return index
        if kind in ("action", "bot", "pause", "resume", "session_started", "restart"):
            return None
    return None


def last_action(events: Sequence[Mapping[str, Any]]) -> str | None:
    """Name of the newest action when no customer message came after it."""
    for index in range(len(events) - 1, -1, -1):
        kind = events[index].get("event")
        if kind == "user":
            return None
        if kind == "action":
            name = events[index].get("name")
            return name if isinstance(name, str) else None
    return None


# ---------------------------------------------------------------------------------------------
# text measures

def content(text: str) -> str:
    """Chinese characters and Latin letters of a normalised text (digits, spaces, punctuation
    and emoji removed): what similarity and "does it describe anything" look at."""
    return "".join(_CJK_OR_LATIN.findall(text or ""))


def _grams(text: str) -> Counter:
    chars = content(text)
    if len(chars) < 2:
        return Counter([chars]) if chars else Counter()
    return Counter(chars[i:i + 2] for i in range(len(chars) - 1))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of the character-bigram counts of two normalised texts (0..1)."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    dot = sum(count * gb[gram] for gram, count in ga.items())
    return dot / math.sqrt(sum(c * c for c in ga.values()) * sum(c * c for c in gb.values()))


_EXCLAIM_RUN = re.compile(r"!{2,}")
_QUESTION_RUN = re.compile(r"\?{2,}")
_MIXED_RUN = re.compile(r"[!?]*(?:!\?|\?!)[!?]*")
_REPEATED_CHAR = re.compile(r"([\u4e00-\u9fffA-Za-z])\1{2,}")
_REPEATED_WORD = re.compile(r"([^\s!?.,~。、…]{2,6}?)\1{2,}")
_CAPS_RUN = re.compile(r"[A-Z]{4,}")
_LATIN = re.compile(r"[A-Za-z]")


def shouting(original: str) -> tuple[float, list[str]]:
    """(score, marks) for shouting in the ORIGINAL text (only full-width folded to half-width)."""
    text = unicodedata.normalize("NFKC", original or "")[:MAX_TEXT]
    score, marks = 0.0, []
    mixed = _MIXED_RUN.search(text)
    if mixed:
        score += 0.2
        marks.append(mixed.group(0))
    for run_pattern in (_EXCLAIM_RUN, _QUESTION_RUN):
        longest = max((m.group(0) for m in run_pattern.finditer(text)), key=len, default="")
        if longest and not (mixed and longest in mixed.group(0)):
            score += 0.2 if len(longest) >= 3 else 0.1
            marks.append(longest)
    repeated = _REPEATED_CHAR.search(text) or _REPEATED_WORD.search(text)
    if repeated:
        score += 0.15
        marks.append(repeated.group(0))
    letters = _LATIN.findall(text)
    caps = _CAPS_RUN.search(text)
    if caps and len(letters) >= 4 and all(ch.isupper() for ch in letters):
        score += 0.15
        marks.append(caps.group(0))
    return min(score, 0.35), marks


def _hits(entries: Iterable[tuple[str, Any]], text: str, patterns: dict[str, re.Pattern | None]) -> list[str]:
    found = []
    for word, *_ in entries:
        pattern = patterns.get(word)
        if (pattern.search(text) if pattern is not None else word in text):
            found.append(word)
    # a word inside a longer hit is not counted again (气死 inside 气死我了)
    return [w for w in found if not any(w != other and w in other for other in found)]


@dataclass(frozen=True)
class TurnEmotion:
    negative_words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    profanity: tuple[str, ...] = ()
    shouting: tuple[str, ...] = ()
    shouting_score: float = 0.0
    score: float = 0.0


def turn_emotion(turn: Turn, lexicon: Lexicon) -> TurnEmotion:
    """Negative emotion, profanity and shouting in one customer message."""
    if turn.payload:
        return TurnEmotion()
    text = turn.normalized
    weights = {w: wt for w, wt, _ in lexicon.negative}
    pattern_hits = [(p.pattern, w, m.group(0)) for p, w in lexicon.patterns for m in [p.search(text)] if m]
    # a word inside a pattern's hit is counted once, by the pattern (还没 inside 还没发货)
    negative = [w for w in _hits([(w, wt) for w, wt, _ in lexicon.negative], text,
                                 {w: p for w, _, p in lexicon.negative})
                if not any(w in hit for _, _, hit in pattern_hits)]
    profanity = _hits([(w, None) for w, _ in lexicon.profanity], text, dict(lexicon.profanity))
    shout_score, marks = shouting(turn.text)
    raw = (sum(weights[w] for w in negative) + sum(w for _, w, _ in pattern_hits)
           + lexicon.profanity_weight * len(profanity) + shout_score
           + lexicon.intent_bonus.get(turn.intent or "", 0.0))
    return TurnEmotion(tuple(negative), tuple(m for _, _, m in pattern_hits), tuple(profanity), tuple(marks),
                       round(shout_score, 3), round(min(lexicon.turn_cap, raw), 3))


def abusive_words(text: str, lexicon: Lexicon) -> list[str]:
    """The profane words in a message (normalised first)."""
    if not text or text.lstrip().startswith("/"):
        return []
    plain = normalize_text(text[:MAX_TEXT])
    for phrase in lexicon.profanity_allow:
        plain = plain.replace(phrase, " ")
    return _hits([(w, None) for w, _ in lexicon.profanity], plain, dict(lexicon.profanity))


def mask_profanity(text: str, lexicon: Lexicon, mask: str = "*") -> str:
    """The text with every profane word (as `abusive_words` finds them) replaced by `mask`
    characters, in the ORIGINAL text: Traditional or full-width profanity is masked too."""
    if not text or not lexicon.profanity:
        return text or ""
    pieces = [normalize_text(ch) if not ch.isspace() else " " for ch in text]
    joined, owner = "", []
    for index, piece in enumerate(pieces):
        joined += piece
        owner.extend([index] * len(piece))
    allowed: set[int] = set()
    for phrase in lexicon.profanity_allow:
        for match in re.finditer(re.escape(phrase), joined):
            allowed.update(range(match.start(), match.end()))
    hidden: set[int] = set()
    for word, pattern in lexicon.profanity:
        matches = pattern.finditer(joined) if pattern is not None else re.finditer(re.escape(word), joined)
        for match in matches:
            span = range(match.start(), match.end())
            if not all(i in allowed for i in span):
                hidden.update(owner[i] for i in span)
    return "".join(mask if i in hidden else ch for i, ch in enumerate(text))


def frustration_of(emotions: Sequence[TurnEmotion], lexicon: Lexicon) -> float:
    """Noisy-OR of the newest `lexicon.turns` message scores, older ones decayed."""
    remaining = 1.0
    for k, emotion in enumerate(reversed(list(emotions)[-lexicon.turns:])):
        remaining *= 1.0 - (lexicon.decay ** k) * emotion.score
    return round(1.0 - remaining, 3)


def strip_request_words(text: str, lexicon: Lexicon) -> str:
    """A normalised message without the words that ask for a person, greet or plead."""
    for pattern in lexicon.request_words:
        text = pattern.sub(" ", text)
    return text


def describes_problem(turn: Turn, lexicon: Lexicon) -> bool:
    """Whether a message says more than "give me a person": an order number, or at least
    `DESCRIPTION_MIN_CHARS` Chinese characters / Latin letters once request words are removed."""
    if turn.payload or not turn.normalized:
        return False
    if find_order_ids(turn.normalized):
        return True
    return len(content(strip_request_words(turn.normalized, lexicon))) >= DESCRIPTION_MIN_CHARS


def insists(text: str, lexicon: Lexicon) -> bool:
    return any(marker in text for marker in lexicon.insistence)


# ---------------------------------------------------------------------------------------------
# the signals

CN_NUMBERS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}


def cn(number: int) -> str:
    return CN_NUMBERS.get(number, str(number))


@dataclass(frozen=True)
class Signals:
    """Everything the escalation rules look at, for the newest customer message."""

    explicit_request: bool = False
    human_requests: int = 0
    requests_since_resume: int = 0
    consecutive_requests: int = 0
    consecutive_fallbacks: int = 0
    unhelped_turns: int = 0
    repeat_count: int = 0
    repeated_texts: tuple[str, ...] = ()
    complaint: bool = False
    complaints: int = 0
    explains_complaint: bool = False
    insult: bool = False
    insults: int = 0
    negative_words: tuple[str, ...] = ()
    shouting: tuple[str, ...] = ()
    shouting_score: float = 0.0
    abusive_words: tuple[str, ...] = ()
    message_score: float = 0.0
    frustration: float = 0.0
    frustration_level: str = CALM
    window_frustration: float = 0.0
    first_contact: bool = False
    request_has_description: bool = False
    pending_description: bool = False
    customer_turns: int = 0

    @property
    def frustration_code(self) -> str:
        return LEVEL_CODES[self.frustration_level]

    def as_dict(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        data["frustration_code"] = self.frustration_code
        return data

    def observed(self) -> list[dict]:
        """Every signal present, with a one-line Chinese explanation for the agent."""
        found: list[dict] = []

        def add(name: str, explanation: str) -> None:
            found.append({"name": name, "explanation": explanation})

        if self.pending_description:
            add("pending_description", "客户一开始就要求人工，机器人请他先描述问题，这是他的回答")
        if self.explicit_request:
            add("explicit_request", "客户明确要求人工客服")
        if self.requests_since_resume >= 2:
            add("human_requests", request_explanation(self))
        if self.consecutive_fallbacks:
            add("consecutive_fallbacks", f"机器人连续{cn(self.consecutive_fallbacks)}次没听懂")
        if self.unhelped_turns >= 2 and self.unhelped_turns > self.consecutive_fallbacks:
            add("unhelped_turns", f"机器人连续{cn(self.unhelped_turns)}次没帮上忙（没听懂、答非所问或客户说没用）")
        if self.repeat_count >= 2:
            add("repeated_question", f"同一个问题问了{cn(self.repeat_count)}遍")
        if self.complaints:
            add("complaint", "客户投诉" + (f"（{cn(self.complaints)}次）" if self.complaints > 1 else ""))
        if self.explains_complaint:
            add("explains_complaint", "客户投诉后按机器人的请求说明了情况")
        if self.insults:
            add("insult", "客户出言辱骂" + (f"（{cn(self.insults)}次）" if self.insults > 1 else "") + "，已标记，可屏蔽")
        if self.negative_words:
            add("negative_emotion", "负面用语：" + "、".join(self.negative_words[:6]))
        if self.shouting:
            add("shouting", "语气激动：" + "、".join(self.shouting[:4]))
        if self.abusive_words:
            add("profanity", f"本条消息含不文明用语（{len(self.abusive_words)} 处，已标记）")
        if self.frustration_level != CALM:
            add("frustration", f"情绪{self.frustration_level}（{self.frustration:.2f}）")
        return found

    def triggers(self, thresholds: Thresholds) -> list[tuple[str, str]]:
        """The implicit rules that fire: (reason code, Chinese explanation)."""
        fired: list[tuple[str, str]] = []
        if thresholds.fallback_limit and self.consecutive_fallbacks >= thresholds.fallback_limit:
            fired.append(("bot_failure", f"机器人连续{cn(self.consecutive_fallbacks)}次没听懂"))
        elif (thresholds.miss_limit and self.unhelped_turns >= thresholds.miss_limit
              and self.unhelped_turns > self.consecutive_fallbacks):   # pure fallbacks: fallback_limit
            fired.append(("bot_failure", f"机器人连续{cn(self.unhelped_turns)}次没帮上忙"))
        if thresholds.repeat_limit and self.repeat_count >= thresholds.repeat_limit:
            fired.append(("repeated_question", f"同一个问题问了{cn(self.repeat_count)}遍"))
        if thresholds.complaint_limit and self.complaints >= thresholds.complaint_limit and self.complaint:
            fired.append(("complaint", f"客户{cn(self.complaints)}次投诉"))
        elif (thresholds.complaint_limit and self.explains_complaint
              and self.complaints + 1 >= thresholds.complaint_limit):
            fired.append(("complaint", "客户投诉，并说明了情况"))
        if thresholds.insult_limit and self.insults >= thresholds.insult_limit and self.insult:
            fired.append(("abuse", f"客户{cn(self.insults)}次出言辱骂（已标记，可屏蔽）"))
        if thresholds.frustration_threshold and self.window_frustration >= thresholds.frustration_threshold:
            fired.append(("frustration", f"客户情绪{self.frustration_level}"))
        return fired


def _repeats(latest: Turn, earlier: Sequence[Turn], lexicon: Lexicon) -> list[Turn]:
    """The earlier messages the newest one asks again (see the module docstring)."""
    candidates = [t for t in earlier[-REPEAT_WINDOW:]
                  if not t.payload or t.intent == latest.intent]
    candidates = [t for t in candidates if t.intent not in NOT_A_QUESTION or t.intent == FALLBACK]
    if latest.intent in FOLLOW_UPS and insists(latest.normalized, lexicon):
        # "重置了也不行" — a complaint (or a message the bot did not understand) saying the last
        # answer did not help asks the last topic again
        topic = next((t.intent for t in reversed(candidates) if t.intent not in NOT_A_QUESTION), None)
        return [t for t in candidates if topic and t.intent == topic]
    if latest.intent in NOT_A_QUESTION and latest.intent != FALLBACK:
        return []
    # intents the bot answered with the same words twice: it is going round in circles
    seen: dict[str, set] = {}
    looping: set[str] = set()
    for turn in candidates:
        if turn.intent and turn.replies:
            signature = tuple(turn.replies)
            if signature in seen.setdefault(turn.intent, set()):
                looping.add(turn.intent)
            seen[turn.intent].add(signature)
    same_topic = latest.intent not in NOT_A_QUESTION
    matched = []
    for turn in candidates:
        if latest.normalized and turn.normalized and similarity(turn.normalized, latest.normalized) >= REPHRASE_SIMILARITY:
            matched.append(turn)
        elif same_topic and turn.intent == latest.intent and (
                insists(latest.normalized, lexicon) or latest.intent in looping):
            matched.append(turn)
    return matched


def says_not_helped(turn: Turn, lexicon: Lexicon) -> bool:
    """"没用", "还是不行", "答非所问": the message says the bot's last answer did not help."""
    return not_helped_text(turn.normalized, lexicon)


def not_helped_text(normalized: str, lexicon: Lexicon) -> bool:
    """says_not_helped for a normalised text (normalize_text) rather than a Turn."""
    return bool(normalized) and any(marker in normalized for marker in lexicon.not_helped)


def took_up(question: Turn, answer: Turn) -> bool:
    """Whether `answer` takes up the question the bot asked after `question`: a button, an order
    number, yes/no, or more about the same intent."""
    return (answer.payload or answer.intent in ANSWERS or answer.intent == question.intent
            or any(e.get("entity") == "order_id" for e in answer.entities))


def said_again(turn: Turn, after: Turn) -> bool:
    """The bot answered `after` with exactly what it answered `turn` (not a button clicked twice)."""
    return bool(turn.replies) and turn.replies == after.replies and not after.payload


def asks_passed_over_again(latest: Turn, earlier: Sequence[Turn]) -> bool:
    """The newest message asks, with nothing new, what one of the last `REPEAT_WINDOW` messages
    asked when the customer passed over the bot's question back: the bot is about to ask the same
    question again."""
    if latest.payload or latest.intent in NOT_A_QUESTION or latest.entities:
        return False
    recent = list(earlier[-REPEAT_WINDOW:])
    return any(turn.intent == latest.intent and turn.asked and not took_up(turn, after)
               for turn, after in zip(recent, recent[1:] + [latest]))


def unhelped(turns: Sequence[Turn], lexicon: Lexicon) -> int:
    """Customer messages in a row, newest first, the bot did not help with (module docstring)."""
    count = 0
    for position in range(len(turns) - 1, -1, -1):
        turn = turns[position]
        after = turns[position + 1] if position + 1 < len(turns) else None
        if turn.fell_back:
            missed = True
        elif after is None:
            missed = says_not_helped(turn, lexicon) or asks_passed_over_again(turn, turns[:position])
        else:
            missed = ((turn.asked and not took_up(turn, after)) or says_not_helped(after, lexicon)
                      or said_again(turn, after))
        if not missed:
            break
        count += 1
    return count


def explains_complaint(latest: Turn, earlier: Sequence[Turn], lexicon: Lexicon) -> bool:
    """The newest message takes up the bot's `utter_complain` after a complaint (module docstring)."""
    if not earlier or latest.intent in SMALLTALK or latest.intent in (HUMAN, COMPLAIN, INSULT):
        return False   # a second complaint counts as itself; a request for a person is explicit
    previous = earlier[-1]
    return (previous.intent == COMPLAIN and COMPLAINT_REPLY in previous.actions
            and describes_problem(latest, lexicon))


def compute_signals(events: Iterable[Mapping[str, Any]], lexicon: Lexicon | None = None) -> Signals:
    """The signals for the newest customer message of these events (raw tracker events)."""
    lexicon = lexicon if lexicon is not None else default_lexicon()
    applied = applied_events(events)
    return _signals(applied, lexicon)


def _signals(applied: list[dict], lexicon: Lexicon) -> Signals:
    session = customer_turns(applied, session_start(applied))
    start = window_start(applied)
    window = [t for t in session if t.index >= start]
    if not window:
        return Signals()
    latest = window[-1]
    earlier_session = [t for t in session if t.index < latest.index]
    handover_before = any(e.get("event") == "action" and e.get("name") == HANDOVER_ACTION
                          for e in applied[session_start(applied):latest.index])
    since_resume = [t for t in session if t.index > last_resume(applied)]
    recent = since_resume[-lexicon.turns:]   # frustration looks at no more than these
    emotions = [turn_emotion(t, lexicon) for t in recent]
    frustration = frustration_of(emotions, lexicon)
    window_frustration = frustration_of(emotions[max(0, len(recent) - len(window)):], lexicon)
    consecutive_requests = 0
    for turn in reversed(since_resume):
        if turn.intent != HUMAN:
            break
        consecutive_requests += 1
    consecutive_fallbacks = 0
    for turn in reversed(window):
        if not turn.fell_back:
            break
        consecutive_fallbacks += 1
    repeated = _repeats(latest, window[:-1], lexicon)
    negative_words: list[str] = []
    for emotion in emotions[-lexicon.turns:]:
        for word in emotion.negative_words + emotion.patterns:
            if word not in negative_words:
                negative_words.append(word)
    pending = bool(slot_value(applied[:latest.index], PENDING_SLOT)) and latest.index >= start
    return Signals(
        explicit_request=latest.intent == HUMAN,
        human_requests=sum(1 for t in window if t.intent == HUMAN),
        requests_since_resume=sum(1 for t in since_resume if t.intent == HUMAN),
        consecutive_requests=consecutive_requests,
        consecutive_fallbacks=consecutive_fallbacks,
        unhelped_turns=unhelped(window, lexicon),
        repeat_count=(1 + len(repeated)) if repeated or latest.intent not in NOT_A_QUESTION
        or latest.intent == FALLBACK else 0,
        repeated_texts=tuple(t.text for t in repeated),
        complaint=latest.intent == COMPLAIN,
        complaints=sum(1 for t in window if t.intent == COMPLAIN),
        explains_complaint=explains_complaint(latest, window[:-1], lexicon),
        insult=latest.intent == INSULT,
        insults=sum(1 for t in window if t.intent == INSULT),
        negative_words=tuple(negative_words),
        shouting=emotions[-1].shouting,
        shouting_score=emotions[-1].shouting_score,
        abusive_words=emotions[-1].profanity,
        message_score=emotions[-1].score,
        frustration=frustration,
        frustration_level=lexicon.level(frustration),
        window_frustration=window_frustration,
        first_contact=not handover_before and not any(t.informative for t in earlier_session),
        request_has_description=describes_problem(latest, lexicon),
        pending_description=pending,
        customer_turns=len(window),
    )


# ---------------------------------------------------------------------------------------------
# the decision

@dataclass(frozen=True)
class Decision:
    """What the escalation rules say to do now, and why."""

    action: str
    reasons: tuple[str, ...] = ()
    explanations: tuple[str, ...] = ()
    signals: Signals | None = None
    thresholds: Thresholds | None = None

    def as_dict(self) -> dict:
        """The decision as the policy stores it in the `escalation` slot (JSON-safe)."""
        return {
            "action": self.action,
            "reasons": list(self.reasons),
            "explanations": list(self.explanations),
            "signals": self.signals.as_dict() if self.signals else {},
            "thresholds": self.thresholds.as_dict() if self.thresholds else {},
        }


def request_explanation(signals: Signals) -> str:
    """"客户要求转人工", "客户连续两次要求人工", "客户三次要求人工"."""
    if signals.consecutive_requests >= 2:
        return f"客户连续{cn(signals.consecutive_requests)}次要求人工"
    if signals.requests_since_resume >= 2:
        return f"客户{cn(signals.requests_since_resume)}次要求人工"
    return "客户要求转人工"


def decide(events: Iterable[Mapping[str, Any]], thresholds: Thresholds | None = None,
           lexicon: Lexicon | None = None) -> Decision | None:
    """The escalation decision for the newest events, or None (no opinion)."""
    thresholds = thresholds or Thresholds()
    lexicon = lexicon if lexicon is not None else default_lexicon()
    applied = applied_events(events)
    if not applied or is_paused(applied):
        return None
    user_index = awaiting_reply(applied)
    if user_index is None:
        return Decision(ACTION_LISTEN) if last_action(applied) in ESCALATION_ACTIONS else None
    if is_external(applied[user_index]):
        return None
    signals = _signals(applied, lexicon)
    if not signals.customer_turns:
        return None

    def handover(reasons: list[tuple[str, str]]) -> Decision:
        return Decision(HANDOVER_ACTION, tuple(r for r, _ in reasons), tuple(e for _, e in reasons),
                        signals, thresholds)

    if signals.pending_description:
        reasons = [("request_human", "客户一开始就要求人工，已按要求补充问题")]
        return handover(reasons + [r for r in signals.triggers(thresholds) if r[0] != "request_human"])
    if signals.explicit_request:
        if thresholds.ask_description_first and signals.first_contact and not signals.request_has_description:
            return Decision(ASK_ACTION, ("ask_description",), ("客户首句就要求人工，先请他描述问题",),
                            signals, thresholds)
        if signals.human_requests >= thresholds.human_request_limit:
            return handover([("request_human", request_explanation(signals))] + signals.triggers(thresholds))
        return Decision(OFFER_ACTION, ("below_request_limit",),
                        (f"客户要求人工（{signals.human_requests}/{thresholds.human_request_limit}）",),
                        signals, thresholds)
    fired = signals.triggers(thresholds)
    if fired:
        return handover(fired)
    return None
