"""The live-agent queue: order, position and expected wait, assignment, and re-queueing.

Order. Each skill has its own line. A conversation's place is decided by `front` (chats whose
agent dropped or that were transferred to a skill go back to the front), then by its rank:
`rank = queued_at − priority × AGEING_SECONDS`. That is first come, first served within a
priority, and ageing: every AGEING_SECONDS a customer has waited counts as one priority level,
so a later, more urgent conversation overtakes only customers who have not yet waited that long
and nobody starves. Because everyone ages at the same rate the order never changes by itself,
which keeps the positions customers see stable.

Expected wait (ETA): position and ETA are computed from a snapshot of the queue (estimate.py);
H, the median handling time of the last 50 chats closed in the past week, is measured here.

Claims: assignment.py (manual picks and auto-assignment, never one conversation to two agents).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ...domain import texts
from ...domain.states import State
from ...models import Conversation, Handover, utcnow
from ...repositories import agents as agents_repo
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ..infra.frames import Event, message_events, queue_changed, state_frame, topics
from ..wiring.context import Context
from .assignment import Assignment
from .cards import handover_dict, with_waiting_message
from .estimate import Estimate, Snapshot, can_handle

log = logging.getLogger("handover_bridge.queue")

TICKET_OFFER = {"type": "ticket_offer"}
HISTORY_WINDOW = timedelta(days=7)


class QueueService(Assignment):
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
                    "channel": conversation.channel,
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
        # every bridge writes the notices in the same order (by conversation id): two bridges
        # refreshing at once then wait for each other's row locks instead of deadlocking on
        # PostgreSQL, as they did when each wrote in its own snapshot's queue order
        changed.sort(key=lambda item: item[1].id)
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
