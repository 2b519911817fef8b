"""Escalation signals: when should the bot pass the baton to a person?

Pure functions over the list of tracker events *as dicts* — `tracker.events` in the action server
(rasa_sdk), `[e.as_dict() for e in tracker.events]` inside Rasa — so the policy that decides and
the action that explains the decision to the agent run the same code. Nothing here imports Rasa.

Where the signals look
----------------------
* **Session** — events since the last `session_started` / `restart` (rewinds and undos applied).
  A session the tracker store rolled to keep Rasa's turns short (carry.py) is not a new one: its
  `session_started` carries the last messages before it and counters for the older ones, and
  `continued` puts the session back together.
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
Only right after a customer message (while the conversation is paused after a handover nobody asks:
the bridge sends nothing to Rasa, and Rasa's `ConversationPaused` is the second fence):
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

# The code lives in one module per seam (each imports only the ones before it):
#   events → lexicon → emotion → repetition → unhelped_turns → thresholds → explanation → carry
#   → decision → roll
# Every name the old single module had is re-exported here, so `from jieli_dialogue import signals`
# and `from jieli_dialogue.signals import X` work as before.
from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_ids import find_order_ids

from .carry import CARRY_KEY, CARRY_TURNS, Carry, Counts, continued, trimmed
from .decision import Decision, _signals, compute_signals, decide
from .emotion import (
    _CAPS_RUN,
    _EXCLAIM_RUN,
    _LATIN,
    _MIXED_RUN,
    _QUESTION_RUN,
    _REPEATED_CHAR,
    _REPEATED_WORD,
    TurnEmotion,
    _hits,
    abusive_words,
    frustration_of,
    mask_profanity,
    shouting,
    turn_emotion,
)
from .events import (
    _EXTERNAL_PREFIX,
    ACTION_LISTEN,
    ANSWERS,
    ASK_ACTION,
    CLARIFY,
    CLARIFY_ACTION,
    COMPLAIN,
    COMPLAINT_REPLY,
    DESCRIPTION_MIN_CHARS,
    ESCALATION_ACTIONS,
    ESCALATION_SLOT,
    FALLBACK,
    FALLBACK_ACTIONS,
    FOLLOW_UPS,
    HANDOVER_ACTION,
    HUMAN,
    INSULT,
    MAX_TEXT,
    NOT_A_QUESTION,
    OFFER_ACTION,
    PENDING_SLOT,
    PROBLEM_ACTION,
    RATE,
    REPEAT_WINDOW,
    REPHRASE_SIMILARITY,
    REQUEST_RATING,
    SMALLTALK,
    UNINFORMATIVE,
    Turn,
    _entities,
    _float,
    _intent,
    applied_events,
    awaiting_reply,
    customer_turns,
    is_external,
    last_action,
    last_resume,
    session_start,
    slot_value,
    window_start,
)
from .explanation import CN_NUMBERS, Signals, cn, request_explanation
from .lexicon import (
    _LATIN_WORD,
    ANGRY,
    CALM,
    DEFAULT_LEXICON_PATH,
    LEVEL_CODES,
    LEXICON_ENV,
    PROJECT_ROOT,
    UPSET,
    Lexicon,
    _cached_lexicon,
    default_lexicon,
    profanity_path,
    read_lexicon_file,
)
from .repetition import _CJK_OR_LATIN, _grams, _repeats, content, insists, similarity
from .roll import make_carry, roll_events
from .thresholds import Thresholds
from .unhelped_turns import (
    asks_passed_over_again,
    describes_problem,
    explains_complaint,
    not_helped_text,
    said_again,
    says_not_helped,
    strip_request_words,
    took_up,
    unhelped,
)
