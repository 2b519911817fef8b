"""The demo week's rows, built in memory (no database access): one local day at a time, the
conversations with their messages, handovers, tickets and review candidates, from the stories of
stories.py. The numbers are random but the same for the same date (demo_week.py stores them).
"""

from __future__ import annotations

import math
import random
import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ...domain import abuse, states, texts
from ...domain.states import State
from ...models import Conversation, Handover, Ticket
from ...repositories.demo import DEMO_PREFIX
from .stories import BOT_ONLY, HANDOVERS, TICKET_MESSAGES, TICKET_ONLY, TICKET_REPLIES


class _Day:
    """Random numbers for one local day, the same every time for the same date."""

    def __init__(self, day: date):
        self.random = random.Random(f"jieli-demo-week:{day.isoformat()}")


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> float:
    return max(low, min(high, median * math.exp(rng.gauss(0, sigma))))


def _start_times(rng: random.Random, day: date, zone: ZoneInfo) -> list[datetime]:
    """Conversation start times of one day: more at lunch and in the evening, more at weekends."""
    count = rng.randint(34, 44) if day.weekday() >= 5 else rng.randint(26, 36)
    hours = [h for h in range(8, 24)]
    weights = [1, 2, 4, 5, 5, 3, 3, 3, 3, 3, 3, 3, 5, 6, 6, 3]
    times = []
    for _ in range(count):
        hour = rng.choices(hours, weights)[0]
        times.append(datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone))
    return sorted(times)


class WeekBuilder:
    """Builds the rows of the demo week in memory."""

    def __init__(self, settings, zone: ZoneInfo, today: date, now: datetime, agents):
        self.settings = settings
        self.zone = zone
        self.today = today
        self.now = now
        self.agents = agents
        self.conversations: list[Conversation] = []
        self.messages: list[tuple[str, dict[str, Any]]] = []  # (conversation id, message) in order
        self.tickets: list[Ticket] = []
        self.handovers: list[tuple[Handover, dict[str, Any] | None]] = []
        self.number = 0

    # ---- one day ------------------------------------------------------------------------------

    def day(self, day: date) -> None:
        rng = _Day(day).random
        for start in _start_times(rng, day, self.zone):
            start = start.astimezone(timezone.utc)
            roll = rng.random()
            if roll < 0.6:
                self._bot_only(rng, start)
            elif roll < 0.955:
                self._handover(rng, start)
            else:
                self._ticket_only(rng, start)

    # ---- pieces -------------------------------------------------------------------------------

    def _conversation(self, rng: random.Random, start: datetime) -> tuple[Conversation, dict[str, Any]]:
        self.number += 1
        tier = rng.choices(["普通会员", "VIP", "SVIP"], [70, 22, 8])[0]
        meta = {
            "demo": True,
            "demo_week": self.today.isoformat(),
            "customer_id": f"demo-{rng.randrange(10**5, 10**6)}",
            "tier": tier,
            "current_order": f"2024{rng.randrange(10**11, 10**12)}",
            "page": "/shop/",
        }
        conversation = Conversation(
            id=f"{DEMO_PREFIX}{self.number:024x}",
            token_hash=secrets.token_hex(32),
            state=states.INITIAL.value,
            meta=meta,
            next_seq=0,
            created_at=start,
            updated_at=start,
        )
        return conversation, meta

    def _say(
        self, conversation: Conversation, when: datetime, sender: str, text: str, payload: dict[str, Any] | None = None
    ) -> None:
        """A message, stored later through the one append path (which gives it its seq)."""
        self.messages.append(
            (
                conversation.id,
                {
                    "sender": sender,
                    "text": text,
                    "payload": payload,
                    "status": "done" if sender == "customer" else None,
                    "abusive": sender == "customer" and abuse.is_abusive(text),
                    "created_at": when,
                },
            )
        )
        conversation.updated_at = when

    @staticmethod
    def _move(conversation: Conversation, to: State) -> None:
        """The demo conversation's state changes as a real one's would (domain/states.py)."""
        conversation.state = states.transition(conversation, to).value

    def _lines(
        self, rng: random.Random, conversation: Conversation, clock: datetime, lines: list[tuple[str, str]], order: str
    ) -> datetime:
        for who, text in lines:
            clock += timedelta(seconds=rng.uniform(1.5, 4) if who in ("b", "s") else rng.uniform(8, 40))
            sender = {"c": "customer", "b": "bot", "s": "system"}[who]
            self._say(conversation, clock, sender, text.replace("{order}", order))
        return clock

    def _fits(self, end: datetime) -> bool:
        """Today's conversations must be over before now."""
        return end < self.now - timedelta(minutes=2)

    def _bot_only(self, rng: random.Random, start: datetime) -> None:
        conversation, meta = self._conversation(rng, start)
        lines = rng.choice(BOT_ONLY)
        mark = len(self.messages)
        end = self._lines(rng, conversation, start, lines, meta["current_order"])
        if not self._fits(end):
            del self.messages[mark:]
            self.number -= 1
            return
        self.conversations.append(conversation)

    def _ticket_only(self, rng: random.Random, start: datetime) -> None:
        conversation, meta = self._conversation(rng, start)
        mark = len(self.messages)
        clock = self._lines(rng, conversation, start, TICKET_ONLY, meta["current_order"])
        clock += timedelta(seconds=rng.uniform(30, 90))
        if not self._fits(clock):
            del self.messages[mark:]
            self.number -= 1
            return
        self._ticket(rng, conversation, clock)
        self.conversations.append(conversation)

    def _ticket(self, rng: random.Random, conversation: Conversation, when: datetime) -> None:
        which = rng.randrange(len(TICKET_MESSAGES))
        contact = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        ticket = Ticket(
            conversation_id=conversation.id,
            message=TICKET_MESSAGES[which],
            contact=contact,
            status="open",
            created_at=when,
        )
        self._say(
            conversation,
            when + timedelta(seconds=1),
            "system",
            texts.TICKET_RECEIVED.format(contact=contact),
            payload={"type": "ticket"},
        )
        answered = when + timedelta(hours=_lognormal(rng, 3, 0.8, 0.3, 20))
        if rng.random() < 0.85 and answered < self.now:
            ticket.status, ticket.answered_at = "answered", answered
            ticket.reply, ticket.answered_by = TICKET_REPLIES[which], rng.choice(self.agents).id
            self._say(
                conversation,
                answered,
                "system",
                texts.TICKET_ANSWERED.format(reply=ticket.reply),
                payload={"type": "ticket_answered"},
            )
        self._move(conversation, State.TICKET)
        self.tickets.append(ticket)

    def _handover(self, rng: random.Random, start: datetime) -> None:
        conversation, meta = self._conversation(rng, start)
        story = rng.choice(HANDOVERS)
        order = meta["current_order"]
        mark = len(self.messages)
        clock = self._lines(rng, conversation, start, story["bot"], order)
        if story["ask"]:
            clock = self._lines(rng, conversation, clock, [("c", story["ask"])], order)
        reason = story["reason"]
        if rng.random() < 0.04:
            reason = "bot_unavailable"
        local_hour = clock.astimezone(self.zone).hour
        busy = local_hour in (10, 11, 20, 21)
        position = rng.randint(2, 6) if busy else rng.randint(1, 3)
        eta = position * rng.randint(40, 90)
        queued = clock + timedelta(seconds=1)
        self._move(conversation, State.QUEUED)
        self._say(
            conversation,
            queued,
            "system",
            texts.queue_notice(position, eta),
            payload={"type": "queue", "position": position, "eta_seconds": eta},
        )
        priority = min(3, story["priority"] + (1 if meta["tier"] != "普通会员" else 0))
        handover = Handover(
            conversation_id=conversation.id,
            reason=reason,
            category=story["category"],
            skill=self.settings.skill_for(story["category"]),
            priority=priority,
            summary=story["summary"],
            context={"demo": True, "summary": story["summary"], "customer": {"tier": meta["tier"]}, "order_id": order},
            rank=queued.timestamp() - priority * self.settings.ageing_seconds,
            queued_at=queued,
            tags=[],
        )
        outcome = rng.random()
        candidate: dict[str, Any] | None = None
        if outcome < 0.07:  # gave up waiting
            clock = queued + timedelta(seconds=_lognormal(rng, 150, 0.4, 60, 400))
            self._move(conversation, State.BOT)
            self._say(conversation, clock, "system", texts.WAIT_CANCELLED)
            handover.closed_at, handover.resolution = clock, "cancelled_by_customer"
        elif outcome < 0.13:  # waited long, left a message
            clock = queued + timedelta(seconds=_lognormal(rng, 600, 0.2, 420, 900))
            self._say(conversation, clock, "system", texts.LONG_WAIT_TICKET, payload={"type": "ticket_offer"})
            clock += timedelta(seconds=rng.uniform(40, 120))
            handover.closed_at, handover.resolution = clock, "ticket"
            if self._fits(clock):
                self._ticket(rng, conversation, clock)
        else:  # an agent answers
            agent = rng.choice(self.agents)
            wait = _lognormal(rng, 150 if busy else 45, 0.7, 8, 900)
            accepted = queued + timedelta(seconds=wait)
            self._move(conversation, State.ASSIGNED)
            self._say(
                conversation,
                accepted,
                "system",
                texts.AGENT_JOINED.format(name=agent.display_name),
                payload={"type": "agent_joined", "agent": {"id": agent.id, "display_name": agent.display_name}},
            )
            clock = accepted
            first_reply = None
            for who, text in story["chat"]:
                if who == "a":
                    clock += timedelta(seconds=rng.uniform(15, 60) if first_reply is None else rng.uniform(30, 150))
                    self._say(conversation, clock, "agent", text.replace("{order}", order))
                    first_reply = first_reply or clock
                else:
                    clock += timedelta(seconds=rng.uniform(20, 90))
                    self._say(conversation, clock, "customer", text.replace("{order}", order))
            clock += timedelta(seconds=_lognormal(rng, 120, 0.8, 20, 900))
            returned = rng.random() < 0.9
            self._say(
                conversation,
                clock,
                "system",
                texts.CLOSED_TO_BOT if returned else texts.CLOSED_END,
                payload={"type": "closed", "return_to_bot": returned},
            )
            handover.accepted_at, handover.first_reply_at, handover.agent_id = accepted, first_reply, agent.id
            handover.closed_at, handover.resolution = (
                clock,
                rng.choice(["已解决", "已解决", "已解决", "已处理，待跟进"]),
            )
            handover.intent = story["intent"]
            handover.tags = [story["category"]]
            self._move(conversation, State.BOT if returned else State.CLOSED)
            self._say(
                conversation,
                clock + timedelta(seconds=2),
                "bot" if returned else "system",
                texts.ASK_RATING,
                payload={"type": "rating_request", "scale": [1, 2, 3, 4, 5]},
            )
            clock += timedelta(seconds=2)
            if rng.random() < 0.72:
                weights = [14, 14, 20, 28, 24] if story.get("abusive") else [3, 4, 9, 30, 54]
                handover.rating = rng.choices([1, 2, 3, 4, 5], weights)[0]
                clock += timedelta(seconds=rng.uniform(5, 30))
                self._say(
                    conversation,
                    clock,
                    "system",
                    texts.THANKS_RATING,
                    payload={"type": "rating_received", "score": handover.rating},
                )
            if rng.random() < 0.45:
                candidate = {
                    "conversation_id": conversation.id,
                    "agent_id": agent.id,
                    "intent": story["intent"],
                    "bot_intent": story["bot_intent"],
                    "examples": list(story["examples"]),
                    "answer": story["answer"],
                    "reusable": story["answer"] is not None,
                    "status": "pending",
                    "demo": True,
                    "created_at": handover.closed_at,
                    "note": "演示数据",
                }
        if not self._fits(clock):
            del self.messages[mark:]
            self.tickets = [t for t in self.tickets if t.conversation_id != conversation.id]
            self.number -= 1
            return
        self.conversations.append(conversation)
        self.handovers.append((handover, candidate))
