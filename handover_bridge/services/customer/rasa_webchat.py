"""rasa-webchat's side of a conversation (the socket.io endpoint in api/socketio_webchat.py is
the transport; nothing here knows socket.io or Sanic).

A rasa-webchat session id stands for one bridge conversation: `<conversation id>.<signature>`,
an HMAC of the id with JIELI_SECRET_KEY, so it is checked without a lookup and cannot be made up.
The conversation's customer token never leaves the bridge. A new, unknown, forged, expired or
closed session gets a new conversation (and a new session id, which rasa-webchat stores).

What the customer wrote goes through the same service as the widget's (ConversationService.send:
stored once, bot turn, escalation, queue). rasa-webchat sends no message ids, so each message gets
one from the socket it came on. `customData` is kept as the conversation's metadata, as the
widget's metadata is: claims, never identity. Only `customData.identity_token`, the shop's signed
token, logs the customer in (identity.verify, as POST …/identity does).

Everything else the conversation says (bot, agent, system) becomes `bot_uttered` payloads with the
exact key sets rasa-webchat renders (`utterances`). What a session has been sent is remembered in
the conversation's metadata (`rasa_webchat.delivered_seq`), so a reconnect gets what it missed from
the store, once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from jieli_contract.channels import RASA_WEBCHAT

from ...domain.errors import ServiceError
from ...domain.states import State
from ...models import Message
from ...repositories import conversations as conversations_repo
from ..infra.frames import message_dict
from .conversations import ConversationService, clean_metadata

CHANNEL = RASA_WEBCHAT  # the conversation's channel (jieli_contract/channels.py, conversations.channel)
META_KEY = "rasa_webchat"  # {"delivered_seq": N}: the newest seq a session of it was sent
IDENTITY_FIELD = "identity_token"  # customData's one trusted field: the shop's signed token
SESSION_ID = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{32})$")
ENDED_STATES = frozenset({State.CLOSED})
AGENT_LABEL = "人工客服"
# rasa-webchat shows bot text as Markdown (remark in GFM mode, raw HTML as text, links of any scheme):
# what the bridge sends shows exactly as written instead, never as a link, emphasis, list or tag.
# "&", "<" and ">" become entities (remark decodes them; a backslash would show inside an HTML
# tag), the rest of Markdown's punctuation is escaped with a backslash.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text.translate(_ENTITIES))


class RasaWebchat:
    def __init__(self, secret_key: str, conversations: ConversationService):
        self._key = hashlib.sha256(b"jieli rasa_webchat session\0" + secret_key.encode()).digest()
        self.conversations = conversations

    # ---- session ids ---------------------------------------------------------------------------

    def session_id_for(self, conversation_id: str) -> str:
        mac = hmac.new(self._key, conversation_id.encode(), hashlib.sha256).digest()
        return f"{conversation_id}.{base64.urlsafe_b64encode(mac[:24]).decode()}"

    def conversation_of(self, session_id: Any) -> str | None:
        """The conversation a session id stands for, or None (not one the bridge signed)."""
        if not isinstance(session_id, str):
            return None
        match = SESSION_ID.match(session_id)
        if match is None:
            return None
        return match.group(1) if hmac.compare_digest(self.session_id_for(match.group(1)), session_id) else None

    async def open(self, session_id: Any) -> tuple[str, str, bool]:
        """session_request: (conversation id, session id, resumed). A session that names a live
        conversation resumes it; anything else starts a new conversation."""
        conversation_id = self.conversation_of(session_id)
        if conversation_id is not None and await self.usable(conversation_id):
            return conversation_id, session_id, True
        conversation_id, _token, _identity = await self.conversations.create({}, channel=CHANNEL)
        return conversation_id, self.session_id_for(conversation_id), False

    async def usable(self, conversation_id: str) -> bool:
        """Not expired (JIELI_CUSTOMER_IDLE_HOURS), not closed, still there."""
        try:
            await self.conversations.check_active(conversation_id)
            view = await self.conversations.view(conversation_id)
        except ServiceError:
            return False
        return view["state"] not in ENDED_STATES

    # ---- what the customer sends ---------------------------------------------------------------

    async def take_custom_data(self, conversation_id: str, custom_data: Any) -> None:
        """customData with a message: kept as the conversation's metadata (claims; the keys only the
        bridge writes are dropped); its `identity_token`, if any, is verified as the widget's is."""
        if custom_data is None or custom_data == {}:
            return
        data = clean_metadata(custom_data)
        token = data.pop(IDENTITY_FIELD, None)
        async with self.conversations.ctx.db.write() as session:
            await conversations_repo.merge_claims(session, conversation_id, {"custom_data": data})
        if token is not None:
            await self.conversations.log_in(conversation_id, token)

    # ---- what the session has been sent --------------------------------------------------------

    async def delivered(self, conversation_id: str) -> int:
        view = await self.conversations.view(conversation_id)
        mark = (view.get("metadata") or {}).get(META_KEY)
        seq = mark.get("delivered_seq") if isinstance(mark, dict) else None
        return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else 0

    async def mark_delivered(self, conversation_id: str, seq: int) -> None:
        async with self.conversations.ctx.db.write() as session:
            await conversations_repo.raise_mark(session, conversation_id, META_KEY, "delivered_seq", seq)


def utterances(message: Message | dict[str, Any]) -> list[dict[str, Any]]:
    """A stored message as rasa-webchat's `bot_uttered` payloads (none for the customer's own).
    rasa-webchat renders a payload only when its keys are exactly one of its shapes: `{"text"}`,
    `{"text", "quick_replies"}`, `{"attachment"}`; `metadata` is read and then removed before that
    check, so the bridge's facts (seq, sender) go there."""
    data = message_dict(message) if isinstance(message, Message) else message
    sender = data.get("sender")
    if sender not in ("bot", "agent", "system"):
        return []
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
    text = data.get("text") or ""
    meta: dict[str, Any] = {"jieli": {"seq": data.get("seq"), "sender": sender}}
    if sender == "agent":
        name = (payload.get("agent") or {}).get("display_name") if isinstance(payload.get("agent"), dict) else None
        meta["jieli"]["agent"] = name
    out: list[dict[str, Any]] = []
    if sender == "bot":
        buttons = _quick_replies(payload.get("quick_replies") or payload.get("buttons"))
        if buttons:
            out.append({"text": escape_markdown(text), "quick_replies": buttons})
        elif text:
            out.append({"text": escape_markdown(text)})
        image = payload.get("image")
        if isinstance(image, str) and image.startswith(("https://", "http://")):
            out.append({"attachment": {"type": "image", "payload": {"src": image, "title": ""}}})
        attachment = payload.get("attachment")
        if isinstance(attachment, dict):
            out.append({"attachment": attachment})
        custom = payload.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
            out.append(dict(custom["data"]))  # what Rasa's socket.io channel emits for custom.data
        elif custom is not None:
            out.append({"custom": custom})
    elif sender == "agent":
        out.append({"text": escape_markdown(f"{AGENT_LABEL}{(' ' + name) if name else ''}：{text}")})
    elif text:  # system: queue position, 已为您转接, hand back, the rating question …
        if payload.get("type") == "rating_request":
            scale = [n for n in payload.get("scale") or [] if isinstance(n, int)] or [1, 2, 3, 4, 5]
            out.append({"text": escape_markdown(text), "quick_replies": [_reply(f"{n} 分", str(n)) for n in scale]})
        else:
            out.append({"text": escape_markdown(text)})
    for item in out:
        item["metadata"] = meta
    return out


def _reply(title: str, payload: str) -> dict[str, str]:
    return {"content_type": "text", "title": title, "payload": payload}


def _quick_replies(buttons: Any) -> list[dict[str, str]]:
    if not isinstance(buttons, list):
        return []
    out = []
    for button in buttons:
        if isinstance(button, dict) and isinstance(button.get("title"), str):
            payload = button.get("payload")
            out.append(_reply(button["title"], payload if isinstance(payload, str) else button["title"]))
    return out
