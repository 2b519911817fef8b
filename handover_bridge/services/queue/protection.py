"""Protection that acts (docs/agents.md, "保护坐席 Protection" and "组长接管 Lead takeover").

- An abusive customer message (domain/abuse.py) while an agent holds the chat is recorded against
  that agent; the SYSTEM answers it, not the agent: a calm warning the first time in a handover,
  the boundary message every time after.
- When an agent's chat that had abusive messages ends (closed, ended for abuse, taken away by a
  lead), the agent gets a cool-down of JIELI_ABUSE_COOLDOWN_SECONDS: no auto-assignment until it
  ends (services/queue/assignment.py asks `cooling`), with the lead's note
  (JIELI_ABUSE_COOLDOWN_NOTE). Picking a chat from the queue by hand stays possible.
- A lead takes over or reassigns a live chat: the conversation keeps its transcript (same
  conversation, same seqs), the customer gets a neutral system note, the former agent's console
  drops it (`transferred_away`).
Every step is a row of `protection_events` (who, when, what): the dashboard's figures of the day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ...domain import texts
from ...domain.abuse import cooling
from ...domain.errors import Conflict, Forbidden, Invalid, NotFound
from ...domain.states import State
from ...edge import MAX_INT32, whole_number
from ...models import Agent, Message, utcnow
from ...repositories import agents as agents_repo
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ...repositories import protection as repo
from ..infra.frames import Event, agent_topic, message_events, state_frame, topics
from ..wiring.context import Context
from .agents import has_role
from .cards import handover_dict
from .queue import QueueService


class ProtectionService:
    def __init__(self, ctx: Context, queue: QueueService):
        self.ctx = ctx
        self.queue = queue

    # ---- the customer's side ----------------------------------------------------------------

    async def customer_abuse(self, conversation_id: str, message: Message) -> list[Message]:
        """An abusive customer message reached an agent: record it and let the system answer
        (warning first, boundary after). Returns the system message stored."""
        async with self.ctx.db.write() as session:
            if self.ctx.db.is_postgres:
                await repo.lock_conversation(session, conversation_id)
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None or conversation.state != State.ASSIGNED or conversation.agent_id is None:
                return []
            agent_id, handover_id = conversation.agent_id, conversation.handover_id
            await repo.add_event(
                session,
                kind="abusive_message",
                conversation_id=conversation_id,
                agent_id=agent_id,
                handover_id=handover_id,
                actor="customer",
                detail={"seq": message.seq},
            )
            earlier = await repo.count(session, handover_id, ("warning", "boundary"))
            kind = "warning" if earlier == 0 else "boundary"
            notice = await messages_repo.append(
                session,
                conversation_id,
                "system",
                texts.ABUSE_WARNING if kind == "warning" else texts.ABUSE_BOUNDARY,
                payload={"type": f"abuse_{kind}"},
                reply_to=message.seq,
            )
            await repo.add_event(
                session,
                kind=kind,
                conversation_id=conversation_id,
                agent_id=agent_id,
                handover_id=handover_id,
                actor="system",
                detail={"seq": notice.seq, "reply_to": message.seq},
            )
        self.ctx.metrics.abuse_notices.labels(kind).inc()
        self.ctx.metrics.messages.labels("system").inc()
        await self.ctx.publish(message_events(conversation_id, agent_id, [notice]))
        return [notice]

    # ---- the agent's cool-down --------------------------------------------------------------

    async def after_chat(
        self,
        session: AsyncSession,
        agent_id: int,
        handover_id: int | None,
        conversation_id: str,
        actor: str,
        ended_for: str | None = None,
    ) -> list[Event]:
        """An agent's chat ended (or was taken from them): a cool-down if it had abusive messages
        while they held it, or the agent ended it for abuse. Runs inside the caller's
        transaction; returns the frame to publish."""
        if ended_for == "abuse":
            await repo.add_event(
                session,
                kind="ended_abuse",
                conversation_id=conversation_id,
                agent_id=agent_id,
                handover_id=handover_id,
                actor=actor,
                detail={"reason": "abuse"},
            )
        seconds = self.ctx.settings.abuse_cooldown_seconds
        if seconds <= 0 or handover_id is None:
            return []
        if ended_for != "abuse" and await repo.count(session, handover_id, ("abusive_message",), agent_id) == 0:
            return []
        until = utcnow() + timedelta(seconds=seconds)
        await repo.set_cooldown(session, agent_id, until)
        await repo.add_event(
            session,
            kind="cooldown",
            conversation_id=conversation_id,
            agent_id=agent_id,
            handover_id=handover_id,
            actor=actor,
            detail={"seconds": seconds, "until": until.isoformat()},
        )
        self.ctx.metrics.agent_cooldowns.inc()
        return [((agent_topic(agent_id),), {"type": "cooldown", **self._cooldown_dict(until)})]

    def _cooldown_dict(self, until: datetime | None) -> dict[str, Any]:
        now = utcnow()
        left = max(0, int((until - now).total_seconds() + 0.999)) if until else 0
        return {
            "active": left > 0,
            "until": until.isoformat() if until and left > 0 else None,
            "seconds_left": left,
            "note": self.ctx.settings.abuse_cooldown_note if left > 0 else "",
        }

    async def cooldown_of(self, agent: Agent) -> dict[str, Any]:
        async with self.ctx.db.read() as session:
            fresh = await agents_repo.get(session, agent.id)
        return self._cooldown_dict(fresh.cooldown_until if fresh else None)

    # ---- a lead moves a live chat -----------------------------------------------------------

    async def live(self, lead: Agent) -> list[dict[str, Any]]:
        self._lead(lead)
        async with self.ctx.db.read() as session:
            rows = await repo.live_chats(session)
        return [
            {
                "conversation_id": c.id,
                "agent": {"id": a.id, "username": a.username, "display_name": a.display_name} if a else None,
                "handover": handover_dict(h) if h else None,
                "last_seq": c.next_seq,
            }
            for c, h, a in rows
        ]

    @staticmethod
    def _lead(agent: Agent) -> None:
        if not has_role(agent, "lead"):
            raise Forbidden("only a lead may take over or reassign a chat", "needs_lead")

    async def move(self, lead: Agent, conversation_id: str, to_agent: Any = None) -> dict[str, Any]:
        """Take over (to_agent None: the lead themselves) or reassign a live chat (to_agent: a
        username or id). The same conversation moves: its transcript stays whole."""
        self._lead(lead)
        if isinstance(to_agent, bool) or (to_agent is not None and not isinstance(to_agent, (int, str))):
            raise Invalid("agent must be a username or an id", "invalid_reassign")
        if isinstance(to_agent, int):
            whole_number(to_agent, "agent", minimum=1, maximum=MAX_INT32)
        kind = "takeover" if to_agent is None else "reassign"
        actor = f"lead:{lead.username}"
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            if conversation.state != State.ASSIGNED or conversation.agent_id is None:
                raise Conflict("nobody is serving this conversation now", "not_assigned")
            if to_agent is None:
                target = await agents_repo.get(session, lead.id)
            elif isinstance(to_agent, int):
                target = await agents_repo.get(session, to_agent)
            else:
                target = await agents_repo.by_username(session, to_agent)
            if target is None:
                raise NotFound("no such agent", "agent_not_found")
            former = conversation.agent_id
            if target.id == former:
                raise Conflict("this agent already has the chat", "already_assigned")
            if kind == "reassign" and target.presence != "online":
                raise Conflict(f"{target.display_name} is not online", "agent_unavailable")
            if not await conversations_repo.reassign(
                session, conversation_id, former, target.id, actor=actor, detail={kind: target.username}
            ):
                raise Conflict("the conversation changed meanwhile", "bad_state")
            await handovers_repo.update_fields(session, conversation.handover_id, agent_id=target.id)
            await repo.add_event(
                session,
                kind=kind,
                conversation_id=conversation_id,
                agent_id=former,
                handover_id=conversation.handover_id,
                actor=actor,
                detail={"to": target.username},
            )
            info = {"id": target.id, "display_name": target.display_name}
            notice = await messages_repo.append(
                session,
                conversation_id,
                "system",
                texts.LEAD_TOOK_OVER.format(name=target.display_name),
                payload={"type": "agent_joined", "agent": info},
            )
            cooldown = await self.after_chat(session, former, conversation.handover_id, conversation_id, actor)
        self.ctx.metrics.lead_moves.labels(kind).inc()
        self.ctx.metrics.messages.labels("system").inc()
        events: list[Event] = [
            *message_events(conversation_id, target.id, [notice]),
            (
                (agent_topic(former),),
                {"type": "transferred_away", "conversation_id": conversation_id, "to": info, "by": lead.display_name},
            ),
            (topics(conversation_id, target.id), state_frame(conversation_id, State.ASSIGNED, agent=info)),
            (
                topics(conversation_id, target.id),
                {"type": "agent_joined", "conversation_id": conversation_id, "agent": info},
            ),
            *cooldown,
        ]
        await self.ctx.publish(events)
        return {"state": State.ASSIGNED, "agent": info, "from_agent": former, "kind": kind}

    # ---- the lead's dashboard -------------------------------------------------------------

    async def today(self, lead: Agent) -> dict[str, Any]:
        """Each agent's abuse load and cool-downs today (the shop's time zone)."""
        self._lead(lead)
        start_local = datetime.now(self.ctx.hours.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        start = start_local.astimezone(utcnow().tzinfo)
        end = start + timedelta(days=1)
        async with self.ctx.db.read() as session:
            rows = await repo.day_by_agent(session, start, end)
            agents = await repo.agents_by_id(session, sorted(rows))
        now = utcnow()
        items = []
        for agent_id, entry in sorted(rows.items()):
            agent = agents.get(agent_id)
            kinds = entry["kinds"]
            items.append(
                {
                    "agent": {
                        "id": agent_id,
                        "username": agent.username if agent else None,
                        "display_name": agent.display_name if agent else str(agent_id),
                    },
                    "abusive_messages": kinds.get("abusive_message", 0),
                    "abusive_chats": entry["abusive_chats"],
                    "warnings": kinds.get("warning", 0),
                    "boundaries": kinds.get("boundary", 0),
                    "cooldowns": kinds.get("cooldown", 0),
                    "ended_for_abuse": kinds.get("ended_abuse", 0),
                    "taken_over": kinds.get("takeover", 0) + kinds.get("reassign", 0),
                    "cooling_now": bool(agent and cooling(agent.cooldown_until, now)),
                }
            )
        items.sort(key=lambda i: (-i["abusive_messages"], -i["cooldowns"], i["agent"]["id"]))
        return {
            "day": start_local.date().isoformat(),
            "cooldown_seconds": self.ctx.settings.abuse_cooldown_seconds,
            "items": items,
        }
