"""What a 微信客服 message becomes in the bridge, and what a bridge message becomes for
kf/send_msg. Pure functions, no I/O.

Inbound (kf/sync_msg's msg_list, origin 3 = the customer): text as typed (a msgmenu click carries
the clicked item's id: the button's payload); an image, a voice or a file as a short description
with its media_id kept in the message's payload (the console shows a link, never the media);
a link as its title and URL, as text; a location as its name and address.

Outbound: a text message, or `msgmenu` when the bot offers buttons (quick replies); content is
cut to what WeChat accepts (2048 bytes of text; 10 menu items; an item's id 128 bytes, its
content 128 bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TEXT_BYTES = 2048
HEAD_BYTES = 1024
MENU_ITEMS = 10
MENU_ID_BYTES = 128
MENU_CONTENT_BYTES = 128
RATING_PREFIX = "jieli_rating:"  # a rating menu the bridge itself sent (ids jieli_rating:1 … :5)

MEDIA_LABELS = {
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "file": "文件",
    "miniprogram": "小程序",
    "business_card": "名片",
    "channels_shop_product": "商品",
    "channels_shop_order": "订单",
    "channels": "视频号",
}
# System messages a WeChat customer never gets: notes for agents, widget-only prompts.
NOT_SENT = frozenset({"delivery_failed"})


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (whole characters; "…" when cut)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: limit - 3].decode("utf-8", errors="ignore")
    return cut + "…"


@dataclass(frozen=True)
class Inbound:
    """A customer's message as the bridge stores it: text, a button payload (a menu click), the
    media it carried (kept as data in the message payload), a rating (a rating-menu click)."""

    text: str
    button: str | None = None
    media: dict[str, Any] | None = None
    rating: int | None = None


def inbound(msg: dict[str, Any]) -> Inbound | None:
    """A customer message of kf/sync_msg as the bridge stores it (None: nothing to store)."""
    kind = msg.get("msgtype")
    if kind == "text":
        text = msg.get("text") or {}
        content = str(text.get("content") or "")
        menu_id = text.get("menu_id")
        if isinstance(menu_id, str) and menu_id.startswith(RATING_PREFIX):
            score = menu_id[len(RATING_PREFIX) :]
            if score in {"1", "2", "3", "4", "5"}:
                return Inbound(content or f"{score} 分", rating=int(score))
        if isinstance(menu_id, str) and menu_id.startswith("/"):
            return Inbound(content or menu_id, button=menu_id)
        return Inbound(content) if content.strip() else None
    if kind == "link":
        link = msg.get("link") or {}
        title, url = str(link.get("title") or "").strip(), str(link.get("url") or "").strip()
        desc = str(link.get("desc") or "").strip()
        lines = [f"[链接] {title or url}"] + ([desc] if desc else []) + ([url] if url else [])
        return Inbound("\n".join(lines), media={"type": "link", "title": title, "url": url})
    if kind == "location":
        loc = msg.get("location") or {}
        place = " ".join(str(loc.get(k) or "").strip() for k in ("name", "address")).strip()
        return Inbound(
            f"[位置] {place or '顾客分享了一个位置'}",
            media={"type": "location", "latitude": loc.get("latitude"), "longitude": loc.get("longitude")},
        )
    if kind in MEDIA_LABELS:
        body = msg.get(kind) or {}
        media_id = body.get("media_id") if isinstance(body, dict) else None
        label = MEDIA_LABELS[kind]
        return Inbound(
            f"[{label}] 顾客发来一个{label}" if kind != "image" else "[图片] 顾客发来一张图片",
            media={"type": kind, "media_id": media_id} if media_id else {"type": kind},
        )
    return None


def outbound(message: Any, touser: str, open_kfid: str, msgid: str) -> dict[str, Any] | None:
    """The kf/send_msg body of a stored bridge message (bot, agent or system); None when it is
    not for the customer (agent notes, widget-only frames)."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    if payload.get("type") in NOT_SENT:
        return None
    text = message.text or ""
    base = {"touser": touser, "open_kfid": open_kfid, "msgid": msgid}
    buttons = _buttons(payload)
    if message.sender == "system" and payload.get("type") == "rating_request":
        scale = payload.get("scale") or [1, 2, 3, 4, 5]
        buttons = [(f"{n} 分", f"{RATING_PREFIX}{n}") for n in scale if str(n) in {"1", "2", "3", "4", "5"}]
    if buttons:
        items = [
            {"type": "click", "click": {"id": clip(pid, MENU_ID_BYTES), "content": clip(title, MENU_CONTENT_BYTES)}}
            for title, pid in buttons[:MENU_ITEMS]
        ]
        return {**base, "msgtype": "msgmenu", "msgmenu": {"head_content": clip(text, HEAD_BYTES), "list": items}}
    if not text.strip():
        return None  # a custom payload without text: nothing WeChat can show
    return {**base, "msgtype": "text", "text": {"content": clip(text, TEXT_BYTES)}}


def _buttons(payload: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for key in ("buttons", "quick_replies"):
        for item in payload.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("payload"), str) and item["payload"].startswith("/"):
                found.append((str(item.get("title") or item["payload"]), item["payload"]))
    return found


def is_jieli_queue(message: Any) -> bool:
    """A notice about Jieli's own queue: the position, the offer to leave a message."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    return message.sender == "system" and payload.get("type") in ("queue", "ticket_offer")


def is_queue_notice(message: Any) -> bool:
    payload = message.payload if isinstance(message.payload, dict) else {}
    return message.sender == "system" and payload.get("type") == "queue"
