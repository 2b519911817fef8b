"""The summary an agent reads in five seconds:
"客户诉求：… / 订单号：… / 机器人已答复：… / 转人工原因：… / 情绪：…"."""

from __future__ import annotations

import re

from .transcript import clip, first_sentence

SUMMARY_PROBLEM_CHARS = 60
SUMMARY_ANSWER_CHARS = 60
_ASKS_ORDER_ID = re.compile(r"(发|告诉|提供|输入|给)(一下)?(我)?(您的)?订单号")


def summary_of(wants: str, order_ids: list[str], answers: list[dict], explanations: list[str], level: str) -> str:
    """ "客户诉求：… / 订单号：… / 机器人已答复：… / 转人工原因：… / 情绪：…" — readable in five seconds."""
    wants = wants or "（客户还没有描述问题）"
    useful = [a for a in answers if not _ASKS_ORDER_ID.search(a["text"])] or answers
    answered = first_sentence(useful[-1]["text"], SUMMARY_ANSWER_CHARS) if useful else "还没有给出具体答复"
    return " / ".join(
        [
            f"客户诉求：{clip(wants, SUMMARY_PROBLEM_CHARS)}",
            f"订单号：{'、'.join(order_ids) if order_ids else '无'}",
            f"机器人已答复：{answered}",
            f"转人工原因：{'；'.join(e for e in explanations if e) or '客户要求转人工'}",
            f"情绪：{level}",
        ]
    )
