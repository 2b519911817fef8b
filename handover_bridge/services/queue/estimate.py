"""Where a queued conversation stands (pure): its position in its skill's line and its expected
wait, from a snapshot of the queue (queue.py takes it and tells customers).

Expected wait (ETA). With S = the online agents' total chat slots for the skill, F = their free
slots, and H = the median handling time (accepted → closed) of the last 50 chats closed in the
past week (DEFAULT_HANDLE_SECONDS when there is none): position p ≤ F is taken at once (0 s);
otherwise chats finish at a rate of S / H, and p − F of them must finish first:
ETA = (p − F) × H / S. No capable agent online (or outside business hours): no ETA, a ticket is
offered instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...models import Agent, Conversation, Handover


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
