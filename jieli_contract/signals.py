"""The escalation signals an agent sees on the handover card (the `name`s of
`context.signals.observed`, jieli_dialogue.signals `Signals.observed`), and the frustration levels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    name: str
    label: str
    explanation: str


SIGNALS: dict[str, Signal] = {
    s.name: s
    for s in (
        Signal("pending_description", "补充了问题", "顾客一开始就要求人工，机器人请他先说说问题，这是他的回答"),
        Signal("explicit_request", "要求人工", "顾客明确要求人工客服"),
        Signal("human_requests", "多次要求人工", "顾客不止一次要求人工客服"),
        Signal("consecutive_fallbacks", "机器人没听懂", "机器人连续没听懂顾客的话"),
        Signal("unreadable_turns", "消息无法识别", "连续几条消息机器人完全无法识别（乱码、没有文字或语音转写不成句）"),
        Signal("unhelped_turns", "机器人没帮上忙", "机器人连续几次没帮上忙：没听懂、答非所问或顾客说没用"),
        Signal("repeated_question", "重复提问", "同一个问题顾客问了好几遍"),
        Signal("complaint", "投诉", "顾客在投诉"),
        Signal("explains_complaint", "说明了投诉", "顾客投诉后，按机器人的请求说明了情况"),
        Signal("sarcasm", "反话", "顾客已经不满，这句“谢谢”是反话"),
        Signal("insult", "辱骂", "顾客出言辱骂，已标记，可屏蔽"),
        Signal("negative_emotion", "负面用语", "顾客用了表达不满的词语"),
        Signal("shouting", "语气激动", "连续的感叹号、问号或重复的字词"),
        Signal("profanity", "不文明用语", "最近一条消息含不文明用语，已标记"),
        Signal("frustration", "情绪", "根据最近几条消息估计的顾客情绪"),
    )
}


def signal_label(name: str) -> str:
    signal = SIGNALS.get(name)
    return signal.label if signal else name


# ---- frustration levels: 平静 < 0.3 ≤ 不满 < 0.7 ≤ 愤怒 (a score from 0 to 1) ---------------------


@dataclass(frozen=True)
class FrustrationLevel:
    code: str
    label: str
    min: float


CALM, UPSET, ANGRY = "平静", "不满", "愤怒"
UPSET_MIN = 0.3
ANGRY_MIN = 0.7
FRUSTRATION_LEVELS: tuple[FrustrationLevel, ...] = (
    FrustrationLevel("calm", CALM, 0.0),
    FrustrationLevel("upset", UPSET, UPSET_MIN),
    FrustrationLevel("angry", ANGRY, ANGRY_MIN),
)
LEVEL_CODES: dict[str, str] = {level.label: level.code for level in FRUSTRATION_LEVELS}


def frustration_level(score: float, upset_min: float = UPSET_MIN, angry_min: float = ANGRY_MIN) -> str:
    """The Chinese label of a frustration score (平静 / 不满 / 愤怒)."""
    if score >= angry_min:
        return ANGRY
    if score >= upset_min:
        return UPSET
    return CALM
