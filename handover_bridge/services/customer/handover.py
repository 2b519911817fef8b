"""Starting a handover: bot → queued, with the context the bot gathered (from the action server,
or from the bridge itself when Rasa is unavailable).

The action's context is an annotation the bridge cross-checks against its own store
(handover_claims): the card's 客户诉求 and the customer's side of the transcript come from the
stored customer messages, and a priority the stored conversation does not support is not used."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from ...domain import handover_claims as claims
from ...domain import states
from ...domain.errors import Conflict, Invalid, NotFound
from ...domain.priority import category_of, priority_of
from ...domain.states import State
from ...models import utcnow
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ..infra.frames import Event, queue_changed, state_frame, topics
from ..queue.queue import QueueService
from ..wiring.context import Context

log = logging.getLogger("handover_bridge.handover")


class HandoverService:
    def __init__(self, ctx: Context, queue: QueueService):
        self.ctx = ctx
        self.queue = queue

    async def start(
        self,
        conversation_id: str,
        *,
        reason: str = "request_human",
        category: Any = None,
        priority: Any = None,
        summary: str | None = None,
        context: dict[str, Any] | None = None,
        actor: str = "action",
        idempotency_key: str | None = None,
        reply_to: int | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Queue the conversation for a person. Returns (HTTP-like status, answer): 201 for a
        new handover (and for a repeated Idempotency-Key, with the first answer), 200 when the
        conversation was already waiting or with an agent."""
        context = context if isinstance(context, dict) else {}
        reason = claimed_reason = (reason or "request_human")[:64]
        if actor == "action" and reason in claims.BRIDGE_ONLY_REASONS:
            reason = "request_human"  # only the bridge itself says the bot is down
        category = category_of(category)
        skill = self.ctx.settings.skill_for(category)
        if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
            raise Invalid("Idempotency-Key must be 1–200 characters", "invalid_idempotency_key")
        for _attempt in range(3):
            try:
                outcome = await self._start_once(
                    conversation_id,
                    reason,
                    category,
                    skill,
                    priority,
                    summary,
                    context,
                    actor,
                    idempotency_key,
                    reply_to,
                    claimed_reason,
                )
                break
            except IntegrityError:  # the same key raced in from another request: read its answer
                continue
        else:
            raise Conflict("could not record the handover, please retry", "retry")
        status, answer, events = outcome
        if events:
            await self.ctx.publish(events)
            self.ctx.metrics.handovers.labels(reason).inc()
            log.info(
                "handover",
                extra={
                    "fields": {"conversation_id": conversation_id, "reason": reason, "category": category, **answer}
                },
            )
            await self.queue.maintain()
        return status, answer

    async def _start_once(
        self,
        conversation_id,
        reason,
        category,
        skill,
        priority,
        summary,
        context,
        actor,
        idempotency_key,
        reply_to,
        claimed_reason=None,
    ) -> tuple[int, dict[str, Any], list[Event]]:
        async with self.ctx.db.write() as session:
            if idempotency_key:
                previous = await handovers_repo.by_idempotency_key(session, idempotency_key)
                if previous is not None and previous.response is not None:
                    return 201, previous.response, []
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            if conversation.state in (State.QUEUED, State.ASSIGNED):
                snap = await self.queue.snapshot(session)
                current = await handovers_repo.get(session, conversation.handover_id)
                estimate = snap.estimate(current) if conversation.state == State.QUEUED else None
                answer = {
                    "conversation_id": conversation_id,
                    "handover_id": current.id,
                    "state": conversation.state,
                    "already": True,
                    "queue_position": estimate.position if estimate else 0,
                    "eta_seconds": estimate.eta_seconds if estimate else 0,
                    "agents_online": estimate.agents_online if estimate else len(snap.online),
                }
                return 200, answer, []
            states.transition(conversation, State.QUEUED)  # only from bot mode (409 bad_state)
            meta = conversation.meta or {}
            if actor == "action":  # the bridge's own contexts (bot_unavailable) need no check
                stored = claims.stored_texts(await messages_repo.from_customer(session, conversation_id))
                checked = claims.check(context, summary, claimed_reason or reason, stored)
                context, summary = checked.context, checked.summary
                context["bridge_check"].update(claimed_priority=priority, claimed_reason=claimed_reason or reason)
                if checked.trusted:
                    level = priority_of(priority, context, meta)
                else:
                    level = priority_of(None, claims.untrusted_context(context), meta)
                    log.warning(
                        "handover context not supported by the store",
                        extra={"fields": {"conversation_id": conversation_id, "notes": checked.notes}},
                    )
            else:
                level = priority_of(priority, context, meta)
            now = utcnow()
            handover = await handovers_repo.create(
                session,
                conversation_id=conversation_id,
                context=context,
                reason=reason,
                category=category,
                skill=skill,
                priority=level,
                summary=summary,
                rank=now.timestamp() - level * self.ctx.settings.ageing_seconds,
                front=False,
                queued_at=now,
                tags=[],
                idempotency_key=idempotency_key,
            )
            if not await conversations_repo.transition(
                session,
                conversation_id,
                [State.BOT],
                State.QUEUED,
                actor=actor,
                handover_id=handover.id,
                detail={"reason": reason, "category": category, "priority": level},
            ):
                raise Conflict("the conversation changed state, please retry", "bad_state")
            if reply_to is None:  # caused by the bot turn in flight (the action calls back)
                reply_to = await messages_repo.turn_in_flight(session, conversation_id)
            snap = await self.queue.snapshot(session)
            estimate = snap.estimate(handover)
            await handovers_repo.set_position_if_changed(session, handover.id, estimate.position, estimate.eta_seconds)
            events = await self.queue.notify_position(session, conversation_id, handover, estimate, reply_to=reply_to)
            answer = {
                "conversation_id": conversation_id,
                "handover_id": handover.id,
                **estimate.as_dict(),
                "ticket_offered": estimate.eta_seconds is None,
                "priority": level,
                "category": category,
            }
            await handovers_repo.update_fields(session, handover.id, response=answer)
            events = [
                (topics(conversation_id, agents=True), state_frame(conversation_id, State.QUEUED)),
                *events,
                queue_changed(),
            ]
            return 201, answer, events
