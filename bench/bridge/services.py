"""Starting and stopping what the benchmark measures: Rasa and the action server with a private copy
of the model, one bridge (SQLite in a temporary directory or a PostgreSQL schema of its own)."""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from scripts.supervise import BRIDGE_PY, RASA_BIN, bridge_service, rasa_services, start_all

from .common import AGENT_PASSWORD, DEMO_AGENT, DEMO_PASSWORD, MODEL, ROOT, BenchError, free_port

# ---- setup -------------------------------------------------------------------------------------


@dataclass
class Setup:
    tmp: Path
    bridge_url: str
    rasa_url: str
    origin: str
    action_token: str
    agents: list[tuple[str, str]]  # (username, password) to log in
    services: list = field(default_factory=list)

    @property
    def bridge_pid(self) -> int:
        return self.services[-1].process.pid


def prepare(args, tmp: Path) -> Setup:
    if not MODEL.exists():
        raise BenchError(f"no trained model at {MODEL.relative_to(ROOT)}: run make train first")
    for binary in (BRIDGE_PY, RASA_BIN / "rasa", RASA_BIN / "python"):
        if not binary.exists():
            raise BenchError(f"{binary} is missing: run make setup first")
    # a private copy: a `make train` running meanwhile must not swap the model under Rasa
    model = tmp / "jieli.tar.gz"
    shutil.copyfile(MODEL, model)
    try:
        with tarfile.open(model) as archive:
            archive.getmembers()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BenchError(
            f"{MODEL.relative_to(ROOT)} is not a readable model ({error}); "
            "run make train first (or wait for a running training to finish)"
        ) from None
    rasa_port, action_port, bridge_port = free_port(), free_port(), free_port()
    bridge_url = f"http://127.0.0.1:{bridge_port}"
    origin = bridge_url
    action_token = secrets.token_urlsafe(24)
    log_dir = tmp / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    # the action server's shop database: a fresh copy of the demo shop
    shop_db = f"sqlite:///{tmp / 'shop.db'}"
    subprocess.run(
        [str(RASA_BIN / "python"), "-m", "actions.shop.seed", "--db", shop_db, "--reset"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )

    bridge_env = {
        "JIELI_DEMO_MODE": "true",
        "JIELI_DEMO_PASSWORD": DEMO_PASSWORD,
        "JIELI_DATABASE_URL": args.database_url or f"sqlite+aiosqlite:///{tmp / 'bridge.db'}",
        "JIELI_ACTION_TOKEN": action_token,
        "JIELI_ALLOWED_ORIGINS": origin,
        "JIELI_RATE_IP_PER_MIN": "1000000",
        "JIELI_RATE_IP_BURST": "1000000",
        "JIELI_RATE_CONVERSATION_PER_MIN": "1000000",
        "JIELI_RATE_CONVERSATION_BURST": "1000000",
        "JIELI_LOG_LEVEL": "INFO",
        "JIELI_ACCESS_LOG": "false",
        "JIELI_REDIS_URL": "",
        "JIELI_AUTO_ASSIGN": "true",
        "JIELI_BUSINESS_HOURS": "00:00-24:00",
    }
    if args.database_url:  # PostgreSQL: a schema of its own, dropped at the end
        bridge_env["JIELI_DB_SCHEMA"] = args.schema
    # agents for the relay part: agent1 (demo, 3 chats) plus bench agents with enough capacity
    capacity = math.ceil(max(args.sockets - 3, 1) / args.agents)
    agents = [(DEMO_AGENT, DEMO_PASSWORD)]
    for number in range(1, args.agents + 1):
        username = f"bench{number}"
        subprocess.run(
            [
                str(BRIDGE_PY),
                "-m",
                "handover_bridge",
                "create-agent",
                username,
                "--max-concurrent",
                str(capacity),
                "--skills",
                "*",
            ],
            cwd=ROOT,
            env={**env, **bridge_env, "JIELI_NEW_AGENT_PASSWORD": AGENT_PASSWORD},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        agents.append((username, AGENT_PASSWORD))

    services = rasa_services(rasa_port, action_port, model, log_dir)
    for service in services:
        service.env.update({"JIELI_SHOP_DB_URL": shop_db, "JIELI_SHOP_ADAPTER": "sql"})
    services[0].env.update({"JIELI_BRIDGE_URL": bridge_url, "JIELI_ACTION_TOKEN": action_token})
    services.append(
        bridge_service(bridge_port, rasa_port, action_port, log_dir, bridge_env, rasa_token=services[1].token)
    )
    return Setup(tmp, bridge_url, f"http://127.0.0.1:{rasa_port}", origin, action_token, agents, services)


def start_services(services: list, timeout: float) -> None:
    """supervise.start_all; its failures (a service exited, Rasa has no model, a time-out) as
    BenchError, with the last lines of the log."""
    try:
        start_all(services, timeout)
    except RuntimeError as error:
        message = str(error)
        if "Could not load model" in message or "No agent loaded" in message:
            message = "Rasa could not load the model: run make train first\n" + message
        raise BenchError(message) from None


def drop_schema(url: str, schema: str) -> None:
    import asyncpg

    async def drop() -> None:
        try:
            connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
        except (OSError, asyncpg.PostgresError):
            return
        try:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()

    try:
        asyncio.run(drop())
    except Exception as error:  # best effort: say so and go on
        print(f"warning: could not drop schema {schema}: {error}", file=sys.stderr)
