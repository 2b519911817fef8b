"""Several real bridge processes: 50 agents claiming one conversation through two bridges on
one PostgreSQL (exactly one wins), Redis fan-out between them, and `kill -9` in the middle of a
conversation followed by a restart (nothing acknowledged is lost, the WebSocket resumes)."""

from __future__ import annotations

import asyncio
import json
import secrets

import httpx
import pytest
import pytest_asyncio
import websockets

from handover_bridge.config import Settings
from handover_bridge.db import Database
from handover_bridge.migrate import migrate
from handover_bridge.models import utcnow
from handover_bridge.repositories import agents as agents_repo
from handover_bridge.repositories import conversations as conversations_repo
from handover_bridge.services.infra.security import hash_password

from .conftest import (
    ACTION_TOKEN,
    ORIGIN,
    PASSWORD,
    PG_URL,
    REDIS_URL,
    SECRET,
    Store,
    _pg_execute,
    free_port,
    need_postgres,
    need_redis,
    recv_until,
    run_sync,
)
from .fake_rasa import FakeRasa
from .processes import BridgeProcess

pytestmark = pytest.mark.asyncio
AGENTS = 50


def store_settings(store: Store) -> Settings:
    return Settings.from_env(
        {**{k: v for k, v in store.env().items()}, "JIELI_SECRET_KEY": SECRET, "JIELI_ACTION_TOKEN": ACTION_TOKEN}
    )


async def create_agents(store: Store, count: int) -> list[str]:
    db = Database(store_settings(store))
    try:
        await migrate(db)
        digest = await hash_password(PASSWORD)
        names = [f"claim-agent-{n:02d}" for n in range(count)]
        async with db.write() as session:
            for name in names:
                await agents_repo.create(
                    session,
                    username=name,
                    password_hash=digest,
                    display_name=name,
                    skills=["*"],
                    max_concurrent=100,
                    presence="offline",
                    created_at=utcnow(),
                )
        return names
    finally:
        await db.dispose()


@pytest.fixture
def pg_store():
    need_postgres()
    schema = f"bridge_test_{secrets.token_hex(6)}"
    yield Store("postgresql", PG_URL, schema)
    run_sync(_pg_execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest_asyncio.fixture
async def fake_rasa():
    fake = FakeRasa(free_port(), ACTION_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def spawn(tmp_path):
    started: list[BridgeProcess] = []

    def start(name: str, env: dict[str, str]) -> BridgeProcess:
        process = BridgeProcess(name, free_port(), env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


async def two_bridges(pg_store, fake_rasa, spawn) -> tuple[BridgeProcess, BridgeProcess]:
    need_redis()
    env = {
        **pg_store.env(),
        "JIELI_REDIS_URL": REDIS_URL,
        "JIELI_RASA_URL": fake_rasa.url,
        "JIELI_ACTION_SERVER_URL": fake_rasa.url,
        "JIELI_AUTO_ASSIGN": "false",
    }
    first, second = spawn("bridge-a", env), spawn("bridge-b", env)
    # start one after the other would also work; starting together exercises the migration lock
    await asyncio.gather(asyncio.to_thread(first.start), asyncio.to_thread(second.start))
    fake_rasa.bridge_url = first.url
    return first, second


async def test_fifty_agents_claim_once_through_two_bridges(pg_store, fake_rasa, spawn):
    names = await create_agents(pg_store, AGENTS)
    bridges = await two_bridges(pg_store, fake_rasa, spawn)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200)) as http:

        async def login(i: int, name: str) -> tuple[str, str]:
            base = bridges[i % 2].url
            response = await http.post(f"{base}/api/agent/login", json={"username": name, "password": PASSWORD})
            assert response.status_code == 200, response.text
            token = response.json()["token"]
            await http.post(
                f"{base}/api/agent/presence", json={"presence": "online"}, headers={"Authorization": f"Bearer {token}"}
            )
            return base, token

        agents = await asyncio.gather(*(login(i, name) for i, name in enumerate(names)))
        for _ in range(3):
            created = (await http.post(f"{bridges[0].url}/api/conversations", json={})).json()
            cid = created["conversation_id"]
            handover = await http.post(
                f"{bridges[1].url}/api/handovers",
                json={"conversation_id": cid},
                headers={"Authorization": f"Bearer {ACTION_TOKEN}"},
            )
            assert handover.status_code == 201, handover.text
            assert handover.json()["agents_online"] == AGENTS

            async def accept(base: str, token: str, cid: str = cid) -> int:
                response = await http.post(
                    f"{base}/api/agent/conversations/{cid}/accept", headers={"Authorization": f"Bearer {token}"}
                )
                return response.status_code

            statuses = await asyncio.gather(*(accept(base, token) for base, token in agents))
            assert sorted(statuses).count(200) == 1, statuses
            assert statuses.count(409) == AGENTS - 1, statuses

            db = Database(store_settings(pg_store))
            try:
                async with db.read() as session:
                    conversation = await conversations_repo.get(session, cid)
                    trail = await conversations_repo.audit_trail(session, cid)
            finally:
                await db.dispose()
            assert conversation.state == "assigned" and conversation.agent_id is not None
            assert [(a.from_state, a.to_state) for a in trail].count(("queued", "assigned")) == 1


async def test_redis_fans_out_between_two_bridges(pg_store, fake_rasa, spawn):
    await create_agents(pg_store, 1)
    a, b = await two_bridges(pg_store, fake_rasa, spawn)
    async with httpx.AsyncClient(timeout=30) as http:
        created = (await http.post(f"{a.url}/api/conversations", json={})).json()
        cid, token = created["conversation_id"], created["token"]
        login = (
            await http.post(f"{b.url}/api/agent/login", json={"username": "claim-agent-00", "password": PASSWORD})
        ).json()
        agent_headers = {"Authorization": f"Bearer {login['token']}"}
        customer_ws = await websockets.connect(
            f"{a.ws_url}/ws/customer?conversation_id={cid}&token={token}", origin=ORIGIN
        )
        agent_ws = await websockets.connect(f"{b.ws_url}/ws/agent?token={login['token']}", origin=ORIGIN)
        try:
            await customer_ws.send(json.dumps({"type": "hello", "last_seq": 0}))
            await recv_until(customer_ws, lambda f: f["type"] == "state")
            await agent_ws.send(json.dumps({"type": "hello"}))
            await recv_until(agent_ws, lambda f: f["type"] == "snapshot")
            # customer on bridge A asks for a person; the action's call lands on bridge A too
            await http.post(
                f"{a.url}/api/conversations/{cid}/messages",
                json={"text": "转人工", "client_msg_id": "1"},
                headers={"Authorization": f"Bearer {token}"},
            )
            await recv_until(agent_ws, lambda f: f["type"] == "queue_changed")  # B hears A's event
            accepted = await http.post(f"{b.url}/api/agent/conversations/{cid}/accept", headers=agent_headers)
            assert accepted.status_code == 200, accepted.text
            joined, _ = await recv_until(customer_ws, lambda f: f["type"] == "agent_joined")  # A hears B
            assert joined["agent"]["display_name"] == "claim-agent-00"
            await agent_ws.send(
                json.dumps({"type": "message", "conversation_id": cid, "text": "您好,我是客服", "client_msg_id": "a1"})
            )
            frame, _ = await recv_until(customer_ws, lambda f: f["type"] == "message" and f["sender"] == "agent")
            assert frame["text"] == "您好,我是客服"
            await customer_ws.send(json.dumps({"type": "message", "text": "我的快递丢了", "client_msg_id": "2"}))
            frame, _ = await recv_until(agent_ws, lambda f: f["type"] == "message" and f["sender"] == "customer")
            assert frame["text"] == "我的快递丢了" and frame["conversation_id"] == cid
        finally:
            await customer_ws.close()
            await agent_ws.close()


async def test_kill_9_mid_conversation_then_restart_loses_nothing(store, fake_rasa, spawn):
    env = {
        **store.env(),
        "JIELI_RASA_URL": fake_rasa.url,
        "JIELI_ACTION_SERVER_URL": fake_rasa.url,
        "JIELI_RASA_TIMEOUT": "1",
    }
    bridge = spawn("bridge-crash", env)
    await asyncio.to_thread(bridge.start)
    fake_rasa.bridge_url = bridge.url
    async with httpx.AsyncClient(timeout=30) as http:
        created = (await http.post(f"{bridge.url}/api/conversations", json={})).json()
        cid, token = created["conversation_id"], created["token"]
        headers = {"Authorization": f"Bearer {token}"}
        socket_ = await websockets.connect(
            f"{bridge.ws_url}/ws/customer?conversation_id={cid}&token={token}", origin=ORIGIN
        )
        await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
        seen: list[dict] = []

        async def read_socket():
            try:
                async for raw in socket_:
                    frame = json.loads(raw)
                    if frame["type"] == "message":
                        seen.append(frame)
            except websockets.ConnectionClosed:
                pass

        reader = asyncio.create_task(read_socket())

        async def send(n: int) -> dict:
            response = await http.post(
                f"{bridge.url}/api/conversations/{cid}/messages",
                headers=headers,
                json={"text": f"消息 {n}", "client_msg_id": f"k{n}"},
            )
            assert response.status_code == 200, response.text
            return response.json()

        acked = [n for n in range(10) if await send(n)]
        # the next one is in flight (Rasa is slow) when the process dies
        fake_rasa.delay = 0.5
        in_flight = asyncio.create_task(send(10))
        await asyncio.sleep(0.2)
        bridge.kill9()
        with pytest.raises(httpx.TransportError):  # the connection died with the process
            await in_flight
        await asyncio.wait_for(reader, 5)
        fake_rasa.delay = 0.0

        await asyncio.to_thread(bridge.start)
        retried = await send(10)  # the client retries with the same client_msg_id
        assert retried["messages"][0]["text"] == "消息 10"
        acked.append(10)
        for n in range(11, 14):
            await send(n)
            acked.append(n)

        history = (await http.get(f"{bridge.url}/api/conversations/{cid}/messages", headers=headers)).json()
        messages = history["messages"]
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))  # no holes, no doubles
        customer_texts = [m["text"] for m in messages if m["sender"] == "customer"]
        assert customer_texts == [f"消息 {n}" for n in acked]  # all, once, in order
        assert sum(1 for m in messages if m["sender"] == "bot") >= len(acked) - 1
        assert any(m["text"] == "收到:消息 10" for m in messages)  # the retry got its reply

        # the widget protocol resumes from the last seq the old socket saw
        last = seen[-1]["seq"] if seen else 0
        assert [f["seq"] for f in seen] == list(range(1, last + 1))
        socket_ = await websockets.connect(
            f"{bridge.ws_url}/ws/customer?conversation_id={cid}&token={token}", origin=ORIGIN
        )
        await socket_.send(json.dumps({"type": "hello", "last_seq": last}))
        resumed = []
        while len(resumed) < len(messages) - last:
            frame, _ = await recv_until(socket_, lambda f: f["type"] == "message")
            resumed.append(frame)
        assert [f["seq"] for f in resumed] == list(range(last + 1, len(messages) + 1))
        await socket_.close()
