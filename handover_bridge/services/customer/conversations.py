"""The customer's side of a conversation: create, send (bot turns), history, typing, cancel the
wait, rate.

Sending is idempotent per `client_msg_id`: the first send stores the message (status `pending`
while the bot turn runs) and the replies it produced (`reply_to` = its seq); a retry returns the
same stored message and the same replies, waiting for the first call if it is still in flight.
Rasa is called once. No database session is held while Rasa works (the action server calls
back into the bridge during that time, and SQLite has a single writer). The bot turn itself —
Rasa's replies, Rasa down, a retry waiting for or taking over a turn — is in bot_turns.py, and
who may open a conversation (its token, the idle expiry, the shop's identity, the rate limit) in
access.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from ...db import DuplicateKey
from ...domain import abuse, identity, states, texts
from ...domain.errors import Conflict, Invalid, NotFound, TooLarge
from ...domain.states import State
from ...models import Message, utcnow
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ...repositories import turns as turns_repo
from ..infra.frames import message_events, state_frame, topics
from ..infra.security import new_conversation_id, new_token, token_hash
from ..queue.protection import ProtectionService
from ..queue.queue import QueueService
from ..wiring.context import Context
from .access import CustomerAccess
from .bot import BotUnavailable
from .bot_turns import BOT_DOWN_NOTICES, BotTurns, rasa_message
from .handover import HandoverService

log = logging.getLogger("handover_bridge.conversations")

__all__ = ["BOT_DOWN_NOTICES", "ConversationService", "clean_metadata", "rasa_message"]

MAX_METADATA_BYTES = 8 * 1024
MAX_CLIENT_MSG_ID = 64
MAX_PAYLOAD_CHARS = 256
# Button payloads the widget itself sends whatever the bot said (its 转人工 button). Any other
# payload must be one the bot offered in this conversation (the buttons of its newest messages).
WIDGET_PAYLOADS = frozenset({"/request_human"})
OFFERED_LOOKBACK = 20  # bot messages with buttons searched for an offered payload


class ConversationService(CustomerAccess, BotTurns):
    def __init__(self, ctx: Context, queue: QueueService, handovers: HandoverService):
        self.ctx = ctx
        self.queue = queue
        self.handovers = handovers
        self._inflight: dict[tuple[str, int], asyncio.Future] = {}
        self.protection: ProtectionService | None = None  # answers abuse to an agent (container)
        # conversation id → (token hash, last activity seen): the hash never changes
        self._token_hashes: dict[str, tuple[str, datetime]] = {}

    # ---- identity ----------------------------------------------------------------------------

    async def create(
        self, metadata: Any, identity_token: Any = None, *, channel: str = "web"
    ) -> tuple[str, str, dict[str, Any]]:
        """A new conversation: (id, customer token, identity record). The widget's metadata is kept
        as it came (claims, never identity); `identity_token`, when given, must be a valid token
        of the shop (identity.verify: 400 invalid_identity otherwise, and nothing is created).
        `channel`: where the customer is (services/channels; the widget is "web")."""
        metadata = clean_metadata(metadata)
        record = None
        if identity_token is not None:
            record = self._verify_identity(identity_token, None).record()
        metadata = identity.with_identity(metadata, record)
        conversation_id, token = new_conversation_id(), new_token()
        digest = token_hash(self.ctx.settings.secret_key, token)
        async with self.ctx.db.raw() as tx:
            await turns_repo.create_conversation(tx, conversation_id, digest, metadata, channel)
        self._remember(conversation_id, digest, utcnow())
        if record:
            log.info(
                "identity verified",
                extra={
                    "fields": {"conversation_id": conversation_id, "customer_id": record["customer_id"], "at": "create"}
                },
            )
        return conversation_id, token, metadata[identity.METADATA_KEY]

    # ---- reading -----------------------------------------------------------------------------

    async def view(self, conversation_id: str) -> dict[str, Any]:
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            result: dict[str, Any] = {
                "conversation_id": conversation.id,
                "state": conversation.state,
                "metadata": conversation.meta,
                "last_seq": conversation.next_seq,
                "channel": conversation.channel,
            }
            if conversation.state == State.QUEUED and conversation.handover_id:
                snap = await self.queue.snapshot(session)
                handover = await handovers_repo.get(session, conversation.handover_id)
                estimate = snap.estimate(handover)
                result["queue"] = {
                    "position": estimate.position,
                    "eta_seconds": estimate.eta_seconds,
                    "agents_online": estimate.agents_online,
                }
            if conversation.state == State.ASSIGNED and conversation.agent_id:
                names = await handovers_repo.agent_names(session, [conversation.agent_id])
                result["agent"] = {"display_name": names.get(conversation.agent_id)}
        return result

    async def history(self, conversation_id: str, after: int = 0, limit: int = 500) -> tuple[str, list[Message]]:
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            return conversation.state, await messages_repo.after(session, conversation_id, after, limit)

    async def last_seq(self, conversation_id: str) -> int:
        """The seq of the conversation's newest message (0: none yet)."""
        async with self.ctx.db.read() as session:
            return await messages_repo.last_seq(session, conversation_id)

    # ---- sending -----------------------------------------------------------------------------

    def validate_text(self, text: Any) -> str:
        if not isinstance(text, str):
            raise Invalid("text must be a string", "invalid_text")
        if not text.strip():
            raise Invalid("消息不能为空。", "empty_message")
        limit = self.ctx.settings.max_message_chars
        if len(text) > limit:
            raise TooLarge(f"消息太长了，请控制在 {limit} 字以内。")
        return text

    @staticmethod
    def validate_client_msg_id(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_MSG_ID:
            raise Invalid(
                f"client_msg_id must be a string of 1–{MAX_CLIENT_MSG_ID} characters", "invalid_client_msg_id"
            )
        return value

    async def check_button(self, conversation_id: str, payload: Any) -> dict[str, Any] | None:
        """A quick-reply button the customer pressed: its payload (`/intent{...}`) may reach Rasa
        as an intent only if the widget always offers it (WIDGET_PAYLOADS) or the bot offered it
        in this conversation. Returns what is stored with the message."""
        if payload is None:
            return None
        if not isinstance(payload, str) or not payload.startswith("/") or len(payload) > MAX_PAYLOAD_CHARS:
            raise Invalid(
                f'payload must be a button payload ("/…", at most {MAX_PAYLOAD_CHARS} characters)', "invalid_payload"
            )
        if payload not in WIDGET_PAYLOADS:
            async with self.ctx.db.read() as session:
                offered = await messages_repo.bot_payloads(session, conversation_id, OFFERED_LOOKBACK)
            if not any(_offers(item, payload) for item in offered):
                raise Invalid("this button was not offered in this conversation", "payload_not_offered")
        return {"type": "button", "payload": payload}

    async def send(
        self,
        conversation_id: str,
        text: Any,
        client_msg_id: Any = None,
        payload: Any = None,
        *,
        attachment: dict[str, Any] | None = None,
    ) -> tuple[str, list[Message]]:
        """Store a customer message and run what it causes. Returns the conversation state and
        the stored message followed by every message it produced. The text is stored exactly as
        sent and reaches Rasa as text (a leading "/" included); `payload`, a button's payload
        (check_button), is what Rasa gets instead when the customer pressed a button.
        Whether the message goes to Rasa at all is decided here, once, by the state machine
        (states.goes_to_bot: only in bot mode — the post-handover silence; Rasa's pause is the
        second fence, docs/bridge.md). `attachment`: what an outside channel's message carried
        besides its text (an image's media id, a link: services/channels), stored as the payload
        when it is not a button; data for the console, never sent to Rasa."""
        text = self.validate_text(text)
        client_msg_id = self.validate_client_msg_id(client_msg_id)
        button = await self.check_button(conversation_id, payload)
        stored, state, agent_id, meta = await self._store_customer_message(
            conversation_id, text, client_msg_id, button or attachment
        )
        if stored is None:  # a retry: answer as the first time
            return await self._replay(conversation_id, client_msg_id)
        message = stored
        self.ctx.metrics.messages.labels("customer").inc()
        if message.abusive:
            self.ctx.metrics.abusive_messages.labels(state, str(agent_id or "")).inc()
        await self.ctx.publish(message_events(conversation_id, agent_id, [message]))
        if state == State.QUEUED:
            await self.queue.add_waiting_message(
                conversation_id,
                {
                    "seq": message.seq,
                    "text": message.text,
                    "created_at": message.created_at.isoformat() if message.created_at else None,
                },
                bool(message.abusive),
            )
        if not states.goes_to_bot(state):  # handed over: the customer talks to people now
            notes = []
            if message.abusive and state == State.ASSIGNED and self.protection is not None:
                notes = await self.protection.customer_abuse(conversation_id, message)  # warning, boundary
            return state, [message, *notes]
        state, produced = await self._run_bot_turn(conversation_id, message, meta)
        return state, [message, *produced]

    async def _store_customer_message(
        self, conversation_id: str, text: str, client_msg_id: str | None, button: dict[str, Any] | None = None
    ):
        """One short transaction: take a seq (the same UPDATE tells the state) and insert. A
        duplicate client_msg_id fails the insert on its unique key: then it is a retry."""
        try:
            async with self.ctx.db.raw(single_statement=True) as tx:
                counter, message = await turns_repo.store_customer_message(
                    tx, conversation_id, text, client_msg_id, abuse.is_abusive(text), button
                )
        except DuplicateKey:  # this client_msg_id is stored already
            if not client_msg_id:
                raise
            return None, None, None, None
        if counter is None:
            async with self.ctx.db.read() as session:
                if await conversations_repo.get(session, conversation_id) is None:
                    raise NotFound("conversation not found")
            raise Conflict("本次会话已结束，请开始新的会话。", "conversation_closed")
        return message, counter.state, counter.agent_id, counter.metadata

    # ---- other customer actions ----------------------------------------------------------------

    async def typing(self, conversation_id: str) -> None:
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
        if conversation is not None and conversation.state == State.ASSIGNED:
            await self.ctx.publish(
                [
                    (
                        topics(conversation_id, conversation.agent_id),
                        {"type": "typing", "conversation_id": conversation_id, "sender": "customer"},
                    )
                ]
            )

    async def cancel_wait(self, conversation_id: str) -> tuple[str, list[Message]]:
        """The customer gives up waiting: back to the bot, and Rasa is resumed."""
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            if not await conversations_repo.transition(
                session,
                conversation_id,
                [State.QUEUED],
                State.BOT,
                actor="customer",
                handover_id=None,
                detail={"reason": "cancel_wait"},
            ):
                raise Conflict("the conversation is not waiting for an agent", "not_queued")
            await handovers_repo.update_fields(
                session, conversation.handover_id, closed_at=utcnow(), resolution="cancelled_by_customer"
            )
            notice = await messages_repo.append(session, conversation_id, "system", texts.WAIT_CANCELLED)
        self.ctx.metrics.messages.labels("system").inc()
        await self.ctx.publish(
            [
                *message_events(conversation_id, None, [notice]),
                (topics(conversation_id, agents=True), state_frame(conversation_id, State.BOT)),
            ]
        )
        await self._resume_bot(conversation_id)
        await self.queue.maintain()
        return State.BOT, [notice]

    async def _resume_bot(self, conversation_id: str) -> None:
        try:
            await self.ctx.bot.resume(conversation_id)
        except BotUnavailable as error:
            log.warning("could not resume the Rasa conversation: %s", error)

    async def rate(self, conversation_id: str, score: Any) -> Message:
        if isinstance(score, bool) or str(score).strip() not in {"1", "2", "3", "4", "5"}:
            raise Invalid("score must be a whole number from 1 to 5", "invalid_score")
        score = int(score)
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            handover = await handovers_repo.latest_closed(session, conversation_id)
            if handover is None or handover.agent_id is None:
                raise Conflict("there is no finished chat with an agent to rate", "nothing_to_rate")
            await handovers_repo.update_fields(session, handover.id, rating=score)
            thanks = await messages_repo.append(
                session,
                conversation_id,
                "system",
                texts.THANKS_RATING,
                payload={"type": "rating_received", "score": score},
            )
        self.ctx.metrics.messages.labels("system").inc()
        await self.ctx.publish(message_events(conversation_id, None, [thanks]))
        return thanks


def _offers(payload: dict[str, Any], wanted: str) -> bool:
    """Whether a bot message's payload has a button (or quick reply) with this payload."""
    for key in ("buttons", "quick_replies"):
        items = payload.get(key)
        if isinstance(items, list) and any(isinstance(b, dict) and b.get("payload") == wanted for b in items):
            return True
    return False


def clean_metadata(metadata: Any) -> dict[str, Any]:
    """Widget metadata (customer id, tier, current order, page …): a small JSON object."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise Invalid("metadata must be a JSON object", "invalid_metadata")
    if len(json.dumps(metadata, ensure_ascii=False)) > MAX_METADATA_BYTES:
        raise TooLarge(f"metadata is larger than {MAX_METADATA_BYTES} bytes", "metadata_too_large")
    return metadata
