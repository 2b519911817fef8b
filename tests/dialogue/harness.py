"""The whole bot in one process: the trained model (NLU + every policy, EscalationPolicy included)
and the real action server code, without HTTP.

Rasa calls custom actions through its action endpoint; `InProcessActions` is an endpoint whose
`request` hands the exact JSON Rasa would POST to rasa_sdk's `ActionExecutor` and returns its JSON
answer. The bridge is a fake that records every handover body (or fails, to play "bridge down").
`resume_and_rate` does what the bridge does when an agent hands a conversation back: a `resume`
event, then `trigger_intent request_rating`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ConversationResumed
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from actions.bridge_client import BridgeError, HandoverTicket

# the secret the tests' bridge signs verified customers with (JIELI_ACTION_TOKEN of the action server)
ACTION_TOKEN = "dialogue-test-action-token-0123456789abcdef"


def identity_token(customer_id: str, conversation_id: str, tier: str | None = None, secret: str = ACTION_TOKEN) -> str:
    """The `jieli_identity` the bridge puts into the metadata of a verified customer's messages
    (the identity contract, point 3)."""
    import time

    import jwt

    now = int(time.time())
    return jwt.encode(
        {
            "iss": "jieli-bridge",
            "aud": "jieli-actions",
            "sub": customer_id,
            "tier": tier,
            "cid": conversation_id,
            "iat": now,
            "exp": now + 600,
        },
        secret,
        algorithm="HS256",
    )


class InProcessActions(EndpointConfig):
    def __init__(self) -> None:
        super().__init__(url="http://in-process.invalid/webhook")
        self.executor = ActionExecutor()
        self.executor.register_package("actions")

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = None,
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        answer = await self.executor.run(json.loads(json.dumps(kwargs["json"])))
        return json.loads(json.dumps(answer))


class FakeBridge:
    """Records POST /api/handovers bodies; `down = True` makes it unreachable."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.down = False

    def create_handover(self, body: dict, idempotency_key: str) -> HandoverTicket:
        if self.down:
            raise BridgeError("bridge unreachable: ConnectionError")
        self.bodies.append(body)
        return HandoverTicket(
            queue_position=1,
            eta_seconds=40,
            agents_online=2,
            data={"queue_position": 1, "eta_seconds": 40, "agents_online": 2},
        )

    def close(self) -> None:
        pass


@dataclass
class Reply:
    """What one customer message produced."""

    text: str
    actions: list[str]
    messages: list[dict]
    paused: bool

    @property
    def said(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)


@dataclass
class Conversation:
    bot: InProcessBot
    sender: str = field(default_factory=lambda: f"c-{uuid.uuid4().hex[:12]}")
    metadata: dict = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)

    def say(self, text: str) -> Reply:
        reply = self.bot.run(self.bot.say(self.sender, text, self.metadata))
        self.replies.append(reply)
        return reply

    def handover_turn(self) -> int | None:
        """1-based number of the customer message that was handed over, or None."""
        for number, reply in enumerate(self.replies, start=1):
            if "action_handover" in reply.actions and reply.paused:
                return number
        return None

    def resume_and_rate(self) -> Reply:
        return self.bot.run(self.bot.resume_and_rate(self.sender))


def quiet() -> None:
    """Rasa's and TensorFlow's logs at ERROR (as scripts/quiet_rasa.py does)."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)


class InProcessBot:
    def __init__(self, model_path: str, bridge: FakeBridge) -> None:
        quiet()
        self.loop = asyncio.new_event_loop()
        self.endpoint = InProcessActions()
        self.agent = self.run(self._load(model_path))
        self.bridge = bridge

    async def _load(self, model_path: str) -> Agent:
        return Agent.load(model_path, action_endpoint=self.endpoint)

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def conversation(self, **metadata: Any) -> Conversation:
        return Conversation(self, metadata=metadata)

    def verified_conversation(self, customer_id: str, tier: str | None = None, **metadata: Any) -> Conversation:
        """A conversation of a logged-in customer: every message carries the bridge's signed
        `jieli_identity` for this conversation."""
        conversation = Conversation(self, metadata=metadata)
        conversation.metadata["jieli_identity"] = identity_token(customer_id, conversation.sender, tier)
        return conversation

    async def _events(self, sender: str) -> list:
        # every session: a rolling tracker store (jieli_dialogue/tracker_store.py) reads back only the last
        tracker = await self.agent.tracker_store.retrieve_full_tracker(sender)
        return list(tracker.events) if tracker else []

    async def say(self, sender: str, text: str, metadata: dict | None = None) -> Reply:
        before = len(await self._events(sender))
        channel = CollectingOutputChannel()
        await self.agent.handle_message(UserMessage(text, channel, sender, metadata=metadata or {}))
        tracker = await self.agent.tracker_store.retrieve_full_tracker(sender)
        new = list(tracker.events)[before:]
        actions = [
            e.action_name
            for e in new
            if e.type_name == "action" and e.action_name not in ("action_listen", "action_session_start")
        ]
        return Reply(text, actions, channel.messages, tracker.is_paused())

    async def resume_and_rate(self, sender: str) -> Reply:
        before = len(await self._events(sender))
        tracker = await self.agent.tracker_store.retrieve(sender)
        tracker.update(ConversationResumed())
        await self.agent.tracker_store.save(tracker)
        channel = CollectingOutputChannel()
        tracker = await self.agent.processor.fetch_tracker_and_update_session(sender)
        await self.agent.trigger_intent("request_rating", [], channel, tracker)  # saves the tracker
        new = (await self._events(sender))[before:]
        actions = [e.action_name for e in new if e.type_name == "action" and e.action_name != "action_listen"]
        return Reply("EXTERNAL: request_rating", actions, channel.messages, tracker.is_paused())

    def close(self) -> None:
        self.loop.close()
