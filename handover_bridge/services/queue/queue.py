"""The live-agent queue: order, position and expected wait, assignment, and re-queueing.

Order. Each skill has its own line. A conversation's place is decided by `front` (chats whose
agent dropped or that were transferred to a skill go back to the front), then by its rank:
`rank = queued_at − priority × AGEING_SECONDS`. That is first come, first served within a
priority, and ageing: every AGEING_SECONDS a customer has waited counts as one priority level,
so a later, more urgent conversation overtakes only customers who have not yet waited that long
and nobody starves. Because everyone ages at the same rate the order never changes by itself,
which keeps the positions customers see stable.

Expected wait (ETA). With S = the online agents' total chat slots for the skill, F = their free
slots, and H = the median handling time (accepted → closed) of the last 50 chats closed in the
past week (DEFAULT_HANDLE_SECONDS when there is none): position p ≤ F is taken at once (0 s);
otherwise chats finish at a rate of S / H, and p − F of them must finish first:
ETA = (p − F) × H / S. No capable agent online (or outside business hours): no ETA, a ticket is
offered instead.

Claims. A conversation is assigned by one conditional UPDATE (`… WHERE id = :id AND state =
'queued'`, rowcount checked), so it is never given to two agents. Auto-assignment picks the
next conversation with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (two bridges pick
different conversations) and locks the chosen agent's row while it checks their capacity.
"""

from __future__ import annotations

import asyncio
import logging
import math
import statistics
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ...domain import texts
from ...domain.errors import Conflict, NotFound
from ...domain.states import State
from ...models import Agent, Conversation, Handover, utcnow
from ...repositories import agents as agents_repo
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ..infra.frames import Event, message_events, queue_changed, state_frame, topics
from ..wiring.context import Context
from .cards import handover_dict, with_waiting_message

log = logging.getLogger("handover_bridge.queue")

TICKET_OFFER = {"type": "ticket_offer"}
HISTORY_WINDOW = timedelta(days=7)


def can_handle(agent: Agent, skill: str) -> bool:
    skills = agent.skills or []
    return not skills or "*" in skills or skill in skills


@dataclass
class Estimate:
    position: int
    eta_seconds: int | None
    agents_online: int

    def as_dict(self) -> dict[str, Any]:
        return {"queue_position": self.position, "eta_seconds": self.eta_seconds, "agents_online": self.agents_online}


@dataclass
class Snapshot:
    queued: list[tuple[Handover, Conversation]]
    online: list[Agent]
    loads: dict[int, int]
    median_handle: float
    open_now: bool
    _lines: dict[str, list[int]] = field(default_factory=dict)

    def estimate(self, handover: Handover) -> Estimate:
        line = self._lines.get(handover.skill)
        if line is None:
            line = self._lines[handover.skill] = [h.id for h, _ in self.queued if h.skill == handover.skill]
        position = line.index(handover.id) + 1 if handover.id in line else len(line) + 1
        capable = [a for a in self.online if can_handle(a, handover.skill)]
        if not capable or not self.open_now:
            return Estimate(position, None, 0)
        slots = sum(a.max_concurrent for a in capable)
        free = sum(max(0, a.max_concurrent - self.loads.get(a.id, 0)) for a in capable)
        eta = 0 if position <= free else math.ceil((position - free) * self.median_handle / max(slots, 1))
        return Estimate(position, eta, len(capable))


class QueueService:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._median: tuple[float, float] = (0.0, float(ctx.settings.default_handle_seconds))
        self._maintenance = asyncio.Lock()

    # ---- reading the queue -------------------------------------------------------------------

    async def snapshot(self, session: AsyncSession) -> Snapshot:
        queued = await handovers_repo.queued(session)
        online = await agents_repo.online(session)
        loads = await conversations_repo.load_by_agent(session, [a.id for a in online])
        return Snapshot(queued, online, loads, await self.median_handle(session), self.ctx.hours.is_open())

    async def median_handle(self, session: AsyncSession) -> float:
        """Median handling time of recent chats, recomputed at most every 30 s."""
        computed_at, value = self._median
        if time.monotonic() - computed_at < 30:
            return value
        durations = await handovers_repo.recent_handling_seconds(session, utcnow() - HISTORY_WINDOW)
        value = statistics.median(durations) if durations else float(self.ctx.settings.default_handle_seconds)
        self._median = (time.monotonic(), value)
        return value

    async def items(self) -> list[dict[str, Any]]:
        """The queue as agents see it, in order, with the full handover context."""
        async with self.ctx.db.read() as session:
            snap = await self.snapshot(session)
        now = utcnow()
        result = []
        for handover, conversation in snap.queued:
            estimate = snap.estimate(handover)
            result.append(
                {
                    "conversation_id": conversation.id,
                    "handover": handover_dict(handover),
                    "metadata": conversation.meta,
                    "waited_seconds": round((now - handover.queued_at).total_seconds(), 1),
                    "priority": handover.priority,
                    "category": handover.category,
                    "skill": handover.skill,
                    "reason": handover.reason,
                    "position": estimate.position,
                    "front": handover.front,
                }
            )
        return result

    async def agents_available(self, skill: str) -> int:
        """Online agents able to take `skill` right now (0 outside business hours)."""
        if not self.ctx.hours.is_open():
            return 0
        async with self.ctx.db.read() as session:
            online = await agents_repo.online(session)
        return sum(1 for a in online if can_handle(a, skill))

    async def add_waiting_message(self, conversation_id: str, message: dict[str, Any], abusive: bool) -> None:
        """Put what a queued customer wrote on their handover card (see with_waiting_message)."""
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None or conversation.state != State.QUEUED or not conversation.handover_id:
                return
            handover = await handovers_repo.get(session, conversation.handover_id)
            if handover is None:
                return
            context, summary = with_waiting_message(handover.context, handover.summary, message, abusive)
            await handovers_repo.update_fields(session, handover.id, context=context, summary=summary)
        await self.ctx.publish([queue_changed()])

    async def refresh_gauges(self) -> None:
        """Queue length and agents online, read from the store (the same in every process)."""
        async with self.ctx.db.read() as session:
            self.ctx.metrics.queue_length.set(await handovers_repo.count_queued(session))
            self.ctx.metrics.agents_online.set(len(await agents_repo.online(session)))

    # ---- assignment --------------------------------------------------------------------------

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
            free = [a for a in online if loads.get(a.id, 0) < a.max_concurrent]
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
                    if locked is None or locked.presence != "online" or load >= locked.max_concurrent:
                        continue
                return await self.claim(session, conversation, agent, "system:auto_assign")
            return None

    # ---- keeping customers informed ----------------------------------------------------------

    async def maintain(self) -> None:
        """After any queue change: assign what can be assigned, then tell waiting customers
        their new position and expected wait (only those whose figures changed)."""
        async with self._maintenance:
            async with self.ctx.db.read() as session:
                waiting = await handovers_repo.count_queued(session)
            if not waiting:  # the common case: one cheap read, no write transaction
                self.ctx.metrics.queue_length.set(0)
                return
            assigned = await self.auto_assign()
            notified = await self.refresh_positions()
        if assigned or notified:
            await self.ctx.publish([queue_changed()])

    async def refresh_positions(self) -> int:
        """Returns how many customers were told something new."""
        async with self.ctx.db.read() as session:
            snap = await self.snapshot(session)
        self.ctx.metrics.queue_length.set(len(snap.queued))
        self.ctx.metrics.agents_online.set(len(snap.online))
        changed = []
        for handover, conversation in snap.queued:
            estimate = snap.estimate(handover)
            eta_value = -1 if estimate.eta_seconds is None else estimate.eta_seconds
            if (handover.last_position, handover.last_eta) != (estimate.position, eta_value):
                changed.append((handover, conversation, estimate))
        if not changed:
            return 0
        events: list[Event] = []
        async with self.ctx.db.write() as session:
            for handover, conversation, estimate in changed:
                current = await conversations_repo.get(session, conversation.id)
                if current is None or current.state != State.QUEUED or current.handover_id != handover.id:
                    continue
                if not await handovers_repo.set_position_if_changed(
                    session, handover.id, estimate.position, estimate.eta_seconds
                ):
                    continue  # another bridge told this customer already
                events += await self.notify_position(session, conversation.id, handover, estimate)
        await self.ctx.publish(events)
        return len(events)

    async def notify_position(
        self,
        session: AsyncSession,
        conversation_id: str,
        handover: Handover,
        estimate: Estimate,
        reply_to: int | None = None,
    ) -> list[Event]:
        """The customer's queue notice: a system message and a `queue` frame; a ticket offer
        (once per handover) when nobody can take the conversation."""
        frame = {
            "type": "queue",
            "conversation_id": conversation_id,
            "position": estimate.position,
            "ahead": estimate.position - 1,
            "eta_seconds": estimate.eta_seconds,
            "agents_online": estimate.agents_online,
        }
        stored = []
        if estimate.eta_seconds is not None:
            stored.append(
                await messages_repo.append(
                    session,
                    conversation_id,
                    "system",
                    texts.queue_notice(estimate.position, estimate.eta_seconds),
                    payload={"type": "queue", "position": estimate.position, "eta_seconds": estimate.eta_seconds},
                    reply_to=reply_to,
                )
            )
        elif await handovers_repo.mark_ticket_offered(session, handover.id):
            text = texts.NO_AGENT_TICKET if self.ctx.hours.is_open() else texts.OUTSIDE_HOURS_TICKET
            stored.append(
                await messages_repo.append(
                    session, conversation_id, "system", text, payload=TICKET_OFFER, reply_to=reply_to
                )
            )
        self.ctx.metrics.messages.labels("system").inc(len(stored))
        return [*message_events(conversation_id, None, stored), (topics(conversation_id), frame)]

    # ---- putting conversations back ----------------------------------------------------------

    async def requeue_front(
        self,
        session: AsyncSession,
        conversation: Conversation,
        agent_id: int,
        *,
        actor: str,
        text: str,
        reason: str,
        skill: str | None = None,
        category: str | None = None,
    ) -> list[Event] | None:
        """An assigned conversation goes back to the front of the queue (agent dropped, or
        transferred to a skill)."""
        if not await conversations_repo.transition(
            session,
            conversation.id,
            [State.ASSIGNED],
            State.QUEUED,
            actor=actor,
            agent_id=None,
            expect_agent=agent_id,
            detail={"reason": reason, "from_agent": agent_id, **({"skill": skill} if skill else {})},
        ):
            return None
        values: dict[str, Any] = {
            "front": True,
            "agent_id": None,
            "accepted_at": None,
            "last_position": None,
            "last_eta": None,
            "ticket_offered_at": None,
        }
        if skill:
            values["skill"] = skill
        if category:
            values["category"] = category
        await handovers_repo.update_fields(session, conversation.handover_id, **values)
        notice = await messages_repo.append(
            session, conversation.id, "system", text, payload={"type": "requeued", "reason": reason}
        )
        self.ctx.metrics.messages.labels("system").inc()
        return [
            *message_events(conversation.id, agent_id, [notice]),
            (topics(conversation.id, agent_id, agents=True), state_frame(conversation.id, State.QUEUED)),
        ]

    async def offer_tickets_after_long_wait(self) -> None:
        cutoff = utcnow() - timedelta(seconds=self.ctx.settings.max_wait_seconds)
        async with self.ctx.db.read() as session:  # the usual answer is "nobody": no write lock
            if not await handovers_repo.waiting_longer_than(session, cutoff):
                return
        events: list[Event] = []
        async with self.ctx.db.write() as session:
            for handover in await handovers_repo.waiting_longer_than(session, cutoff):
                if await handovers_repo.mark_ticket_offered(session, handover.id):
                    offer = await messages_repo.append(
                        session, handover.conversation_id, "system", texts.LONG_WAIT_TICKET, payload=TICKET_OFFER
                    )
                    events += message_events(handover.conversation_id, None, [offer])
        await self.ctx.publish(events)
