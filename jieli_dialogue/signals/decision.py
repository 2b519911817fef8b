"""The signals for the newest customer message (`compute_signals`) and the escalation decision
(`decide`); see the package docstring."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jieli_nlu.order_ids import find_order_ids
from jieli_nlu.problem_kinds import PROBLEM_LABELS

from .carry import Carry, Counts, continued
from .emotion import frustration_of, turn_emotion, upset_streak
from .events import (
    ACTION_LISTEN,
    ASK_ACTION,
    CLARIFY_ACTION,
    COMPLAIN,
    COMPLAINT_REPLY,
    ESCALATION_ACTIONS,
    FALLBACK,
    HANDOVER_ACTION,
    HUMAN,
    INSULT,
    NOT_A_QUESTION,
    OFFER_ACTION,
    OUT_OF_SCOPE,
    PENDING_SLOT,
    PROBLEM_ACTION,
    THANK,
    Turn,
    awaiting_reply,
    customer_turns,
    is_external,
    last_action,
    last_resume,
    problem_of,
    session_start,
    slot_value,
    window_start,
)
from .explanation import Signals, cn, request_explanation
from .lexicon import CALM, Lexicon, default_lexicon
from .repetition import _repeats
from .thresholds import Thresholds
from .unhelped_turns import describes_problem, explains_complaint, says_not_helped, unhelped


def compute_signals(events: Iterable[Mapping[str, Any]], lexicon: Lexicon | None = None) -> Signals:
    """The signals for the newest customer message of these events (raw tracker events)."""
    lexicon = lexicon if lexicon is not None else default_lexicon()
    applied, carry = continued(events)
    return _signals(applied, lexicon, carry=carry)


def window_turns(applied: list[dict], session: list[Turn]) -> list[Turn]:
    """The session's customer turns since the last escalation or resume (see the package docstring)."""
    start = window_start(applied)
    return [t for t in session if t.index >= start]


def older_window(applied: list[dict], carry: Carry | None) -> Counts:
    """What the messages of a rolled session older than its carried events add to the window
    (carry.py): their counts when the window reaches back past the carried events, else nothing."""
    return carry.window if carry is not None and window_start(applied) == session_start(applied) else Counts()


def _signals(
    applied: list[dict], lexicon: Lexicon, session: list[Turn] | None = None, carry: Carry | None = None
) -> Signals:
    """The signals; `session` (the session's customer turns) when the caller has them already;
    `carry`: what a rolled session carries (`continued`)."""
    if session is None:
        session = customer_turns(applied, session_start(applied))
    window = window_turns(applied, session)
    if not window:
        return Signals()
    latest = window[-1]
    earlier_session = [t for t in session if t.index < latest.index]
    handover_before = (carry is not None and carry.handover) or any(
        e.get("event") == "action" and e.get("name") == HANDOVER_ACTION
        for e in applied[session_start(applied) : latest.index]
    )
    resumed_at = last_resume(applied)
    since_resume = [t for t in session if t.index > resumed_at]
    # a rolled session's older messages count when the time since the last resume reaches back past its carried events
    reaches_back = carry is not None and resumed_at < session_start(applied)
    older = older_window(applied, carry)
    counts = older.then(Counts.of(window))
    recent = since_resume[-lexicon.turns :]  # frustration looks at no more than these
    emotions = [turn_emotion(t, lexicon) for t in recent]
    frustration = frustration_of(emotions, lexicon)
    window_frustration = frustration_of(emotions[max(0, len(recent) - len(window)) :], lexicon)
    consecutive_requests = 0
    for turn in reversed(since_resume):
        if turn.intent != HUMAN:
            break
        consecutive_requests += 1
    if reaches_back and consecutive_requests == len(since_resume):
        consecutive_requests += carry.resume_streak
    consecutive_fallbacks = fallback_streak(window)
    ironic = [t for t in sarcastic_thanks(recent, emotions, lexicon) if t.index >= window[0].index]
    # insults: the NLU's insult intent, or abuse inside another message ("你们是不是脑子有病 问个退款这么费劲")
    abusive = {t.index for t in window if t.intent == INSULT} | {
        t.index for t, e in zip(recent, emotions) if e.profanity and t.index >= window[0].index
    }
    sarcasm = bool(ironic) and ironic[-1] is recent[-1] and recent[-1] is latest
    repeated = _repeats(latest, window[:-1], lexicon)
    negative_words: list[str] = []
    for emotion in emotions[-lexicon.turns :]:
        for word in emotion.negative_words + emotion.patterns:
            if word not in negative_words:
                negative_words.append(word)
    pending = bool(slot_value(applied[: latest.index], PENDING_SLOT))
    return Signals(
        explicit_request=latest.intent == HUMAN,
        human_requests=counts.requests,
        requests_since_resume=sum(1 for t in since_resume if t.intent == HUMAN)
        + (carry.resume_requests if reaches_back else 0),
        consecutive_requests=consecutive_requests,
        consecutive_fallbacks=consecutive_fallbacks,
        unreadable_turns=unreadable_streak(window),
        unhelped_turns=unhelped(window, lexicon),
        repeat_count=(1 + len(repeated))
        if repeated or latest.intent not in NOT_A_QUESTION or latest.intent == FALLBACK
        else 0,
        repeated_texts=tuple(t.text for t in repeated),
        complaint=latest.intent == COMPLAIN or sarcasm,
        complaints=counts.complaints + len(ironic),
        sarcasm=sarcasm,
        explains_complaint=explains_complaint(latest, window[:-1], lexicon),
        insult=latest.index in abusive,
        insults=len(abusive) + older.insults,
        negative_words=tuple(negative_words),
        shouting=emotions[-1].shouting,
        shouting_score=emotions[-1].shouting_score,
        abusive_words=emotions[-1].profanity,
        message_score=emotions[-1].score,
        frustration=frustration,
        frustration_level=lexicon.level(frustration),
        window_frustration=window_frustration,
        upset_streak=upset_streak(emotions[max(0, len(recent) - len(window)) :], lexicon),
        first_contact=not handover_before
        and not (carry is not None and carry.informative)
        and not any(t.informative for t in earlier_session),
        request_has_description=describes_problem(latest, lexicon),
        pending_description=pending,
        customer_turns=counts.turns,
    )


def _last_intent(applied: list[dict]) -> str | None:
    for event in reversed(applied):
        if event.get("event") == "user":
            return ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return None


def sarcastic_thanks(recent: list[Turn], emotions: list, lexicon: Lexicon) -> list[Turn]:
    """The "thanks" among the recent messages that are complaints said the other way round: a
    thank with an irony marker (lexicon `irony`: 真是, 效率, 呵呵 …) from a customer whose
    frustration before it had reached upset_level ("真是太感谢了 效率真高" after "说好三天到账
    这都第八天了"). A plain "好的谢谢" is thanks, whatever came before."""
    found = []
    for position, turn in enumerate(recent):
        if turn.intent != THANK or not any(marker in turn.normalized for marker in lexicon.irony):
            continue
        if frustration_of(emotions[:position], lexicon) >= lexicon.upset_level:
            found.append(turn)
    return found


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


def decide(
    events: Iterable[Mapping[str, Any]], thresholds: Thresholds | None = None, lexicon: Lexicon | None = None
) -> Decision | None:
    """The escalation decision for the newest events, or None (no opinion).

    Whether the conversation is paused is not looked at here: after a handover the bridge keeps
    the customer's messages from Rasa, and Rasa, paused by the action's `ConversationPaused`,
    predicts nothing (EscalationPolicy is not asked: it checks `tracker.is_paused()` too)."""
    thresholds = thresholds or Thresholds()
    lexicon = lexicon if lexicon is not None else default_lexicon()
    applied, carry = continued(events)
    if not applied:
        return None
    user_index = awaiting_reply(applied)
    if user_index is None:
        last = last_action(applied)
        if last in ESCALATION_ACTIONS or (last == COMPLAINT_REPLY and _last_intent(applied) == THANK):
            return Decision(ACTION_LISTEN)  # after its own answer (a sarcastic thanks included), listen
        return None
    if is_external(applied[user_index]):
        return None
    session = customer_turns(applied, session_start(applied))  # read once: the signals and the rules below
    signals = _signals(applied, lexicon, session, carry)
    if not signals.customer_turns:
        return None

    def handover(reasons: list[tuple[str, str]]) -> Decision:
        return Decision(
            HANDOVER_ACTION, tuple(r for r, _ in reasons), tuple(e for _, e in reasons), signals, thresholds
        )

    if signals.pending_description:
        reasons = [("request_human", "客户一开始就要求人工，已按要求补充问题")]
        return handover(reasons + [r for r in signals.triggers(thresholds) if r[0] != "request_human"])
    if signals.explicit_request:
        if thresholds.ask_description_first and signals.first_contact and not signals.request_has_description:
            return Decision(
                ASK_ACTION, ("ask_description",), ("客户首句就要求人工，先请他描述问题",), signals, thresholds
            )
        if signals.human_requests >= thresholds.human_request_limit:
            return handover([("request_human", request_explanation(signals))] + signals.triggers(thresholds))
        return Decision(
            OFFER_ACTION,
            ("below_request_limit",),
            (f"客户要求人工（{signals.human_requests}/{thresholds.human_request_limit}）",),
            signals,
            thresholds,
        )
    fired = signals.triggers(thresholds)
    if fired:
        return handover(fired)
    if signals.sarcasm:
        # not "不客气": the bot apologises as for a complaint (the next complaint hands over)
        return Decision(
            COMPLAINT_REPLY, ("sarcasm",), ("客户已经不满，这句「谢谢」是反话，按投诉回应",), signals, thresholds
        )
    turns = window_turns(applied, session)
    latest = turns[-1] if turns else None
    older = older_window(applied, carry)
    reported = [t for t in turns[:-1] if PROBLEM_ACTION in t.actions]
    if (reported or older.reported) and latest is not None and continues_problem(latest):
        label = PROBLEM_LABELS.get((problem_of(reported[-1]) if reported else older.problem) or "", "商品问题")
        return handover([("problem_report", f"客户报告了{label}，机器人已回应，客户接着说明")])
    if latest is not None and says_not_helped(latest, lexicon):
        answered = sum(1 for t in turns[:-1] if t.answered) + older.answered
        if answered >= 2:
            # "说来说去都是这几句，没用": the bot answered twice or more and the customer says it did not help
            return handover([("bot_failure", f"机器人答复了{cn(answered)}次，客户说没有用")])
    if thresholds.miss_limit and latest is not None and latest.intent == COMPLAIN:
        run = same_topic_run(turns[:-1])
        if run >= 2:
            # "折腾一晚上了 烦死了" after two answers to the same question: the answers did not help
            return handover([("bot_failure", f"同一个问题机器人答复了{cn(run)}次，客户开始抱怨")])
    if latest is not None and problem_of(latest) and not went_away(latest):
        label = PROBLEM_LABELS.get(problem_of(latest), "商品问题")
        if latest.intent == INSULT or signals.frustration_level != CALM:
            # a defect told by a customer already upset: a person, now
            return handover([("problem_report", f"客户报告了{label}，并且已经不满")])
        if older.understood or any(t.understood for t in turns[:-1]):
            # the bot already answered them in this conversation, and now the thing is broken
            return handover([("problem_report", f"客户报告了{label}，机器人之前的答复没有解决")])
        return Decision(PROBLEM_ACTION, ("problem_report",), (f"客户报告了{label}",), signals, thresholds)
    if latest is not None and unsure(latest, thresholds, turns[-2] if len(turns) > 1 else None):
        # the clarifying question is itself a miss: the one that would reach fallback_limit hands over
        streak = fallback_streak(turns[:-1], pending=True)
        if thresholds.fallback_limit and streak >= thresholds.fallback_limit:
            return handover([("bot_failure", f"机器人连续{cn(streak)}次没把握听懂")])
        misses = unhelped(turns[:-1], lexicon, next_turn=latest) + 1
        if thresholds.miss_limit and misses >= thresholds.miss_limit:
            return handover([("bot_failure", f"机器人连续{cn(misses)}次没帮上忙")])
        return Decision(
            CLARIFY_ACTION,
            ("unsure",),
            (f"没把握理解客户的意思（{latest.intent} {latest.confidence:.2f}），先问清楚",),
            signals,
            thresholds,
        )
    return None


def same_topic_run(turns: list[Turn]) -> int:
    """How many of the last customer messages in a row the bot answered on one topic (the same
    intent, a question it answered): a customer still asking about the earphones' pairing after two
    answers is not helped by them."""
    run, topic = 0, None
    for turn in reversed(turns):
        if not turn.answered or turn.intent in NOT_A_QUESTION or (topic is not None and turn.intent != topic):
            break
        run, topic = run + 1, turn.intent
    return run


def fallback_streak(turns: list[Turn], pending: bool = False) -> int:
    """Customer messages in a row, newest first, the bot did not understand (`Turn.fell_back`),
    plus `pending` (the newest, about to be answered with a clarifying question). Out-of-scope
    messages in the run count too when at least one message of it really fell back: "asdfghjkl"
    (read as out of scope), "啊吧啊吧" (not understood), "ｑｗｅｒ１２３" (not sure) is nonsense three
    times; three honest questions about the weather are not."""
    streak, fell = int(pending), pending
    for turn in reversed(turns):
        if turn.fell_back:
            fell = True
        elif turn.intent != OUT_OF_SCOPE:
            break
        streak += 1
    return streak if fell else 0


def unreadable_streak(turns: list[Turn]) -> int:
    """Customer messages in a row, newest first, the bot could not read at all (`Turn.unreadable`)."""
    streak = 0
    for turn in reversed(turns):
        if not turn.unreadable:
            break
        streak += 1
    return streak


# After the bot answered a reported problem, these do not go on about it ("谢谢", "不用了", "拜拜").
NOT_GOING_ON = frozenset({THANK, "goodbye", "deny", "greet"})


# "好了", "能用了", "不用转人工了": the problem went away (not "修不好了", "还是不行")
SOLVED = re.compile(
    r"(?<![不没])(能用了|正常了|解决了|搞定了|修好了|弄好了|找到了)|(^|[,.!?\s])好了|没事了|没问题了"
    r"|不用转人工|不用人工|不用了"
)


def went_away(turn: Turn) -> bool:
    """The message says the reported problem went away ("换了个插头 好了 不用转人工了")."""
    return turn.intent != HUMAN and bool(SOLVED.search(turn.normalized or ""))


def continues_problem(turn: Turn) -> bool:
    """The customer's next message after the bot answered a reported problem goes on about it —
    an order number, a photo's description, "好的", another detail — unless it only thanks,
    declines or says goodbye, or says the problem went away ("换了个插头 好了 不用转人工了")."""
    if went_away(turn):
        return False
    return turn.intent not in NOT_GOING_ON or bool(problem_of(turn))


# Answers the bot asked for, and messages the bot need not understand word for word to answer well.
CLEAR_ENOUGH = frozenset(
    {HUMAN, "affirm", "deny", "inform_order_id", "inform_phone_last4", "greet", "thank", "goodbye", FALLBACK}
)


def unsure(turn: Turn, thresholds: Thresholds, previous: Turn | None = None) -> bool:
    """The NLU is not sure enough to answer: a typed message (not a button, not an order number)
    whose intent confidence — calibrated, so 0.6 means right six times in ten — is under
    `clarify_below`. nlu_fallback (far below) has its own rule."""
    if not thresholds.clarify_below or turn.payload or turn.confidence is None:
        return False
    if turn.intent in CLEAR_ENOUGH or find_order_ids(turn.normalized):
        return False
    if previous is not None and previous.intent == turn.intent and not previous.fell_back:
        return False  # a follow-up on the topic just answered ("需要提供哪些信息" after the invoice answer)
    return turn.confidence < thresholds.clarify_below
