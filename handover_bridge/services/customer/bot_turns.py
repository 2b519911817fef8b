"""A customer message's bot turn (ConversationService inherits it): Rasa's replies stored with
`reply_to` = the message's seq; Rasa down (say so once, then hand over or offer a ticket); a
retried send waiting for the first attempt, or taking over the turn of a process that died.

Only messages that states.goes_to_bot lets through get here (ConversationService.send), and a
turn taken over re-checks it: after a handover nothing reaches Rasa (docs/bridge.md,
"Post-handover silence").
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ...domain import handover_claims as claims
from ...domain import identity, states, texts
from ...domain.errors import NotFound, ServiceError
from ...models import Message, utcnow
from ...repositories import conversations as conversations_repo
from ...repositories import messages as messages_repo
from ...repositories import turns as turns_repo
from ..infra.frames import Event, message_events
from ..queue.queue import TICKET_OFFER, QueueService
from ..wiring.context import Context
from .bot import BotReply, BotUnavailable, as_text
from .handover import HandoverService

log = logging.getLogger("handover_bridge.conversations")

POLL_SECONDS = 0.05


class BotTurns:
    """The bot side of ConversationService (which sets these)."""

    ctx: Context
    queue: QueueService
    handovers: HandoverService
    _inflight: dict[tuple[str, int], asyncio.Future]

    async def _run_bot_turn(
        self, conversation_id: str, message: Message, meta: dict[str, Any], *, taken_over: bool = False
    ) -> tuple[str, list[Message]]:
        key = (conversation_id, message.seq)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._bot_turn(conversation_id, message, meta, taken_over=taken_over)
        except BaseException:
            future.cancel()  # waiters re-read the store
            raise
        else:
            future.set_result(None)
            return result
        finally:
            self._inflight.pop(key, None)

    async def _bot_turn(
        self, conversation_id: str, message: Message, meta: dict[str, Any], *, taken_over: bool = False
    ) -> tuple[str, list[Message]]:
        """`taken_over`: the process that started this turn died; Rasa may have finished it before
        that, and then its replies are read from the tracker rather than the turn sent again."""
        started = time.perf_counter()
        try:
            replies = await self.ctx.bot.send(
                conversation_id,
                rasa_message(message),
                identity.rasa_metadata(meta or {}, conversation_id, self.ctx.settings.action_token),
                turn=message.seq,
                check_first=taken_over,
            )
            self.ctx.metrics.bot_latency.observe(time.perf_counter() - started)
        except BotUnavailable as error:
            self.ctx.metrics.bot_failures.inc()
            log.warning("bot unavailable", extra={"fields": {"conversation_id": conversation_id, "error": str(error)}})
            return await self._bot_down(conversation_id, message, str(error))
        return await self.store_bot_replies(conversation_id, replies, reply_to=message.seq)

    async def store_bot_replies(
        self, conversation_id: str, replies: list[BotReply], *, reply_to: int | None
    ) -> tuple[str, list[Message]]:
        async with self.ctx.db.raw(single_statement=True) as tx:
            counter, stored = await turns_repo.store_replies(
                tx, conversation_id, [(r.text, r.payload) for r in replies], reply_to
            )
        first = counter.next_seq - len(replies) + 1
        self.ctx.metrics.messages.labels("bot").inc(len(stored))
        await self.ctx.publish(message_events(conversation_id, counter.agent_id, stored))
        produced = stored
        if reply_to is not None and (not states.goes_to_bot(counter.state) or first != reply_to + 1):
            # something else came of this turn (the handover notice when the action handed
            # over) or came between: read what belongs to it
            async with self.ctx.db.read() as session:
                produced = await messages_repo.produced_by(session, conversation_id, reply_to)
        return counter.state, produced

    async def _bot_down(self, conversation_id: str, message: Message, error: str) -> tuple[str, list[Message]]:
        """Rasa is down or slow: say so kindly once, then hand over (reason bot_unavailable, with
        the bridge's own summary of what the customer wrote and the order numbers in it) when an
        agent can take it, otherwise offer a ticket. While it stays down, later messages are
        stored without another apology (nothing repeats on every message)."""
        skill = self.ctx.settings.skill_for("其他")
        available = await self.queue.agents_available(skill)
        events: list[Event] = []
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            still_bot = states.goes_to_bot(conversation.state)
            last = await messages_repo.latest_reply(session, conversation_id)
            told = last is not None and last.sender == "system" and last.text in BOT_DOWN_NOTICES
            notices = []
            if still_bot and available and not told:
                notices.append(
                    await messages_repo.append(
                        session, conversation_id, "system", texts.BOT_UNAVAILABLE, reply_to=message.seq
                    )
                )
            elif still_bot and not available and not told:
                notices.append(
                    await messages_repo.append(
                        session, conversation_id, "system", texts.BOT_UNAVAILABLE_NO_AGENT, reply_to=message.seq
                    )
                )
                offer = texts.NO_AGENT_TICKET if self.ctx.hours.is_open() else texts.OUTSIDE_HOURS_TICKET
                notices.append(
                    await messages_repo.append(
                        session, conversation_id, "system", offer, payload=TICKET_OFFER, reply_to=message.seq
                    )
                )
            await messages_repo.set_status(session, conversation_id, message.seq, "done")
            events += message_events(conversation_id, conversation.agent_id, notices)
            stored = await messages_repo.from_customer(session, conversation_id, 200) if still_bot and available else []
        self.ctx.metrics.messages.labels("system").inc(len(notices))
        await self.ctx.publish(events)
        if still_bot and available:
            summary, context = claims.bridge_context(
                claims.stored_texts(stored), {m.seq: m.created_at.isoformat() if m.created_at else None for m in stored}
            )
            context.update({"trigger": {"text": message.text, "seq": message.seq}, "error": error})
            try:
                await self.handovers.start(
                    conversation_id,
                    reason="bot_unavailable",
                    category="其他",
                    actor="system",
                    summary=summary,
                    context=context,
                    reply_to=message.seq,
                )
            except ServiceError as failure:  # e.g. the action's own handover got there first
                log.info("bot_unavailable handover skipped: %s", failure.message)
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            produced = await messages_repo.produced_by(session, conversation_id, message.seq)
        return conversation.state, produced

    async def _replay(self, conversation_id: str, client_msg_id: str) -> tuple[str, list[Message]]:
        """A retried send: wait for the first attempt if it is still running, then answer with
        what it stored."""
        deadline = time.monotonic() + self.ctx.settings.rasa_timeout + 5
        while True:
            async with self.ctx.db.read() as session:
                original = await messages_repo.by_client_id(session, conversation_id, client_msg_id)
            if original is None:
                raise NotFound("conversation not found")
            if original.status not in ("pending", "retrying"):
                break
            future = self._inflight.get((conversation_id, original.seq))
            if future is not None:
                await asyncio.wait({future}, timeout=max(0.1, deadline - time.monotonic()))
                if time.monotonic() > deadline:
                    break
                continue
            age = (utcnow() - original.created_at).total_seconds()
            if age > self.ctx.settings.rasa_timeout + 1 and await self._take_over(conversation_id, original):
                # The process that started this turn is gone (crash): run the turn ourselves.
                async with self.ctx.db.read() as session:
                    conversation = await conversations_repo.get(session, conversation_id)
                if states.goes_to_bot(conversation.state):
                    await self._run_bot_turn(conversation_id, original, conversation.meta, taken_over=True)
                continue
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            produced = await messages_repo.produced_by(session, conversation_id, original.seq)
        return conversation.state, [original, *produced]

    async def _take_over(self, conversation_id: str, message: Message) -> bool:
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if not states.goes_to_bot(conversation.state):  # handed over meanwhile: nothing goes to Rasa now
                await messages_repo.set_status(session, conversation_id, message.seq, "done")
                return False
            return await messages_repo.set_status(session, conversation_id, message.seq, "retrying", only_if="pending")


# What the customer is told when the bot is down: said once, not again until someone else speaks.
BOT_DOWN_NOTICES = frozenset(
    {texts.BOT_UNAVAILABLE, texts.BOT_UNAVAILABLE_NO_AGENT, texts.NO_AGENT_TICKET, texts.OUTSIDE_HOURS_TICKET}
)


def rasa_message(message: Message) -> str:
    """What Rasa gets for a stored customer message: the payload of the button pressed, or else
    the text, as text (bot.as_text: a leading "/" never makes an intent)."""
    button = message.payload if isinstance(message.payload, dict) else {}
    if button.get("type") == "button" and isinstance(button.get("payload"), str):
        return button["payload"]
    return as_text(message.text)
