"""Assignment (QueueService inherits it): an agent picks a queued conversation, or the bridge
assigns the next one to the least busy capable agent.

Claims. A conversation is assigned by one conditional UPDATE (`… WHERE id = :id AND state =
'queued'`, rowcount checked), so it is never given to two agents. Auto-assignment picks the
next conversation with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (two bridges pick
different conversations) and locks the chosen agent's row while it checks their capacity.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ...domain import texts
from ...domain.abuse import cooling
from ...domain.errors import Conflict, NotFound
from ...domain.states import State
from ...models import Agent, Conversation, utcnow
from ...repositories import agents as agents_repo
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ..infra.frames import Event, message_events, state_frame, topics
from ..wiring.context import Context
from .estimate import can_handle


class Assignment:
    """The assignment side of QueueService, which sets `ctx` and runs `maintain()` (assign what
    can be assigned, tell waiting customers) after a manual pick."""

    ctx: Context

    async def claim(
        self, session: AsyncSession, conversation: Conversation, agent: Agent, actor: str
    ) -> list[Event] | None:
        """Assign a queued conversation to an agent: one conditional UPDATE. None = lost the race."""
        if not await conversations_repo.transition(
            session,
            conversation.id,
            [State.QUEUED],
            State.ASSIGNED,
            actor=actor,
            agent_id=agent.id,
            detail={"agent": agent.username},
        ):
            return None
        now = utcnow()
        handover = await handovers_repo.get(session, conversation.handover_id)
        await handovers_repo.update_fields(session, handover.id, accepted_at=now, agent_id=agent.id, front=False)
        await agents_repo.mark_assigned(session, agent.id)
        agent_info = {"id": agent.id, "display_name": agent.display_name}
        notice = await messages_repo.append(
            session,
            conversation.id,
            "system",
            texts.AGENT_JOINED.format(name=agent.display_name),
            payload={"type": "agent_joined", "agent": agent_info},
        )
        self.ctx.metrics.wait_seconds.observe(max(0.0, (now - handover.queued_at).total_seconds()))
        self.ctx.metrics.messages.labels("system").inc()
        route = topics(conversation.id, agent.id)
        return [
            *message_events(conversation.id, agent.id, [notice]),
            (
                topics(conversation.id, agent.id, agents=True),
                state_frame(conversation.id, State.ASSIGNED, agent=agent_info),
            ),
            (route, {"type": "agent_joined", "conversation_id": conversation.id, "agent": agent_info}),
        ]

    async def accept(self, agent: Agent, conversation_id: str) -> None:
        """Manual pick from the queue."""
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            if conversation.state != State.QUEUED:
                raise Conflict("this conversation is not waiting (another agent may have taken it)", "not_queued")
            if self.ctx.db.is_postgres:
                await agents_repo.lock(session, agent.id)
            load = (await conversations_repo.load_by_agent(session, [agent.id])).get(agent.id, 0)
            if load >= agent.max_concurrent:
                raise Conflict(f"you already have {load} chats (your limit is {agent.max_concurrent})", "at_capacity")
            events = await self.claim(session, conversation, agent, f"agent:{agent.username}")
            if events is None:
                raise Conflict("another agent took this conversation first", "not_queued")
        await self.ctx.publish(events)
        await self.maintain()

    async def auto_assign(self) -> int:
        if not self.ctx.settings.auto_assign or not self.ctx.hours.is_open():
            return 0  # outside business hours agents may still pick chats by hand
        assigned = 0
        while assigned < 1000:
            events = await self._assign_next()
            if events is None:
                break
            await self.ctx.publish(events)
            assigned += 1
        return assigned

    async def _assign_next(self) -> list[Event] | None:
        postgres = self.ctx.db.is_postgres
        async with self.ctx.db.write() as session:
            online = await agents_repo.online(session)
            if not online:
                return None
            loads = await conversations_repo.load_by_agent(session, [a.id for a in online])
            now = utcnow()  # an agent cooling down after an abusive chat gets nothing (protection.py)
            free = [a for a in online if loads.get(a.id, 0) < a.max_concurrent and not cooling(a.cooldown_until, now)]
            if not free:
                return None
            generalist = any(not a.skills or "*" in a.skills for a in free)
            skills = None if generalist else sorted({s for a in free for s in a.skills})
            conversation_id = await handovers_repo.next_queued_id(session, skills, skip_locked=postgres)
            if conversation_id is None:
                return None
            conversation = await conversations_repo.get(session, conversation_id)
            handover = await handovers_repo.get(session, conversation.handover_id)
            candidates = sorted(
                (a for a in free if can_handle(a, handover.skill)),
                key=lambda a: (loads.get(a.id, 0), a.last_assigned_at.timestamp() if a.last_assigned_at else 0.0, a.id),
            )
            for agent in candidates:
                if postgres:  # another bridge may have just filled this agent up
                    locked = await agents_repo.lock(session, agent.id)
                    load = (await conversations_repo.load_by_agent(session, [agent.id])).get(agent.id, 0)
                    if (
                        locked is None
                        or locked.presence != "online"
                        or load >= locked.max_concurrent
                        or cooling(locked.cooldown_until, now)
                    ):
                        continue
                return await self.claim(session, conversation, agent, "system:auto_assign")
            return None
