"""The signals for the newest customer message as a record (`Signals`), and how they read to the
agent: the signals present (`observed`), the rules that fire (`triggers`) and the request line, each
with a short Chinese explanation (see the package docstring)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .lexicon import CALM, LEVEL_CODES
from .thresholds import Thresholds

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
    unreadable_turns: int = 0  # messages in a row the bot could not read at all (Turn.unreadable)
    unhelped_turns: int = 0
    repeat_count: int = 0
    repeated_texts: tuple[str, ...] = ()
    complaint: bool = False
    complaints: int = 0
    explains_complaint: bool = False
    sarcasm: bool = False  # the newest message is a "thanks" that is a complaint (irony)
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
    upset_streak: int = 0  # messages in a row, each itself negative, the customer at 不满 or more
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
        if self.unreadable_turns >= 2:
            add(
                "unreadable_turns", f"连续{cn(self.unreadable_turns)}条消息无法识别（乱码、无文字内容或语音转写不成句）"
            )
        if self.unhelped_turns >= 2 and self.unhelped_turns > self.consecutive_fallbacks:
            add("unhelped_turns", f"机器人连续{cn(self.unhelped_turns)}次没帮上忙（没听懂、答非所问或客户说没用）")
        if self.repeat_count >= 2:
            add("repeated_question", f"同一个问题问了{cn(self.repeat_count)}遍")
        if self.complaints:
            add("complaint", "客户投诉" + (f"（{cn(self.complaints)}次）" if self.complaints > 1 else ""))
        if self.explains_complaint:
            add("explains_complaint", "客户投诉后按机器人的请求说明了情况")
        if self.sarcasm:
            add("sarcasm", "客户已经不满，这句「谢谢」是反话")
        if self.insults:
            add(
                "insult",
                "客户出言辱骂" + (f"（{cn(self.insults)}次）" if self.insults > 1 else "") + "，已标记，可屏蔽",
            )
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
        if thresholds.unreadable_limit and self.unreadable_turns >= thresholds.unreadable_limit:
            # nothing to clarify: a person reads garbled text and broken voice input better than a bot
            fired.append(("bot_failure", f"连续{cn(self.unreadable_turns)}条消息机器人完全无法识别"))
        elif thresholds.fallback_limit and self.consecutive_fallbacks >= thresholds.fallback_limit:
            fired.append(("bot_failure", f"机器人连续{cn(self.consecutive_fallbacks)}次没听懂"))
        elif (
            thresholds.miss_limit
            and self.unhelped_turns >= thresholds.miss_limit
            and self.unhelped_turns > self.consecutive_fallbacks
        ):  # pure fallbacks: fallback_limit
            fired.append(("bot_failure", f"机器人连续{cn(self.unhelped_turns)}次没帮上忙"))
        if thresholds.repeat_limit and self.repeat_count >= thresholds.repeat_limit:
            fired.append(("repeated_question", f"同一个问题问了{cn(self.repeat_count)}遍"))
        if thresholds.complaint_limit and self.complaints >= thresholds.complaint_limit and self.complaint:
            fired.append(("complaint", f"客户{cn(self.complaints)}次投诉"))
        elif (
            thresholds.complaint_limit and self.explains_complaint and self.complaints + 1 >= thresholds.complaint_limit
        ):
            fired.append(("complaint", "客户投诉，并说明了情况"))
        if thresholds.insult_limit and self.insults >= thresholds.insult_limit and self.insult:
            fired.append(("abuse", f"客户{cn(self.insults)}次出言辱骂（已标记，可屏蔽）"))
        elif (
            thresholds.insult_limit
            and self.insult
            and self.complaints
            and self.insults + self.complaints >= thresholds.insult_limit
        ):
            # a complaint first, then abuse: the calm reply was for someone venting once
            fired.append(("abuse", "客户投诉后又出言辱骂（已标记，可屏蔽）"))
        if thresholds.frustration_threshold and self.window_frustration >= thresholds.frustration_threshold:
            fired.append(("frustration", f"客户情绪{self.frustration_level}"))
        elif thresholds.upset_limit and self.upset_streak >= thresholds.upset_limit:
            # impatience that does not let up: no one message is anger, three in a row are
            fired.append(("frustration", f"客户连续{cn(self.upset_streak)}条消息都表达不满"))
        return fired


def request_explanation(signals: Signals) -> str:
    """ "客户要求转人工", "客户连续两次要求人工", "客户三次要求人工"."""
    if signals.consecutive_requests >= 2:
        return f"客户连续{cn(signals.consecutive_requests)}次要求人工"
    if signals.requests_since_resume >= 2:
        return f"客户{cn(signals.requests_since_resume)}次要求人工"
    return "客户要求转人工"
