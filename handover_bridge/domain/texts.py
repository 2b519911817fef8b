"""Everything the bridge itself says to a customer: warm, short, clear."""

from __future__ import annotations

import math

BOT_UNAVAILABLE = "抱歉，智能助手暂时开小差了，正在为您转接人工客服，请稍候。"
BOT_UNAVAILABLE_NO_AGENT = "抱歉，智能助手暂时开小差了。"
NO_AGENT_TICKET = "当前客服都不在线，您可以留言，我们会尽快联系您。"
OUTSIDE_HOURS_TICKET = "现在是非工作时间，客服都已下班。您可以留言，我们上班后会尽快联系您。"
LONG_WAIT_TICKET = "让您久等了，实在抱歉。如果不方便继续等待，您可以留言，我们会尽快联系您。"
AGENT_JOINED = "客服 {name} 已接入，请问有什么可以帮您？"
TRANSFERRED_TO_AGENT = "已为您转接给客服 {name}，请稍候。"
TRANSFERRED_TO_SKILL = "正在为您转接{category}专员，请稍候。"
AGENT_LEFT_REQUEUED = "客服暂时断开了连接，已为您优先重新排队，请稍候。"
WAIT_CANCELLED = "已为您取消排队，智能助手继续为您服务。"
TICKET_RECEIVED = "您的留言已收到，我们会尽快通过 {contact} 联系您。"
CLOSED_TO_BOT = "客服已结束本次服务，智能助手继续为您服务。"
CLOSED_END = "本次服务已结束，感谢您的耐心。"
ASK_RATING = "请为本次服务打分（1–5 分），您的评价能帮助我们做得更好。"
THANKS_RATING = "感谢您的评价！"
TICKET_ANSWERED = "客服回复了您的留言：{reply}"
# protecting agents (services/queue/protection.py): said by the system, never by the agent
ABUSE_WARNING = "我们理解您着急的心情，客服正在尽力帮您解决。为了沟通顺畅，请文明用语，谢谢您的配合。"
ABUSE_BOUNDARY = (
    "请停止使用侮辱性语言。我们愿意继续帮您解决问题，但不接受对客服人员的辱骂；如果继续，本次服务可能会被结束。"
)
CLOSED_FOR_ABUSE = "由于对话中多次出现辱骂，本次服务先到这里。如仍需帮助，欢迎您稍后重新联系我们。"
LEAD_TOOK_OVER = "接下来由客服 {name} 继续为您服务，之前的对话记录都在，您不用重复说明。"


def queue_notice(position: int, eta_seconds: int | None) -> str:
    """ "正在为您转接人工客服,前面还有 {n} 位,预计等待 {m} 分钟"."""
    ahead = max(position - 1, 0)
    if eta_seconds is None:
        return NO_AGENT_TICKET
    head = "正在为您转接人工客服，" + (f"前面还有 {ahead} 位，" if ahead else "您是下一位，")
    if eta_seconds < 60:
        return head + "马上为您接入。"
    return head + f"预计等待 {math.ceil(eta_seconds / 60)} 分钟。"
