"""Bridge tests: a real database (SQLite always; PostgreSQL when reachable, and always when
CI=true), the app from create_app() on a real port, a fake Rasa on another, and real HTTP and
WebSocket clients."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets

from handover_bridge.app import create_app
from handover_bridge.config import Settings

from .fake_rasa import FakeRasa

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("JIELI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("JIELI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Which stores the parametrized tests run on: JIELI_TEST_STORES=sqlite (or postgresql) narrows it.
STORES = [s.strip() for s in os.environ.get("JIELI_TEST_STORES", "sqlite,postgresql").split(",") if s.strip()]
ORIGIN = "http://shop.test"
SECRET = "test-key-0be46cKA7kBpbkF_ZeC63P8j0-jSBtPw"  # random enough for the secret checks
ACTION_TOKEN = "test-action-dFVeQJPLPjNMCXgoLcQV9ohF81URfgbR"
PASSWORD = "agent-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_sync(coroutine):
    """Run a coroutine to completion from sync code, whatever loop is running."""
    result: dict[str, Any] = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # noqa: BLE001
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def _pg_execute(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_URL, timeout=3)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


_pg_state: dict[str, Any] = {}


def postgres_available() -> bool:
    if "ok" not in _pg_state:
        try:
            run_sync(_pg_execute("SELECT 1"))
            _pg_state["ok"] = True
        except Exception as error:  # noqa: BLE001
            _pg_state["ok"], _pg_state["error"] = False, error
    return _pg_state["ok"]


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def need_postgres() -> None:
    if "postgresql" not in STORES and not IN_CI:
        pytest.skip("PostgreSQL not selected (JIELI_TEST_STORES)")
    if not postgres_available():
        message = f"PostgreSQL not reachable at {PG_URL}: {_pg_state.get('error')}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)


def need_redis() -> None:
    if not redis_available():
        if IN_CI:
            pytest.fail(f"Redis not reachable at {REDIS_URL} (CI=true)")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")


@dataclass
class Store:
    kind: str
    url: str
    schema: str = ""

    def env(self) -> dict[str, str]:
        return {"JIELI_DATABASE_URL": self.url, "JIELI_DB_SCHEMA": self.schema}


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """One fresh database per test: a new SQLite file, or a new PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        yield Store("sqlite", f"sqlite:///{tmp_path / 'bridge.db'}")
        return
    need_postgres()
    schema = f"bridge_test_{secrets.token_hex(6)}"
    yield Store("postgresql", PG_URL, schema)
    run_sync(_pg_execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def settings_for(store: Store, fake: FakeRasa, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "JIELI_DATABASE_URL": store.url,
        "JIELI_DB_SCHEMA": store.schema,
        "JIELI_PORT": str(port),
        "JIELI_RASA_URL": fake.url,
        "JIELI_ACTION_SERVER_URL": fake.url,
        "JIELI_SECRET_KEY": SECRET,
        "JIELI_ACTION_TOKEN": ACTION_TOKEN,
        "JIELI_ALLOWED_ORIGINS": ORIGIN,
        "JIELI_RASA_TIMEOUT": "2",
        "JIELI_RATE_IP_PER_MIN": "100000",
        "JIELI_RATE_IP_BURST": "100000",
        "JIELI_RATE_CONVERSATION_PER_MIN": "100000",
        "JIELI_RATE_CONVERSATION_BURST": "100000",
        "JIELI_RATE_LOGIN_IP_PER_MIN": "100000",
        "JIELI_RATE_LOGIN_IP_BURST": "100000",
        "JIELI_SWEEP_INTERVAL": "0.2",
        "JIELI_BUSINESS_HOURS": "00:00-24:00",
    }
    values.update({f"JIELI_{k.upper()}": str(v) for k, v in overrides.items()})
    return Settings.from_env(values)


@dataclass
class Customer:
    conversation_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def base(self) -> str:
        return f"/api/conversations/{self.conversation_id}"


@dataclass
class AgentClient:
    username: str
    token: str
    id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Harness:
    url: str
    settings: Settings
    fake: FakeRasa
    http: httpx.AsyncClient
    app: Any = None
    server: Any = None
    counter: int = 0
    sockets: list = field(default_factory=list)
    own_fake: bool = True  # stop_harness stops the fake

    @property
    def bridge(self):
        return self.app.ctx.bridge

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    async def customer(self, metadata: dict[str, Any] | None = None) -> Customer:
        response = await self.http.post("/api/conversations", json={"metadata": metadata or {}})
        assert response.status_code == 201, response.text
        data = response.json()
        return Customer(data["conversation_id"], data["token"])

    async def say(
        self, customer: Customer, text: str, client_msg_id: str | None = None, expect: int = 200
    ) -> dict[str, Any]:
        self.counter += 1
        response = await self.http.post(
            f"{customer.base}/messages",
            headers=customer.headers,
            json={"text": text, "client_msg_id": client_msg_id or f"m{self.counter}"},
        )
        assert response.status_code == expect, response.text
        return response.json()

    async def history(self, customer: Customer, after: int = 0) -> dict[str, Any]:
        response = await self.http.get(f"{customer.base}/messages", params={"after": after}, headers=customer.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def agent(
        self,
        username: str | None = None,
        *,
        skills: list[str] | None = None,
        max_concurrent: int = 3,
        online: bool = True,
    ) -> AgentClient:
        username = username or f"agent-{uuid.uuid4().hex[:6]}"
        created = await self.bridge.agents.create(
            username,
            PASSWORD,
            display_name=f"客服{username[-2:]}",
            skills=skills or ["*"],
            max_concurrent=max_concurrent,
        )
        response = await self.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        agent = AgentClient(username, response.json()["token"], created.id)
        if online:
            await self.presence(agent, "online")
        return agent

    async def presence(self, agent: AgentClient, presence: str) -> None:
        response = await self.http.post("/api/agent/presence", headers=agent.headers, json={"presence": presence})
        assert response.status_code == 200, response.text

    async def agent_call(
        self, agent: AgentClient, method: str, path: str, expect: int | None = 200, **kwargs
    ) -> httpx.Response:
        response = await self.http.request(method, f"/api/agent{path}", headers=agent.headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def handover(
        self, customer: Customer, expect: int | None = 201, key: str | None = None, **body: Any
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {ACTION_TOKEN}"}
        if key:
            headers["Idempotency-Key"] = key
        response = await self.http.post(
            "/api/handovers", headers=headers, json={"conversation_id": customer.conversation_id, **body}
        )
        if expect is not None:
            assert response.status_code == expect, response.text
        else:
            assert response.status_code in (200, 201), response.text
        return response.json()

    async def state(self, customer: Customer) -> str:
        return (await self.history(customer, after=10**9))["state"]

    async def ws_customer(self, customer: Customer, *, origin: str = ORIGIN):
        socket_ = await websockets.connect(
            f"{self.ws_url}/ws/customer?conversation_id={customer.conversation_id}&token={customer.token}",
            origin=origin,
            open_timeout=5,
        )
        self.sockets.append(socket_)
        return socket_

    async def ws_agent(self, agent: AgentClient, *, origin: str = ORIGIN):
        socket_ = await websockets.connect(f"{self.ws_url}/ws/agent?token={agent.token}", origin=origin, open_timeout=5)
        self.sockets.append(socket_)
        return socket_


async def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05, message: str = "condition"):
    """Poll an async or sync predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        await asyncio.sleep(interval)


async def recv_json(socket_, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket_.recv(), timeout))


async def recv_until(socket_, predicate, timeout: float = 5.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read frames until one matches; returns it and every frame read."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv_json(socket_, max(0.05, deadline - time.monotonic()))
        seen.append(frame)
        if predicate(frame):
            return frame, seen


async def start_harness(store: Store, fake: FakeRasa | None = None, **overrides: Any) -> Harness:
    """The bridge on `store` with a fake Rasa of its own, or with `fake`, a stand-in the caller
    started and stops (one of several Rasa nodes, say: rasa_url="http://…,http://…")."""
    own_fake = fake is None
    if fake is None:
        fake = FakeRasa(free_port(), ACTION_TOKEN)
        await fake.start()
    port = free_port()
    settings = settings_for(store, fake, port, **overrides)
    url = f"http://127.0.0.1:{port}"
    fake.bridge_url = url
    app = create_app(settings)
    app.config.TOUCHUP = False  # several Sanic apps in one process: no method rewriting
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    http = httpx.AsyncClient(base_url=url, timeout=20)
    return Harness(url=url, settings=settings, fake=fake, http=http, app=app, server=server, own_fake=own_fake)


async def stop_harness(harness: Harness) -> None:
    for socket_ in harness.sockets:
        await socket_.close()
    await harness.http.aclose()
    server = harness.server
    for task in list(harness.app.websocket_tasks):
        task.cancel()
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await server.after_stop()
    if harness.own_fake:
        await harness.fake.stop()


@pytest_asyncio.fixture
async def harness(store, request):
    """The bridge on `store`. Per-test settings: @pytest.mark.bridge_settings(auto_assign=False, …)."""
    marker = request.node.get_closest_marker("bridge_settings")
    h = await start_harness(store, **(marker.kwargs if marker else {}))
    try:
        yield h
    finally:
        await stop_harness(h)


def pytest_configure(config):
    config.addinivalue_line("markers", "bridge_settings(**kw): JIELI_* settings for the harness bridge")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:websockets.legacy")
