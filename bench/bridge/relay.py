"""Part 2: relay between customer and agent WebSockets, with 500 customer sockets open."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from websockets.asyncio.client import connect as ws_connect

from .bot_turns import quiet_cancellations
from .common import REQUEST_TIMEOUT, BenchError, LoopLag, cpu_seconds, ms, pct, rss_kb, say
from .services import Setup

# ---- part 2: relay with many sockets -------------------------------------------------------------


@dataclass
class Customer:
    index: int
    conversation_id: str
    token: str
    ws: object = None
    state: str = ""
    agent_id: int | None = None
    reader: asyncio.Task | None = None
    assigned: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class AgentConn:
    username: str
    id: int
    token: str
    ws: object = None
    reader: asyncio.Task | None = None
    beat: asyncio.Task | None = None
    snapshot: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class RelayResult:
    sockets: int
    assigned: int
    accepted_by_hand: int
    setup_seconds: float
    c2a: list[float]
    a2c: list[float]
    c2a_lost: int
    a2c_lost: int
    rate: float
    seconds: float
    rss_open: dict[str, int]
    rss_after: dict[str, int]
    handover_calls: list[float]
    agents: int
    client_lag: list[float]


class Relay:
    def __init__(self, s: Setup, args):
        self.s = s
        self.args = args
        self.ws_base = s.bridge_url.replace("http://", "ws://")
        self.customers: list[Customer] = []
        self.agents: dict[int, AgentConn] = {}
        self.pending: dict[str, tuple[float, float]] = {}  # client_msg_id → send time (perf, wall)
        self.split: dict[str, tuple[float, float]] = {}  # client_msg_id → (sent → stored, stored → received)
        self.delivered: dict[str, float] = {}  # client_msg_id → latency
        self.all_delivered = asyncio.Event()
        self.expected = 0
        self.handover_calls: list[float] = []

    def _received(self, frame: dict, from_sender: str) -> None:
        if frame.get("type") != "message" or frame.get("sender") != from_sender:
            return
        cmid = frame.get("client_msg_id")
        sent = self.pending.pop(cmid, None) if cmid else None
        if sent is not None:
            now, wall = time.perf_counter(), time.time()
            self.delivered[cmid] = now - sent[0]
            try:
                stored = datetime.fromisoformat(frame["created_at"]).timestamp()
                self.split[cmid] = (stored - sent[1], wall - stored)
            except (KeyError, TypeError, ValueError):
                pass
            if len(self.delivered) >= self.expected:
                self.all_delivered.set()

    async def _read_customer(self, c: Customer) -> None:
        async for raw in c.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message":
                self._received(frame, "agent")
            elif kind == "state":
                c.state = frame.get("state", c.state)
                if c.state == "assigned":
                    c.agent_id = (frame.get("agent") or {}).get("id", c.agent_id)
                    c.assigned.set()
            elif kind == "agent_joined":
                c.agent_id = (frame.get("agent") or {}).get("id", c.agent_id)

    async def _read_agent(self, a: AgentConn) -> None:
        async for raw in a.ws:
            frame = json.loads(raw)
            if frame.get("type") == "message":
                self._received(frame, "customer")
            elif frame.get("type") == "snapshot":
                a.snapshot.set()

    async def _beat(self, a: AgentConn) -> None:
        while True:
            await asyncio.sleep(10)
            await a.ws.send(json.dumps({"type": "heartbeat"}))

    async def open(self, client: httpx.AsyncClient) -> tuple[int, int]:
        s, n = self.s, self.args.sockets
        headers = {"Origin": s.origin}
        # agents: log in, go online, open the console socket
        for username, password in s.agents:
            response = await client.post(
                f"{s.bridge_url}/api/agent/login", json={"username": username, "password": password}
            )
            response.raise_for_status()
            data = response.json()
            a = AgentConn(username, data["agent"]["id"], data["token"])
            auth = {"Authorization": f"Bearer {a.token}"}
            (
                await client.post(f"{s.bridge_url}/api/agent/presence", json={"presence": "online"}, headers=auth)
            ).raise_for_status()
            a.ws = await ws_connect(
                f"{self.ws_base}/ws/agent?token={a.token}",
                additional_headers=headers,
                open_timeout=10,
                ping_interval=None,
                max_size=2**22,
            )
            a.reader = asyncio.create_task(self._read_agent(a))
            await a.ws.send(json.dumps({"type": "hello"}))
            await asyncio.wait_for(a.snapshot.wait(), 10)
            a.beat = asyncio.create_task(self._beat(a))
            self.agents[a.id] = a
        names = ", ".join(a.username for a in self.agents.values())
        say(f"relay: {len(self.agents)} agents online with sockets ({names})")

        gate = asyncio.Semaphore(20)

        async def create(i: int) -> Customer:
            async with gate:
                response = await client.post(
                    f"{s.bridge_url}/api/conversations",
                    json={"metadata": {"customer_id": f"relay-{i}", "tier": "normal"}},
                )
                response.raise_for_status()
                data = response.json()
                return Customer(i, data["conversation_id"], data["token"])

        self.customers = list(await asyncio.wait_for(asyncio.gather(*(create(i) for i in range(n))), 60))

        async def connect(c: Customer) -> None:
            async with gate:
                c.ws = await ws_connect(
                    f"{self.ws_base}/ws/customer?conversation_id={c.conversation_id}&token={c.token}",
                    additional_headers=headers,
                    open_timeout=15,
                    ping_interval=None,
                )
                c.reader = asyncio.create_task(self._read_customer(c))
                await c.ws.send(json.dumps({"type": "hello", "last_seq": 0}))

        await asyncio.wait_for(asyncio.gather(*(connect(c) for c in self.customers)), 90)
        say(f"relay: {n} conversations created, {n} customer sockets open (hello sent)")

        # the handover path: what action_handover does, with the action token
        handover_gate = asyncio.Semaphore(8)
        auth = {"Authorization": f"Bearer {s.action_token}"}

        async def hand_over(c: Customer) -> None:
            async with handover_gate:
                body = {
                    "conversation_id": c.conversation_id,
                    "reason": "request_human",
                    "category": "其他",
                    "priority": 1,
                    "summary": "客户诉求：想找人工 / 订单号：无 / 机器人已答复：无 / 转人工原因：客户要求转人工 / 情绪：平静",
                    "context": {
                        "version": 1,
                        "conversation_id": c.conversation_id,
                        "reason": "request_human",
                        "transcript": [{"sender": "customer", "text": "转人工"}],
                    },
                }
                started = time.perf_counter()
                response = await client.post(
                    f"{s.bridge_url}/api/handovers",
                    json=body,
                    headers={**auth, "Idempotency-Key": f"bench-{c.conversation_id}"},
                )
                self.handover_calls.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.wait_for(asyncio.gather(*(hand_over(c) for c in self.customers)), 120)
        try:
            await asyncio.wait_for(asyncio.gather(*(c.assigned.wait() for c in self.customers)), 30)
        except asyncio.TimeoutError:
            pass
        # anything still waiting (auto-assignment off or capacity short): an agent accepts it
        by_hand = 0
        for c in self.customers:
            if c.assigned.is_set():
                continue
            for a in self.agents.values():
                response = await client.post(
                    f"{s.bridge_url}/api/agent/conversations/{c.conversation_id}/accept",
                    headers={"Authorization": f"Bearer {a.token}"},
                )
                if response.status_code == 200:
                    by_hand += 1
                    c.agent_id = a.id
                    try:
                        await asyncio.wait_for(c.assigned.wait(), 5)
                    except asyncio.TimeoutError:
                        pass
                    break
        assigned = sum(1 for c in self.customers if c.assigned.is_set() and c.agent_id in self.agents)
        return assigned, by_hand

    async def measure(self) -> tuple[list[float], list[float], int, int, float]:
        """Open loop: one message every 1/rate s, alternating directions, each to the next
        conversation of a shuffled list (spread across all of them)."""
        live = [c for c in self.customers if c.assigned.is_set() and c.agent_id in self.agents]
        if not live:
            raise BenchError("no conversation got an agent; see the bridge log")
        rng = random.Random(7)
        order = live[:]
        rng.shuffle(order)
        count = self.args.relay_messages * 2
        self.expected = count
        interval = 1.0 / self.args.relay_rate
        sent: dict[str, str] = {}  # client_msg_id → direction
        started = time.perf_counter()
        deadline = time.monotonic() + self.args.relay_time_limit
        for k in range(count):
            if time.monotonic() > deadline:
                break
            due = started + k * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            c = order[(k // 2) % len(order)]
            if k % 2 == 0:
                cmid = f"c2a-{k}"
                frame = {"type": "message", "text": f"客户消息 {k}：我的快递到哪里了", "client_msg_id": cmid}
                sent[cmid] = "c2a"
                self.pending[cmid] = (time.perf_counter(), time.time())
                await c.ws.send(json.dumps(frame, ensure_ascii=False))
            else:
                cmid = f"a2c-{k}"
                frame = {
                    "type": "message",
                    "conversation_id": c.conversation_id,
                    "text": f"客服回复 {k}：正在为您查询，请稍等",
                    "client_msg_id": cmid,
                }
                sent[cmid] = "a2c"
                self.pending[cmid] = (time.perf_counter(), time.time())
                await self.agents[c.agent_id].ws.send(json.dumps(frame, ensure_ascii=False))
        self.expected = len(sent)
        if len(self.delivered) < self.expected:
            try:
                await asyncio.wait_for(self.all_delivered.wait(), 10)
            except asyncio.TimeoutError:
                pass
        seconds = time.perf_counter() - started
        c2a = [self.delivered[m] for m, d in sent.items() if d == "c2a" and m in self.delivered]
        a2c = [self.delivered[m] for m, d in sent.items() if d == "a2c" and m in self.delivered]
        lost_c2a = sum(1 for m, d in sent.items() if d == "c2a" and m not in self.delivered)
        lost_a2c = sum(1 for m, d in sent.items() if d == "a2c" and m not in self.delivered)
        return c2a, a2c, lost_c2a, lost_a2c, seconds

    async def close(self) -> None:
        tasks = [t for a in self.agents.values() for t in (a.reader, a.beat) if t]
        tasks += [c.reader for c in self.customers if c.reader]
        for task in tasks:
            task.cancel()
        gate = asyncio.Semaphore(50)

        async def shut(ws) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(ws.close(), 5)
                except Exception:
                    pass

        sockets = [c.ws for c in self.customers if c.ws] + [a.ws for a in self.agents.values() if a.ws]
        await asyncio.wait_for(asyncio.gather(*(shut(ws) for ws in sockets), *tasks, return_exceptions=True), 60)


async def relay(s: Setup, args) -> RelayResult:
    quiet_cancellations()
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    r = Relay(s, args)
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
        started = time.monotonic()
        try:
            assigned, by_hand = await r.open(client)
            setup_seconds = time.monotonic() - started
            say(
                f"relay: {assigned} of {args.sockets} conversations handed over and with an agent "
                f"({by_hand} accepted by hand) in {setup_seconds:.1f} s"
            )
            await asyncio.sleep(2)  # let the sweep and the queue notices settle
            rss_open = rss_kb(s.bridge_pid)
            say(
                f"relay: bridge VmRSS with {args.sockets} customer sockets open: "
                f"{rss_open.get('VmRSS', 0) / 1024:.0f} MB"
            )
            lag = LoopLag()
            cpu = cpu_seconds(s.bridge_pid)
            try:
                c2a, a2c, lost_c2a, lost_a2c, seconds = await r.measure()
            finally:
                lag.stop()
            cpu = cpu_seconds(s.bridge_pid) - cpu
            rss_after = rss_kb(s.bridge_pid)
            inbound = [a for a, _ in r.split.values()]
            outbound = [b for _, b in r.split.values()]
            say(
                f"relay: {len(c2a)} customer→agent and {len(a2c)} agent→customer messages in {seconds:.1f} s; "
                f"bridge CPU {ms(cpu / max(len(c2a) + len(a2c), 1))} ms/message; sent → stored p50 "
                f"{ms(pct(inbound, 50))} p99 {ms(pct(inbound, 99))} ms, stored → received p50 "
                f"{ms(pct(outbound, 50))} p99 {ms(pct(outbound, 99))} ms; this client's event-loop lag "
                f"p99 {ms(pct(lag.samples, 99))} max {ms(max(lag.samples, default=float('nan')))} ms"
            )
        finally:
            await r.close()
    return RelayResult(
        args.sockets,
        assigned,
        by_hand,
        setup_seconds,
        c2a,
        a2c,
        lost_c2a,
        lost_a2c,
        args.relay_rate,
        seconds,
        rss_open,
        rss_after,
        r.handover_calls,
        len(r.agents),
        lag.samples,
    )
