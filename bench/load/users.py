"""The simulated people, as Locust users: customers on the widget's protocol and agents on the
console's, all through the load balancer.

A customer opens a conversation (POST /api/conversations), opens /ws/customer, says `hello` and
sends every message as a WebSocket `message` frame with its own client_msg_id, as the widget does;
a turn is over when the bridge acknowledged it and (in bot mode) the first reply to it arrived.
Three journeys, mixed by the users' weights:

- FAQ: a few ordinary questions with think time, then the conversation ends and a new one starts;
- order: looks an order up (order number, then the last four digits of its phone), then keeps
  asking questions and, every few turns, asks about the order again without its number — the bot
  must answer from the conversation's slots (checked: the reply names the order);
- handover: a question, then 转人工; says what is wrong while waiting, answers the agent, and after
  the agent hands back rates the service and asks one more question.

An agent logs in (POST /api/agent/login), goes online, opens /ws/agent and answers every chat
assigned to it (auto-assignment): a greeting, an answer to the customer's reply, then closes
with return_to_bot. Every frame about a conversation on an agent's socket counts as the chat
being visible to agents.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import gevent
from locust import FastHttpUser, constant, task
from locust.contrib.fasthttp import FastHttpSession

from . import script
from .record import Record, Turn
from .wire import GaveUp, Line


@dataclass
class Plan:
    """What the conductor asked for (swarm.py reads it from JSON)."""

    url: str  # the front: the balancer (scaled) or the bridge (embedded)
    origin: str
    stop_at: float  # epoch: no new turn after this
    think: tuple[float, float] = (1.0, 3.0)  # seconds between a customer's turns (uniform)
    faq_turns: tuple[int, int] = (3, 6)
    # the order journey asks about its order again every this many turns: the same question three
    # times among a customer's last six messages is a repeated question, and the bot hands over
    # (docs/escalation.md, "The same question again")
    order_again_every: int = 5
    agents: list[tuple[str, str]] = field(default_factory=list)
    agent_think: tuple[float, float] = (0.5, 1.5)
    turn_timeout: float = 30.0
    reply_wait: float = 5.0  # after the acknowledgement, how long a reply may still take to arrive
    seed: int = 1


PLAN: Plan | None = None
RECORD = Record()

_http_retries = 4


def plan() -> Plan:
    assert PLAN is not None, "swarm.py sets users.PLAN before the users start"
    return PLAN


def ws_base(url: str) -> str:
    return url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)


def http_json(
    client: FastHttpSession, method: str, path: str, name: str, body: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    """One HTTP call through the front, retried (with back-off) when the connection fails or a
    bridge behind the balancer is gone (502/503): a real widget retries too."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    delay = 0.3
    for attempt in range(_http_retries + 1):
        started = time.perf_counter()
        status, data, failure = 0, {}, ""
        try:
            response = client.request(method, path, json=body, headers=headers, name=name, catch_response=True)
            with response:
                status = response.status_code or 0
                try:
                    data = response.json() if response.text else {}
                except ValueError:
                    data = {}
                if status in (0, 502, 503, 504):
                    failure = f"{name}: status {status}"
                    response.failure(failure)
                else:
                    response.success()
        except Exception as error:  # noqa: BLE001 - the connection itself failed
            failure = f"{name}: {type(error).__name__}: {error}"
        if not failure:
            return status, data
        RECORD.error("http retry", failure)
        if attempt == _http_retries:
            return status, data
        gevent.sleep(delay)
        delay *= 2
        del started
    return 0, {}


# ---- customers -------------------------------------------------------------------------------


class Conversation(Line):
    """One customer's conversation over /ws/customer."""

    role = "customer"

    def __init__(self, url: str, origin: str, conversation_id: str, token: str, kind: str):
        super().__init__(
            f"{ws_base(url)}/ws/customer?conversation_id={conversation_id}&token={token}",
            origin,
            RECORD,
            conversation_id,
        )
        self.id = conversation_id
        self.kind = kind
        self.state = "bot"
        self.last_seq = 0
        self.messages: dict[int, dict[str, Any]] = {}
        self.arrived: dict[int, float] = {}  # seq → perf_counter when its frame arrived
        self.acks: dict[str, tuple[int, str, float]] = {}  # client_msg_id → (seq, state, perf_counter)
        self.failed: dict[str, str] = {}  # client_msg_id → error code
        RECORD.conversation(conversation_id, kind)

    def hello(self) -> dict[str, Any]:
        return {"type": "hello", "last_seq": self.last_seq}

    def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message":
            seq = frame.get("seq")
            if not isinstance(seq, int):
                return
            if seq in self.messages:
                RECORD.duplicate_frames += 1
                return
            self.messages[seq] = frame
            self.arrived[seq] = time.perf_counter()
            self.last_seq = max(self.last_seq, seq)
            if frame.get("sender") == "agent":
                RECORD.customer_saw_agent(self.id, frame.get("client_msg_id"), time.time())
        elif kind == "ack":
            cmid = frame.get("client_msg_id")
            seq = frame.get("seq")
            if isinstance(cmid, str) and isinstance(seq, int):
                self.outbox.pop(cmid, None)
                if cmid not in self.acks:
                    self.acks[cmid] = (seq, frame.get("state", ""), time.perf_counter())
                RECORD.acked(self.id, cmid, seq)
                self.settled()
                if frame.get("state"):
                    self.state = frame["state"]
        elif kind == "state":
            self.state = frame.get("state", self.state)
            self.hello_answered()
        elif kind == "error":
            cmid = frame.get("client_msg_id")
            code = str(frame.get("code") or (frame.get("error") or {}).get("code") or "error")
            if isinstance(cmid, str) and cmid in self.outbox:
                self.outbox.pop(cmid)
                self.failed[cmid] = code
                self.settled()
            RECORD.error(f"customer error frame: {code}", str(frame)[:300])

    def replies_to(self, seq: int) -> list[dict[str, Any]]:
        return [m for s, m in sorted(self.messages.items()) if m.get("reply_to") == seq]

    def say(self, text: str, kind: str) -> list[dict[str, Any]]:
        """Send one message and wait for its turn to finish; records the turn. Returns the
        replies to it (bot or system), [] for a relayed message or a failure."""
        p = plan()
        cmid = uuid.uuid4().hex
        frame = {"type": "message", "text": text, "client_msg_id": cmid}
        relayed = self.state != "bot"
        RECORD.sending(self.id, cmid, text, "customer")
        self.outbox[cmid] = frame
        at, started = time.time(), time.perf_counter()
        self.send(frame)
        if not self.pump(lambda: cmid in self.acks or cmid in self.failed, p.turn_timeout):
            RECORD.turn(Turn(kind, at, time.perf_counter() - started, "timeout", self.id))
            RECORD.error("turn timeout", f"{self.id}: {text}")
            return []
        if cmid in self.failed:
            RECORD.turn(Turn(kind, at, time.perf_counter() - started, "error", self.id))
            return []
        seq, state, acked = self.acks[cmid]
        if relayed and state != "bot":
            RECORD.turn(Turn("relay", at, acked - started, "relay", self.id))
            return []
        self.pump(lambda: bool(self.replies_to(seq)), p.reply_wait)
        replies = self.replies_to(seq)
        if not replies:
            RECORD.turn(Turn(kind, at, acked - started, "no_reply", self.id))
            return []
        seen = min(self.arrived[m["seq"]] for m in replies)
        if any(m.get("sender") == "bot" for m in replies):
            outcome = "handover" if state in ("queued", "assigned") else "bot"
        elif any("开小差" in (m.get("text") or "") for m in replies):
            outcome = "fallback"
        else:
            outcome = "handover" if state in ("queued", "assigned") else "no_reply"
        RECORD.turn(Turn(kind, at, seen - started, outcome, self.id))
        return replies

    def wait_for(self, what, seconds: float) -> bool:
        return self.pump(what, seconds)

    def frame(self, frame: dict[str, Any]) -> None:
        self.send(frame)


class Person(FastHttpUser):
    """Locust's light HTTP client (geventhttpclient) for the few HTTP calls; the front is the
    environment's host."""

    abstract = True
    wait_time = constant(0)  # people pace themselves (think time inside their journeys)
    connection_timeout = 5.0
    network_timeout = 30.0
    max_retries = 0
    concurrency = 1


class Customer(Person):
    """A simulated customer: journeys one after another until the phase ends."""

    abstract = True
    journey_kind = "faq"
    count = 0

    def __init__(self, environment):
        super().__init__(environment)
        Customer.count += 1
        self.rng = random.Random(plan().seed * 7919 + Customer.count)

    def think(self, conversation: Conversation) -> bool:
        """Pause like a person, reading what arrives meanwhile (as the widget does: an agent's
        message is timed when it arrives, not when the customer next looks); False when the phase
        is over."""
        p = plan()
        conversation.pump(lambda: False, self.rng.uniform(*p.think))
        return time.time() < p.stop_at

    def open(self) -> Conversation | None:
        p = plan()
        status, data = http_json(self.client, "POST", "/api/conversations", "create conversation", {"metadata": {}})
        if status != 201 or "conversation_id" not in data:
            RECORD.error("create conversation failed", f"status {status}: {str(data)[:200]}")
            gevent.sleep(1.0)
            return None
        conversation = Conversation(p.url, p.origin, data["conversation_id"], data["token"], self.journey_kind)
        try:
            conversation.connect()
        except Exception:  # noqa: BLE001 - through the balancer again, with back-off
            conversation.reconnect("first connect failed")
        return conversation

    @task
    def journey(self) -> None:
        if time.time() >= plan().stop_at:
            gevent.sleep(0.5)
            return
        RECORD.active_journeys += 1
        conversation = None
        try:
            conversation = self.open()
            if conversation is not None:
                self.converse(conversation)
                # back from a drop just as the journey ends: stay until the bridge answered the hello
                conversation.pump(lambda: conversation.open_drop is None, 10.0)
        except GaveUp as error:
            RECORD.error("gave up reconnecting", str(error))
        finally:
            RECORD.active_journeys -= 1
            if conversation is not None:
                conversation.close()

    def converse(self, conversation: Conversation) -> None:
        raise NotImplementedError


class FaqCustomer(Customer):
    """A few ordinary questions, then the next conversation."""

    weight = 6
    journey_kind = "faq"

    def converse(self, conversation: Conversation) -> None:
        turns = self.rng.randint(*plan().faq_turns)
        start = self.rng.randrange(len(script.FAQ))
        for i in range(turns):
            conversation.say(script.FAQ[(start + i) % len(script.FAQ)], "faq")
            if not self.think(conversation):
                return


class OrderCustomer(Customer):
    """An order look-up, then questions until the phase ends, asking about the order again
    (without its number) every few turns: answered from the slots, or not."""

    weight = 3
    journey_kind = "order"

    def converse(self, conversation: Conversation) -> None:
        p = plan()
        order_id, digits = script.ORDERS[self.rng.randrange(len(script.ORDERS))]
        for text in (script.ORDER_ASK, order_id, f"尾号{digits}"):
            bot = [m.get("text") or "" for m in conversation.say(text, "order") if m.get("sender") == "bot"]
            if not bot:  # the turn failed (counted with the turns): this look-up cannot go on
                return
            if not self.think(conversation):
                return
        if not any(script.names_order(text, order_id) for text in bot):
            RECORD.error("order look-up not answered", " / ".join(bot)[:200])
            return
        turn, start = 0, self.rng.randrange(len(script.FAQ))
        while True:
            turn += 1
            if turn % p.order_again_every == 0:
                text = script.ORDER_ASK_AGAIN[(turn // p.order_again_every) % len(script.ORDER_ASK_AGAIN)]
                replies = conversation.say(text, "order_again")
                bot = [m.get("text") or "" for m in replies if m.get("sender") == "bot"]
                if bot:  # a fallback or a failure is counted with the turns, not as a slot lost
                    RECORD.slot_check(conversation.id, script.slot_answer(bot, order_id), " / ".join(bot))
            else:  # in turn, never the same question twice in a row of nine
                conversation.say(script.FAQ[(start + turn) % len(script.FAQ)], "faq")
            if not self.think(conversation):
                return


class HandoverCustomer(Customer):
    """A question, 转人工, the agent's chat, hand-back, a rating and one more question."""

    weight = 1
    journey_kind = "handover"
    agent_wait = 60.0  # seconds to wait for an agent before going back to the bot

    def converse(self, conversation: Conversation) -> None:
        conversation.say(script.FAQ[self.rng.randrange(len(script.FAQ))], "faq")
        if not self.think(conversation):
            return
        RECORD.handover_asked(conversation.id, time.time())
        conversation.say(script.HUMAN_ASK, "handover")
        if conversation.state not in ("queued", "assigned"):
            RECORD.error("no handover", f"state {conversation.state} after {script.HUMAN_ASK}")
            return
        conversation.pump(lambda: False, self.rng.uniform(*plan().think))
        order_id = script.ORDERS[0][0]
        conversation.say(script.PROBLEM.format(order=order_id), "relay")
        served = conversation.wait_for(lambda: RECORD.handovers[conversation.id].served, self.agent_wait)
        if not served:
            RECORD.error("no agent answered", conversation.id)
            conversation.frame({"type": "cancel_wait"})
            conversation.wait_for(lambda: conversation.state == "bot", 10)
            return
        conversation.pump(lambda: False, self.rng.uniform(*plan().think))
        conversation.say(script.CUSTOMER_TO_AGENT, "relay")
        if not conversation.wait_for(lambda: conversation.state == "bot", self.agent_wait):
            RECORD.error("agent never handed back", conversation.id)
            return
        RECORD.returned(conversation.id)
        conversation.frame({"type": "rating", "score": script.RATING})
        if self.think(conversation):
            conversation.say(script.FAQ[self.rng.randrange(len(script.FAQ))], "faq")


# ---- agents ------------------------------------------------------------------------------------


@dataclass
class Chat:
    stage: int  # 0: greet when due · 1: wait for the customer (close when due) · 2: answer when due · 3: close when due
    due: float


class Desk(Line):
    """One agent's console socket."""

    role = "agent"

    def __init__(self, url: str, origin: str, agent_id: int, token: str, username: str):
        super().__init__(f"{ws_base(url)}/ws/agent?token={token}", origin, RECORD, username)
        self.agent_id = agent_id
        self.chats: dict[str, Chat] = {}
        self.rng = random.Random(agent_id)
        self.snapshot = False

    def hello(self) -> dict[str, Any]:
        return {"type": "hello"}

    def think(self) -> float:
        return time.monotonic() + self.rng.uniform(*plan().agent_think)

    def take(self, conversation_id: str) -> None:
        # only this swarm's customers' chats (another set-up on the same Redis could reach us)
        if conversation_id not in self.chats and conversation_id in RECORD.kinds:
            self.chats[conversation_id] = Chat(0, self.think())

    def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        conversation_id = frame.get("conversation_id")
        now = time.time()
        if isinstance(conversation_id, str):
            RECORD.agent_saw(conversation_id, now)
        if kind == "snapshot":
            self.snapshot = True
            self.hello_answered()
            for chat in frame.get("chats") or []:
                if chat.get("state") == "assigned" and chat.get("conversation_id"):
                    self.take(chat["conversation_id"])
        elif kind in ("agent_joined", "state") and isinstance(conversation_id, str):
            agent = frame.get("agent") or {}
            if kind == "state" and frame.get("state") != "assigned":
                self.chats.pop(conversation_id, None)  # handed back, cancelled or requeued
            elif agent.get("id") == self.agent_id:
                self.take(conversation_id)
            elif conversation_id in self.chats and agent.get("id") is not None:
                self.chats.pop(conversation_id)  # transferred to someone else
        elif kind == "transferred_away" and isinstance(conversation_id, str):
            self.chats.pop(conversation_id, None)
        elif kind == "message" and isinstance(conversation_id, str) and frame.get("sender") == "customer":
            chat = self.chats.get(conversation_id)
            if chat is not None and chat.stage == 1:
                chat.stage, chat.due = 2, self.think()
        elif kind == "ack":
            cmid, seq = frame.get("client_msg_id"), frame.get("seq")
            if isinstance(cmid, str) and isinstance(seq, int) and isinstance(conversation_id, str):
                self.outbox.pop(cmid, None)
                RECORD.acked(conversation_id, cmid, seq)
                self.settled()
        elif kind == "error":
            self.outbox.pop(str(frame.get("client_msg_id")), None)  # refused: not resent
            RECORD.error(f"agent error frame: {frame.get('code')}", str(frame)[:300])

    def unacknowledged(self, conversation_id: str) -> bool:
        return any(frame["conversation_id"] == conversation_id for frame in self.outbox.values())

    def say(self, conversation_id: str, text: str) -> None:
        cmid = uuid.uuid4().hex
        frame = {"type": "message", "conversation_id": conversation_id, "text": text, "client_msg_id": cmid}
        RECORD.sending(conversation_id, cmid, text, "agent")
        RECORD.agent_sent(conversation_id, cmid, time.time())
        self.outbox[cmid] = frame
        self.send(frame)


class Agent(Person):
    """A simulated agent (fixed count: the conductor's agents, one user each)."""

    abstract = True  # the swarm makes one concrete class per agent account
    username = ""
    password = ""
    beat_every = 10.0

    def __init__(self, environment):
        super().__init__(environment)
        self.token = ""
        self.desk: Desk | None = None

    def on_start(self) -> None:
        p = plan()
        status, data = http_json(
            self.client,
            "POST",
            "/api/agent/login",
            "agent login",
            {"username": self.username, "password": self.password},
        )
        if status != 200:
            RECORD.error("agent login failed", f"{self.username}: {status} {str(data)[:200]}")
            return
        self.token = data["token"]
        http_json(self.client, "POST", "/api/agent/presence", "agent presence", {"presence": "online"}, self.token)
        self.desk = Desk(p.url, p.origin, data["agent"]["id"], self.token, self.username)
        try:
            self.desk.connect()
        except Exception:  # noqa: BLE001
            self.desk.reconnect("first connect failed")

    def close(self, conversation_id: str) -> None:
        status, data = http_json(
            self.client,
            "POST",
            f"/api/agent/conversations/{conversation_id}/close",
            "agent close",
            {"return_to_bot": True, "resolution": "已处理"},
            self.token,
        )
        if status != 200:
            RECORD.error("agent close failed", f"{status} {str(data)[:200]}")

    @task
    def work(self) -> None:
        desk = self.desk
        if desk is None:
            gevent.sleep(1)
            return
        last_beat = time.monotonic()
        while time.time() < plan().stop_at + 30:  # keep serving the handovers still open at the end
            try:
                desk.pump(lambda: False, 0.25)
            except GaveUp as error:
                RECORD.error("gave up reconnecting", str(error))
                return
            now = time.monotonic()
            if now - last_beat >= self.beat_every:
                last_beat = now
                desk.send({"type": "heartbeat"})
            for conversation_id, chat in list(desk.chats.items()):
                if chat.due > now:
                    continue
                if chat.stage == 0:
                    desk.say(conversation_id, script.AGENT_GREETING)
                    chat.stage, chat.due = 1, now + 20.0
                elif chat.stage == 2:
                    desk.say(conversation_id, script.AGENT_ANSWER)
                    chat.stage, chat.due = 3, desk.think()
                elif desk.unacknowledged(conversation_id):
                    chat.due = now + 0.5  # close only once the bridge stored what the agent said
                else:  # stage 1 timed out, or stage 3
                    desk.chats.pop(conversation_id, None)
                    self.close(conversation_id)
