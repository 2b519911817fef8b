"""The agent's side of a conversation: transcript, reply, typing, transfer, close and hand back.

On a hand-back Rasa gets a `resume` event (ConversationResumed) and the intent `request_rating`
is triggered so that the bot speaks first; its messages are stored. If the model does not know
that intent (or Rasa is down) the bridge asks for the 1–5 rating itself.
"""

from __future__ import annotations

import logging
from typing import Any

from ...db import DuplicateKey
from ...domain import texts
from ...domain.errors import Conflict, Forbidden, Invalid, NotFound
from ...domain.priority import category_of
from ...domain.states import State, check_assigned_to
from ...edge import MAX_INT32, whole_number
from ...models import Agent, Message, utcnow
from ...repositories import agents as agents_repo
from ...repositories import append as append_path
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ...repositories import turns as turns_repo
from ..customer.bot import BotUnavailable
from ..customer.conversations import ConversationService
from ..infra.frames import Event, agent_topic, message_events, state_frame, topics
from ..learning.review import ReviewService
from ..wiring.context import Context
from .agents import has_role
from .cards import handover_dict
from .protection import ProtectionService
from .queue import QueueService

log = logging.getLogger("handover_bridge.chats")

RATING_INTENT = "request_rating"
RATING_PAYLOAD = {"type": "rating_request", "scale": [1, 2, 3, 4, 5]}
MAX_TAGS = 20


class ChatService:
    def __init__(
        self, ctx: Context, queue: QueueService, conversations: ConversationService, review: ReviewService | None = None
    ):
        self.ctx = ctx
        self.queue = queue
        self.conversations = conversations
        self.review = review  # learning from agents: a review candidate for every closed chat
        self.protection: ProtectionService | None = None  # cool-downs after abusive chats (container)

    async def my_chats(self, agent: Agent) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as session:
            chats = await conversations_repo.assigned_to(session, agent.id)
            result = []
            for conversation in chats:
                handover = await handovers_repo.get(session, conversation.handover_id)
                result.append(
                    {
                        "conversation_id": conversation.id,
                        "state": conversation.state,
                        "metadata": conversation.meta,
                        "channel": conversation.channel,
                        "last_seq": conversation.next_seq,
                        "handover": handover_dict(handover) if handover else None,
                    }
                )
        return result

    async def check_readable(self, agent: Agent, conversation_id: str) -> None:
        """Reading is scoped (the transcript, the socket's sync): 404 for an unknown
        conversation, 403 `not_your_conversation` unless `readable` lets this agent read it."""
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            await self._readable(session, agent, conversation)

    @staticmethod
    async def _readable(session, agent: Agent, conversation) -> None:
        """Who may read a conversation: a lead, any of them; every agent, a queue item (waiting
        for someone to take it) and their own chats (assigned to them now, or served, accepted,
        transferred or closed by them before); a designer, the chats in the review queue."""
        if has_role(agent, "lead") or conversation.state == State.QUEUED or conversation.agent_id == agent.id:
            return
        if await conversations_repo.handled_by(session, conversation.id, agent.id, agent.username):
            return
        if has_role(agent, "designer") and await conversations_repo.has_review_candidate(session, conversation.id):
            return
        raise Forbidden("this conversation is not one of yours", "not_your_conversation")

    async def transcript(self, agent: Agent, conversation_id: str, after: int = 0) -> dict[str, Any]:
        """Everything: the whole bot conversation before the handover too (agents must never
        see only the last few bot messages). Only for an agent who may read it (_readable)."""
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            await self._readable(session, agent, conversation)
            handover = (
                await handovers_repo.get(session, conversation.handover_id)
                if conversation.handover_id
                else await handovers_repo.latest(session, conversation_id)
            )
            messages = await messages_repo.after(session, conversation_id, after, limit=5000)
            audit = await conversations_repo.audit_trail(session, conversation_id)
        return {
            "conversation_id": conversation.id,
            "state": conversation.state,
            "agent_id": conversation.agent_id,
            "metadata": conversation.meta,
            "channel": conversation.channel,
            "handover": handover_dict(handover) if handover else None,
            "messages": messages,
            "audit": [
                {"from": a.from_state, "to": a.to_state, "actor": a.actor, "at": a.at.isoformat(), "detail": a.detail}
                for a in audit
            ],
        }

    async def send(self, agent: Agent, conversation_id: str, text: Any, client_msg_id: Any = None) -> Message:
        """An agent's reply: one short transaction on the relay's hot path (repositories/turns)."""
        text = self.conversations.validate_text(text)
        client_msg_id = self.conversations.validate_client_msg_id(client_msg_id)

        def theirs(counter: append_path.Counter) -> None:  # checked before anything is inserted
            check_assigned_to(counter.state, counter.agent_id, agent.id)

        try:
            async with self.ctx.db.raw() as tx:
                counter, stored = await append_path.append(
                    tx,
                    conversation_id,
                    [
                        {
                            "sender": "agent",
                            "text": text,
                            "client_msg_id": client_msg_id,
                            "payload": {"agent": {"id": agent.id, "display_name": agent.display_name}},
                        }
                    ],
                    guard=theirs,
                )
                if counter is None:
                    raise NotFound("conversation not found")
                message = stored[0]
                await turns_repo.mark_first_reply(tx, conversation_id)
        except DuplicateKey:  # a retry: the message is stored already
            async with self.ctx.db.read() as session:
                return await messages_repo.by_client_id(session, conversation_id, client_msg_id or "")
        self.ctx.metrics.messages.labels("agent").inc()
        await self.ctx.publish(message_events(conversation_id, agent.id, [message]))
        return message

    async def typing(self, agent: Agent, conversation_id: str) -> None:
        async with self.ctx.db.read() as session:
            conversation = await self._own(session, agent, conversation_id)
        await self.ctx.publish(
            [
                (
                    topics(conversation_id, conversation.agent_id),
                    {
                        "type": "typing",
                        "conversation_id": conversation_id,
                        "sender": "agent",
                        "agent": {"display_name": agent.display_name},
                    },
                )
            ]
        )

    async def _own(self, session, agent: Agent, conversation_id: str):
        conversation = await conversations_repo.get(session, conversation_id)
        if conversation is None:
            raise NotFound("conversation not found")
        check_assigned_to(conversation.state, conversation.agent_id, agent.id)
        return conversation

    async def transfer(
        self, agent: Agent, conversation_id: str, *, to_agent: Any = None, skill: Any = None, category: Any = None
    ) -> dict[str, Any]:
        """Pass the chat to another agent (by username or id), or back to the queue for a skill
        or category, at the front."""
        if to_agent is None and skill is None and category is None:
            raise Invalid("say where to: agent, skill or category", "invalid_transfer")
        if isinstance(to_agent, int) and not isinstance(to_agent, bool):
            whole_number(to_agent, "agent", minimum=1, maximum=MAX_INT32)  # agent ids are INTEGER
        events: list[Event]
        async with self.ctx.db.write() as session:
            conversation = await self._own(session, agent, conversation_id)
            if to_agent is not None:
                target = await (
                    agents_repo.get(session, to_agent)
                    if isinstance(to_agent, int)
                    else agents_repo.by_username(session, str(to_agent))
                )
                if target is None:
                    raise NotFound("no such agent", "agent_not_found")
                if target.id == agent.id:
                    raise Invalid("that is you", "invalid_transfer")
                if target.presence != "online":
                    raise Conflict(f"{target.display_name} is not online", "agent_unavailable")
                if not await conversations_repo.reassign(
                    session,
                    conversation_id,
                    agent.id,
                    target.id,
                    actor=f"agent:{agent.username}",
                    detail={"transfer_to": target.username},
                ):
                    raise Conflict("the conversation changed meanwhile", "bad_state")
                await handovers_repo.update_fields(session, conversation.handover_id, agent_id=target.id)
                notice = await messages_repo.append(
                    session,
                    conversation_id,
                    "system",
                    texts.TRANSFERRED_TO_AGENT.format(name=target.display_name),
                    payload={"type": "agent_joined", "agent": {"id": target.id, "display_name": target.display_name}},
                )
                info = {"id": target.id, "display_name": target.display_name}
                events = [
                    *message_events(conversation_id, target.id, [notice]),
                    (
                        (agent_topic(agent.id),),
                        {"type": "transferred_away", "conversation_id": conversation_id, "to": info},
                    ),
                    (topics(conversation_id, target.id), state_frame(conversation_id, State.ASSIGNED, agent=info)),
                    (
                        topics(conversation_id, target.id),
                        {"type": "agent_joined", "conversation_id": conversation_id, "agent": info},
                    ),
                ]
                result = {"state": State.ASSIGNED, "agent": info}
            else:
                new_category = category_of(category) if category is not None else None
                new_skill = str(skill) if skill is not None else self.ctx.settings.skill_for(new_category)
                label = new_category or new_skill
                events = (
                    await self.queue.requeue_front(
                        session,
                        conversation,
                        agent.id,
                        actor=f"agent:{agent.username}",
                        text=texts.TRANSFERRED_TO_SKILL.format(category=label),
                        reason="transfer",
                        skill=new_skill,
                        category=new_category,
                    )
                    or []
                )
                if not events:
                    raise Conflict("the conversation changed meanwhile", "bad_state")
                result = {"state": State.QUEUED, "skill": new_skill}
            if self.protection is not None:  # passing on an abusive chat ends it for this agent too
                events = [
                    *events,
                    *await self.protection.after_chat(
                        session, agent.id, conversation.handover_id, conversation_id, f"agent:{agent.username}"
                    ),
                ]
        self.ctx.metrics.messages.labels("system").inc()
        await self.ctx.publish(events)
        await self.queue.maintain()
        return result

    async def close(
        self,
        agent: Agent,
        conversation_id: str,
        *,
        return_to_bot: Any = True,
        resolution: Any = None,
        tags: Any = None,
        intent: Any = None,
        reusable: Any = None,
        answer: Any = None,
        end_reason: str | None = None,
    ) -> dict[str, Any]:
        """Finish the chat. `end_reason` "abuse" (`end_for_abuse`, one click in the console) ends
        it for the customer with the system's closing line, stored on the handover and audited. Learning from agents (optional): `intent`, what the conversation really
        was (one of the domain's intents), `reusable` (the agent's answer may teach the bot) and
        `answer` (the one to reuse; default: the agent's longest message). Every closed chat with a
        customer question worth learning becomes a review candidate for the designers; a close
        that sent any of these fields gets its id back as `review_candidate` (or null)."""
        if not isinstance(return_to_bot, bool):
            raise Invalid("return_to_bot must be true or false", "invalid_close")
        if resolution is not None and not isinstance(resolution, str):
            raise Invalid("resolution must be text", "invalid_close")
        tags = tags if tags is not None else []
        if (
            not isinstance(tags, list)
            or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and len(t) <= 64 for t in tags)
        ):
            raise Invalid(f"tags must be a list of at most {MAX_TAGS} short strings", "invalid_close")
        learned: dict[str, Any] = {"intent": None, "reusable": False, "answer": None}
        if self.review is not None:
            learned["intent"], learned["reusable"], learned["answer"] = self.review.check_close(
                intent, reusable, answer
            )
        elif intent is not None:
            raise Invalid("this bridge does not take an intent at close", "invalid_close")
        for_abuse = end_reason == "abuse"
        if for_abuse:
            return_to_bot, tags = False, [*tags, "abuse"] if "abuse" not in tags else tags
        to_state = State.BOT if return_to_bot else State.CLOSED
        cooldown: list[Event] = []
        async with self.ctx.db.write() as session:
            conversation = await self._own(session, agent, conversation_id)
            handover = await handovers_repo.get(session, conversation.handover_id)
            if not await conversations_repo.transition(
                session,
                conversation_id,
                [State.ASSIGNED],
                to_state,
                actor=f"agent:{agent.username}",
                agent_id=None,
                expect_agent=agent.id,
                handover_id=None,
                detail={"resolution": resolution, "tags": tags, **({"reason": end_reason} if end_reason else {})},
            ):
                raise Conflict("the conversation changed meanwhile", "bad_state")
            now = utcnow()
            await handovers_repo.update_fields(
                session,
                handover.id,
                closed_at=now,
                resolution=resolution,
                tags=tags,
                intent=learned["intent"],
                end_reason=end_reason,
            )
            closing = (
                texts.CLOSED_FOR_ABUSE if for_abuse else texts.CLOSED_TO_BOT if return_to_bot else texts.CLOSED_END
            )
            stored = [
                await messages_repo.append(
                    session,
                    conversation_id,
                    "system",
                    closing,
                    payload={
                        "type": "closed",
                        "return_to_bot": return_to_bot,
                        **({"reason": end_reason} if end_reason else {}),
                    },
                )
            ]
            if self.protection is not None:
                cooldown = await self.protection.after_chat(
                    session, agent.id, handover.id, conversation_id, f"agent:{agent.username}", ended_for=end_reason
                )
            if not return_to_bot and not for_abuse:
                stored.append(
                    await messages_repo.append(
                        session, conversation_id, "system", texts.ASK_RATING, payload=RATING_PAYLOAD
                    )
                )
        if handover.accepted_at:
            self.ctx.metrics.handling_seconds.observe(max(0.0, (now - handover.accepted_at).total_seconds()))
        self.ctx.metrics.messages.labels("system").inc(len(stored))
        await self.ctx.publish(
            [
                *message_events(conversation_id, agent.id, stored),
                (topics(conversation_id, agent.id, agents=True), state_frame(conversation_id, to_state)),
                *cooldown,
            ]
        )
        if for_abuse:
            self.ctx.metrics.chats_ended_for_abuse.inc()
        if return_to_bot:
            await self._hand_back(conversation_id)
        await self.queue.maintain()
        result: dict[str, Any] = {"state": to_state}
        if end_reason:
            result["end_reason"] = end_reason
        if cooldown:
            result["cooldown"] = cooldown[0][1]
        if self.review is not None:
            candidate = await self._learn(handover.id, learned)
            if intent is not None or reusable is not None or answer is not None:
                result["review_candidate"] = candidate  # said only to a close that tagged something
        return result

    async def _learn(self, handover_id: int, learned: dict[str, Any]) -> int | None:
        """The review candidate of the chat just closed; a failure here never fails the close."""
        try:
            candidate = await self.review.create_for_handover(
                handover_id, reusable=learned["reusable"], answer=learned["answer"]
            )
        except Exception:  # noqa: BLE001 - the chat is closed whatever happens here
            log.exception("could not create the review candidate of handover %s", handover_id)
            return None
        return candidate.id if candidate is not None else None

    async def _hand_back(self, conversation_id: str) -> None:
        """Rasa: resume, then let the bot ask for a rating (or ask ourselves)."""
        replies = None
        try:
            await self.ctx.bot.resume(conversation_id)
            replies = await self.ctx.bot.trigger_intent(conversation_id, RATING_INTENT)
        except BotUnavailable as error:
            log.warning("hand-back: Rasa unavailable: %s", error)
        if replies:
            await self.conversations.store_bot_replies(conversation_id, replies, reply_to=None)
            return
        async with self.ctx.db.write() as session:
            ask = await messages_repo.append(
                session, conversation_id, "system", texts.ASK_RATING, payload=RATING_PAYLOAD
            )
        self.ctx.metrics.messages.labels("system").inc()
        await self.ctx.publish(message_events(conversation_id, None, [ask]))
