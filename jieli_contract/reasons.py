"""Why a conversation reached a person: the handover reason codes, with Chinese labels and a
one-line explanation each, and which one names a handover when several fired."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    explanation: str


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        # given by the escalation rules (jieli_dialogue.signals) and sent by action_handover
        Reason("request_human", "顾客要求人工", "顾客明确要求转人工客服（说了“人工客服”或点了转人工按钮）"),
        Reason("problem_report", "商品问题", "顾客报告了收到的商品有问题，机器人回应后顾客还在说明"),
        Reason("bot_failure", "机器人没能理解", "机器人连续几次没听懂、没帮上忙，或顾客说答复没有用"),
        Reason("repeated_question", "重复提问", "同一个问题顾客问了好几遍，机器人的回答没有解决"),
        Reason("complaint", "顾客投诉", "顾客投诉，机器人回应后顾客仍不满意"),
        Reason("abuse", "情绪激动", "顾客多次出言辱骂，已标记，可屏蔽"),
        Reason("frustration", "顾客不满", "顾客的情绪越来越差，已到愤怒"),
        # given by the bridge only
        Reason("bot_unavailable", "机器人故障", "智能助手暂时不可用，由人工直接接待"),
        Reason("transfer", "同事转接", "另一位客服把会话转给了这个技能组"),
        Reason("agent_dropped", "客服掉线", "原来的客服掉线了，会话回到队列最前面"),
    )
}

# The order in which a handover's first reason is chosen when several fired (action_handover).
REASON_PRIORITY: tuple[str, ...] = (
    "request_human",
    "problem_report",
    "bot_failure",
    "repeated_question",
    "complaint",
    "abuse",
    "frustration",
)
# What only the bridge itself says (the bot is down): an action that claims it is not believed.
# (transfer and agent_dropped are the bridge's requeue reasons; no handover body carries them.)
BRIDGE_ONLY_REASONS: frozenset[str] = frozenset({"bot_unavailable"})
DEFAULT_REASON = "request_human"


def first_reason(codes: list[str] | tuple[str, ...]) -> str:
    """The reason that names a handover: the first of REASON_PRIORITY among `codes`, else the
    first code, else request_human."""
    return next((code for code in REASON_PRIORITY if code in codes), codes[0] if codes else DEFAULT_REASON)


def reason_label(code: str) -> str:
    reason = REASONS.get(code)
    return reason.label if reason else code


# The reasons a handover body (POST /api/handovers) may carry.
HANDOVER_REASONS: tuple[str, ...] = REASON_PRIORITY + ("bot_unavailable",)
