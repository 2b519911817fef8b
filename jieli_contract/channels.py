"""Where a customer talks to the shop: the conversation's channel (the bridge's
`conversations.channel`) and the short label the agent's card shows for it."""

from __future__ import annotations

WEB = "web"  # the bridge's own widget
WECHAT = "wechat"  # 企业微信 微信客服
RASA_WEBCHAT = "rasa_webchat"  # an existing rasa-webchat widget on the bridge's socket.io endpoint

CHANNEL_LABELS: dict[str, str] = {
    WEB: "网页",
    WECHAT: "微信",
    RASA_WEBCHAT: "网页",
}


def channel_label(channel: str | None) -> str:
    """The card's label of a channel (an unknown one: its code; none: the web widget)."""
    return CHANNEL_LABELS.get(channel or WEB, str(channel))
