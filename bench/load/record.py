"""What the swarm saw, kept for the conductor: every turn, every message a client sent and the
seq its acknowledgement gave, handovers and their timings, socket drops and reconnections,
order look-ups asked again. Also fed to Locust's statistics (its request event), so Locust's
own counters and failures agree with the report.

Times are wall-clock epoch seconds (`time.time()`), so the conductor can set them against the
moments it killed a program; durations are measured with perf_counter.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Turn:
    kind: str  # faq | order | order_again | handover | relay
    at: float  # when it was sent
    seconds: float  # until the first reply was visible (relay: until the acknowledgement)
    outcome: str  # bot | handover | relay | fallback | no_reply | error | timeout
    conversation: str


@dataclass
class Sent:
    client_msg_id: str
    text: str
    at: float
    sender: str  # customer | agent
    acked_seq: int | None = None
    acks: int = 0  # acknowledgements received (a resend after a drop is acknowledged again)
    ack_seqs: list[int] = field(default_factory=list)


@dataclass
class Handover:
    conversation: str
    asked_at: float
    agent_saw_at: float | None = None  # first frame about it on any agent's socket
    agent_sent_at: float | None = None  # the agent's first message sent
    customer_saw_at: float | None = None  # … and seen by the customer
    served: bool = False  # the customer saw an agent's message
    returned_to_bot: bool = False
    reply_seconds: float | None = None  # the agent's first reply: sent → seen by the customer


@dataclass
class Drop:
    role: str
    who: str
    dropped_at: float
    reconnected_at: float | None
    attempts: int
    why: str
    resumed_at: float | None = None


@dataclass
class SlotCheck:
    conversation: str
    at: float
    answer: str  # remembered | forgotten | other (script.slot_answer)
    reply: str


class Record:
    def __init__(self) -> None:
        self.environment = None  # Locust's Environment, for its request event
        self.turns: list[Turn] = []
        self.sent: dict[str, dict[str, Sent]] = {}  # conversation → client_msg_id → Sent
        self.kinds: dict[str, str] = {}  # conversation → journey kind
        self.handovers: dict[str, Handover] = {}
        self.drops: list[Drop] = []
        self.slot_checks: list[SlotCheck] = []
        self.errors: Counter[str] = Counter()
        self.error_samples: dict[str, str] = {}
        self.duplicate_frames = 0  # a message frame with a seq the client already had
        self.ack_mismatches = 0  # one client_msg_id acknowledged with two different seqs
        self.agent_sent_at: dict[str, float] = {}  # agent message client_msg_id → sent
        self.active_journeys = 0  # customers in the middle of a journey (the swarm waits for them)

    # ---- Locust ------------------------------------------------------------------------------

    def _fire(self, kind: str, name: str, seconds: float, failure: str | None) -> None:
        if self.environment is not None:
            self.environment.events.request.fire(
                request_type=kind,
                name=name,
                response_time=seconds * 1000,
                response_length=0,
                exception=RuntimeError(failure) if failure else None,
                context={},
            )

    # ---- events --------------------------------------------------------------------------------

    def conversation(self, conversation: str, kind: str) -> None:
        self.kinds[conversation] = kind
        self.sent.setdefault(conversation, {})

    def turn(self, turn: Turn) -> None:
        self.turns.append(turn)
        failed = turn.outcome in ("fallback", "no_reply", "error", "timeout")
        self._fire("WS", f"turn {turn.kind}", turn.seconds, turn.outcome if failed else None)

    def sending(self, conversation: str, client_msg_id: str, text: str, sender: str) -> None:
        self.sent.setdefault(conversation, {})[client_msg_id] = Sent(client_msg_id, text, time.time(), sender)

    def acked(self, conversation: str, client_msg_id: str, seq: int) -> None:
        sent = self.sent.get(conversation, {}).get(client_msg_id)
        if sent is None:
            self.error("ack for a message not sent", client_msg_id)
            return
        sent.acks += 1
        sent.ack_seqs.append(seq)
        if sent.acked_seq is None:
            sent.acked_seq = seq
        elif sent.acked_seq != seq:
            self.ack_mismatches += 1

    def error(self, code: str, detail: str = "") -> None:
        self.errors[code] += 1
        self.error_samples.setdefault(code, detail[:300])
        self._fire("error", code, 0.0, detail or code)

    def http(self, name: str, seconds: float, failure: str | None = None) -> None:
        self._fire("HTTP", name, seconds, failure)

    def drop(
        self, role: str, who: str, dropped_at: float, reconnected_at: float | None, attempts: int, why: str
    ) -> int:
        self.drops.append(Drop(role, who, dropped_at, reconnected_at, attempts, why))
        if reconnected_at is not None:
            self._fire("WS", f"reconnect {role}", reconnected_at - dropped_at, None)
        return len(self.drops) - 1

    def resumed(self, index: int, at: float) -> None:
        self.drops[index].resumed_at = at

    def handover_asked(self, conversation: str, at: float) -> None:
        self.handovers[conversation] = Handover(conversation, at)

    def agent_saw(self, conversation: str, at: float) -> None:
        handover = self.handovers.get(conversation)
        if handover is not None and handover.agent_saw_at is None and at >= handover.asked_at:
            handover.agent_saw_at = at
            self._fire("handover", "asked → visible to an agent", at - handover.asked_at, None)

    def agent_sent(self, conversation: str, client_msg_id: str, at: float) -> None:
        self.agent_sent_at[client_msg_id] = at
        handover = self.handovers.get(conversation)
        if handover is not None and handover.agent_sent_at is None:
            handover.agent_sent_at = at

    def customer_saw_agent(self, conversation: str, client_msg_id: str | None, at: float) -> None:
        handover = self.handovers.get(conversation)
        if handover is None or handover.served:
            return
        handover.served = True
        handover.customer_saw_at = at
        sent = self.agent_sent_at.get(client_msg_id or "")
        if sent is not None and sent >= handover.asked_at:  # this very message, sent for this handover
            handover.reply_seconds = at - sent
            self._fire("handover", "agent's reply → visible to the customer", at - sent, None)

    def returned(self, conversation: str) -> None:
        if conversation in self.handovers:
            self.handovers[conversation].returned_to_bot = True

    def slot_check(self, conversation: str, answer: str, reply: str) -> None:
        self.slot_checks.append(SlotCheck(conversation, time.time(), answer, reply[:200]))

    # ---- out -----------------------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        return {
            "turns": [asdict(t) for t in self.turns],
            "sent": {c: [asdict(s) for s in by_id.values()] for c, by_id in self.sent.items()},
            "kinds": self.kinds,
            "handovers": [asdict(h) for h in self.handovers.values()],
            "drops": [asdict(d) for d in self.drops],
            "slot_checks": [asdict(s) for s in self.slot_checks],
            "errors": dict(self.errors),
            "error_samples": self.error_samples,
            "duplicate_frames": self.duplicate_frames,
            "ack_mismatches": self.ack_mismatches,
        }
