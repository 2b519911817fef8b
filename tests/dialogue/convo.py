"""Build tracker event lists the way Rasa writes them, for the escalation tests.

`Convo().user("人工客服", "request_human").bot("action_handover", "好的…").events` gives the
event dicts of `tracker.events` in the action server (and of `event.as_dict()` inside Rasa).
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from jieli_dialogue.signals import ASK_ACTION, HANDOVER_ACTION, PENDING_SLOT

START = 1732067400.0  # 2024-11-20 01:50:00 UTC


class Convo:
    def __init__(self, sender: str = "c-test", metadata: dict | None = None):
        self.sender = sender
        self.metadata = metadata or {}
        self._clock = itertools.count()
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.action("action_session_start", policy=None)
        self.events.append({"event": "session_started", "timestamp": self._now()})
        self.action("action_listen", policy=None)

    def _now(self) -> float:
        return START + 7 * next(self._clock)

    def action(self, name: str, policy: str | None = "RulePolicy") -> Convo:
        self.events.append(
            {"event": "action", "name": name, "policy": policy, "confidence": 1.0, "timestamp": self._now()}
        )
        return self

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 0.95,
        entities: list[dict] | None = None,
        metadata: dict | None = None,
        external: bool = False,
    ) -> Convo:
        message_id = f"m{next(self._ids):03d}"
        meta = {"is_external": True} if external else {**self.metadata, **(metadata or {})}
        entities = entities or []
        self.events.append(
            {
                "event": "user",
                "text": text,
                "timestamp": self._now(),
                "input_channel": "rest",
                "message_id": message_id,
                "metadata": meta,
                "parse_data": {
                    "intent": {"name": intent, "confidence": confidence},
                    "entities": entities,
                    "text": text,
                    "message_id": message_id,
                    "metadata": meta,
                    "intent_ranking": [{"name": intent, "confidence": confidence}],
                },
            }
        )
        for entity in entities:
            if entity.get("entity") == "order_id":
                self.slot("order_id", entity["value"])
        return self

    def slot(self, name: str, value: Any) -> Convo:
        self.events.append({"event": "slot", "name": name, "value": value, "timestamp": self._now()})
        return self

    def bot(
        self,
        action: str,
        *texts: str,
        buttons: list[dict] | None = None,
        listen: bool = True,
        events: list[dict] | None = None,
        clarify: bool = False,
    ) -> Convo:
        """The bot runs `action`, says `texts`, applies `events`, then listens. `clarify`: the texts
        are a question of the bot's own (a menu, "请发订单号"), as actions/common.ask marks them."""
        self.events.append(
            {"event": "user_featurization", "use_text_for_featurization": False, "timestamp": self._now()}
        )
        self.action(action)
        for text in texts:
            self.events.append(
                {
                    "event": "bot",
                    "text": text,
                    "timestamp": self._now(),
                    "data": {
                        "buttons": buttons,
                        "elements": None,
                        "quick_replies": None,
                        "attachment": None,
                        "image": None,
                        "custom": None,
                    },
                    "metadata": {"utter_action": action}
                    if action.startswith("utter_")
                    else ({"clarify": True} if clarify else {}),
                }
            )
        for event in events or []:
            self.events.append({**event, "timestamp": self._now()})
        if listen:
            self.action("action_listen")
        return self

    def pause(self) -> Convo:
        self.events.append({"event": "pause", "timestamp": self._now()})
        return self

    def resume(self) -> Convo:
        self.events.append({"event": "resume", "timestamp": self._now()})
        return self

    def copy(self) -> Convo:
        return copy.deepcopy(self)


def order(value: str, start: int = 0) -> dict:
    return {
        "entity": "order_id",
        "value": value,
        "start": start,
        "end": start + len(value),
        "extractor": "OrderIdExtractor",
    }


# what the escalation tests build often
PENDING = {"event": "slot", "name": PENDING_SLOT, "value": True}


def asked(convo: Convo, text: str = "我的退款被拒绝了") -> Convo:
    """A bare first-message request, answered with the ask action."""
    return convo.user("转人工", "request_human").bot(
        ASK_ACTION, "请简单描述一下您遇到的问题，我马上为您转接人工客服～", events=[PENDING]
    )


def handed_over(convo: Convo, paused: bool = True) -> Convo:
    convo.bot(
        HANDOVER_ACTION,
        "好的，已经为您转接人工客服",
        listen=False,
        events=[{"event": "slot", "name": PENDING_SLOT, "value": None}],
    )
    if paused:
        convo.pause().action("action_listen")  # what action_handover returns after a successful POST
    return convo
