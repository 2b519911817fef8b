"""Jieli's two set-ups, run under supervisord: which programs, how they find each other, how they
come back after a crash.

- **embedded** (`make demo`): one action server, one Rasa, one bridge, all on 127.0.0.1; SQLite for
  the bridge (`<state>/bridge.db`) and for Rasa's trackers (`<state>/rasa/trackers.db`). Needs no
  PostgreSQL, Redis or HAProxy.
- **scaled** (`make demo-scale`, tests/topology): several bridges behind HAProxy (customers, agents
  and their WebSockets come in through its front, `Topology.url`), several Rasa nodes (every bridge
  gets all their URLs, comma-separated, in JIELI_RASA_URL and sends one conversation to one node),
  several action servers behind HAProxy's action front (Rasa's action endpoint); PostgreSQL for the
  bridges and for Rasa's trackers, Redis for Rasa's lock store and the bridges' fan-out.

Why supervisord: a component that dies (kill -9, out of memory, a bug) is started again while the
others keep serving — the bridge answers "暂时开小差" while Rasa is away, and the tracker store
gives the restarted Rasa every conversation back. A program that crashes is restarted at once; one
that dies again during its start-up (before `startsecs`) waits 1 s, 2 s, 3 s … before the next try,
and after START_RETRIES tries supervisord gives up on it (state FATAL; `make demo` says so).
Programs run in their own process group, stopped and killed as a group (Rasa's children too).

Every program is described once (`Program`: argv, environment, health URL, log) from
scripts/supervise.py's `rasa_services` and `bridge_service`; supervisord's and HAProxy's
configuration files are written from that description into the state folder, mode 600 (they hold
tokens). `describe` starts nothing (it picks free ports, writes the set-up's secrets and Rasa's
endpoints files); `prepare` makes the databases and agents; `launch` writes the configuration and
starts supervisord; `start` does all three and waits until every program is healthy.

    topology = start("scaled", state_dir=Path("var/scale"))
    topology.url                   # where customers and agents connect
    topology.kill("rasa-1")        # kill -9 of its process group; supervisord restarts it
    topology.wait_healthy("rasa-1", timeout=120)
    topology.stop()

Runs in .venv (the `supervisor` package); HAProxy from Debian (`make setup-scale`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # imported as scripts.topology too
from ports import free_port  # noqa: E402
from supervise import BASE_ENV, BRIDGE_PY, ROOT, bridge_service, new_token, rasa_services, write_private  # noqa: E402

sys.path.insert(1, str(ROOT))
# the agents a demo-mode bridge makes itself, and their password
from handover_bridge.config import DEMO_AGENTS, DEMO_PASSWORD  # noqa: E402

MODEL = ROOT / "models" / "jieli.tar.gz"
KINDS = ("embedded", "scaled")
# the scaled set-up's stores: the local PostgreSQL and Redis unless told otherwise
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_DATABASE_URL = f"{LOCAL_POSTGRES}/jieli"
DEFAULT_TRACKER_STORE = f"{LOCAL_POSTGRES}/jieli_rasa"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
HAPROXY_NAMES = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")

# supervisord: seconds a program must stay up to count as started, and tries before giving up
START_SECONDS = {"rasa": 10, "actions": 3, "bridge": 3, "haproxy": 1}
START_RETRIES = 10
STOP_WAIT_SECONDS = 10
# start order (and the reverse stop order): actions, Rasa, bridges, balancer
PRIORITY = {"actions": 100, "rasa": 200, "bridge": 300, "haproxy": 400}
LOG_MAX_BYTES = "20MB"


class TopologyError(RuntimeError):
    """A set-up that cannot be started, or a program that will not come up."""


@dataclass
class Program:
    """One program of a set-up, as supervisord runs it."""

    name: str  # supervisord's program name: rasa-1, actions-1, bridge-1, haproxy
    argv: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    port: int
    fatal_signs: tuple[str, ...] = ()  # lines in its log that mean it will never come up
    log_offset: int = 0  # where this run's part of the (appended) log begins

    @property
    def role(self) -> str:
        return self.name.split("-")[0]

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def log_text(self) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(self.log_offset)
                return handle.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 12) -> str:
        tail = self.log_text().strip().splitlines()[-lines:]
        return f"\n--- last lines of {self.log_path} ---\n" + "\n".join(tail) if tail else ""

    def fatal_sign(self) -> str | None:
        text = self.log_text() if self.fatal_signs else ""
        return next((sign for sign in self.fatal_signs if sign in text), None)


@dataclass
class Layout:
    """A whole set-up, described: its programs (in start order) and how to reach it."""

    kind: str
    state_dir: Path
    programs: dict[str, Program]
    url: str  # where customers and agents connect: HAProxy's front (scaled), the bridge (embedded)
    demo: bool
    bridge_database_url: str
    tracker_store: str
    redis_url: str | None
    rasa_urls: list[str]
    rasa_token: str
    action_url: str  # Rasa's action endpoint: HAProxy's action front (scaled), the action server
    agents: tuple[str, ...]
    agent_password: str
    haproxy_config: str | None = None
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "log"

    @property
    def config_path(self) -> Path:
        return self.state_dir / "supervisord.conf"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "supervisord.pid"


def describe(
    kind: str,
    *,
    state_dir: Path,
    rasa_nodes: int = 2,
    bridges: int = 2,
    action_servers: int = 2,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    ports: Mapping[str, int] | None = None,
    demo: bool | None = None,
    database_url: str | None = None,
    tracker_store: str | None = None,
    redis_url: str | None = None,
    agents: int = 2,
    model: Path = MODEL,
) -> Layout:
    """The programs of a set-up and their settings; nothing is started.

    `port` is where customers connect (HAProxy's front, or the one bridge); `ports` fixes other
    programs' ports by name (`rasa-1`, `actions-1`, `bridge-1`, `haproxy-actions` for the action
    front), free ports otherwise. `env` goes to every program and wins over what is set here.
    The embedded kind always runs one of each (the counts are for the scaled kind). `demo` (default:
    embedded yes, scaled no): the bridge in demo mode — demo secrets, the demo shop, agents agent1
    and agent2 with the demo password; otherwise strong secrets made once per state folder
    (`secrets.json`, mode 600) and the same for every bridge, and agents made with `create-agent`."""
    if kind not in KINDS:
        raise ValueError(f"unknown set-up {kind!r}: use one of {', '.join(KINDS)}")
    scaled = kind == "scaled"
    if scaled and min(rasa_nodes, bridges, action_servers) < 1:
        raise ValueError("a scaled set-up needs at least one Rasa node, bridge and action server")
    if not scaled:
        rasa_nodes = bridges = action_servers = 1
    demo = (not scaled) if demo is None else demo
    state_dir = Path(state_dir).resolve()
    log_dir = state_dir / "log"
    env = dict(env or {})
    ports = dict(ports or {})

    def port_of(name: str) -> int:
        return ports.get(name) or free_port()

    secrets_ = _state_secrets(state_dir, demo)
    # demo mode: the password the bridges read (they inherit this environment, `env` wins)
    demo_password = env.get("JIELI_DEMO_PASSWORD") or os.environ.get("JIELI_DEMO_PASSWORD") or DEMO_PASSWORD
    agent_password = demo_password if demo else secrets_["agent_password"]
    rasa_token, webhook_token, action_token = new_token(), new_token(), secrets_["action_token"]

    front_port = port or free_port()
    url = f"http://127.0.0.1:{front_port}"
    action_front_port = port_of("haproxy-actions") if scaled else 0
    bridge_ports = [front_port] if not scaled else [port_of(f"bridge-{i}") for i in range(1, bridges + 1)]
    rasa_ports = [port_of(f"rasa-{i}") for i in range(1, rasa_nodes + 1)]
    action_ports = [port_of(f"actions-{i}") for i in range(1, action_servers + 1)]
    action_url = (
        f"http://127.0.0.1:{action_front_port}/webhook" if scaled else f"http://127.0.0.1:{action_ports[0]}/webhook"
    )
    if scaled:
        database_url = database_url or DEFAULT_DATABASE_URL
        tracker_store = tracker_store or DEFAULT_TRACKER_STORE
        redis_url = redis_url or DEFAULT_REDIS_URL
    else:
        database_url = database_url or f"sqlite:///{state_dir / 'bridge.db'}"
        tracker_store = tracker_store or f"sqlite:///{state_dir / 'rasa' / 'trackers.db'}"
        redis_url = redis_url or None
    lock_store = redis_url if rasa_nodes > 1 else None  # several nodes must not work on one conversation

    programs: dict[str, Program] = {}
    actions: list[Program] = []
    nodes: list[Program] = []
    for i in range(max(rasa_nodes, action_servers)):
        suffix = f"-{i + 1}" if scaled else ""
        action_server, rasa = rasa_services(
            rasa_ports[min(i, rasa_nodes - 1)],
            action_ports[min(i, action_servers - 1)],
            model,
            log_dir,
            rasa_token=rasa_token,
            webhook_token=webhook_token,
            tracker_store=tracker_store,
            lock_store=lock_store,
            action_url=action_url,
            name_suffix=suffix,
        )
        if i < action_servers:
            action_server.env.update({"JIELI_BRIDGE_URL": url, "JIELI_ACTION_TOKEN": action_token})
            actions.append(_program(f"actions-{i + 1}", action_server, action_ports[i], env))
        if i < rasa_nodes:
            nodes.append(_program(f"rasa-{i + 1}", rasa, rasa_ports[i], env))
    rasa_urls = [f"http://127.0.0.1:{p}" for p in rasa_ports]
    origins = f"{url},http://localhost:{front_port}"
    bridge_env = {
        "JIELI_RASA_URL": ",".join(rasa_urls),
        "JIELI_ACTION_SERVER_URL": action_url.removesuffix("/webhook"),
        "JIELI_ACTION_TOKEN": action_token,
        "JIELI_DATABASE_URL": database_url,
        "JIELI_ALLOWED_ORIGINS": origins,
        "JIELI_HOST": "127.0.0.1",
        **({"JIELI_DEMO_MODE": "true"} if demo else {"JIELI_SECRET_KEY": secrets_["secret_key"]}),
        **({"JIELI_REDIS_URL": redis_url, "JIELI_PROXIES_COUNT": "1"} if scaled else {}),
    }
    bridge_programs = []
    for i, bridge_port in enumerate(bridge_ports, start=1):
        service = bridge_service(
            bridge_port,
            rasa_ports[0],
            action_ports[0],
            log_dir,
            bridge_env,
            rasa_token,
            name_suffix=f"-{i}" if scaled else "",
        )
        bridge_programs.append(_program(f"bridge-{i}", service, bridge_port, env))
    for program in [*actions, *nodes, *bridge_programs]:
        programs[program.name] = program

    haproxy_text = None
    if scaled:
        haproxy_text = haproxy_config(
            front_port,
            [(p.name, p.port) for p in bridge_programs],
            action_front_port,
            [(p.name, p.port) for p in actions],
        )
        programs["haproxy"] = Program(
            "haproxy",
            [haproxy_binary(), "-db", "-f", str(state_dir / "haproxy.cfg")],
            {},
            f"{url}/healthz",
            log_dir / "haproxy.log",
            front_port,
            fatal_signs=("Cannot raise FD limit", "cannot bind socket", "Fatal errors found"),
        )
    return Layout(
        kind=kind,
        state_dir=state_dir,
        programs=programs,
        url=url,
        demo=demo,
        bridge_database_url=database_url,
        tracker_store=tracker_store,
        redis_url=redis_url,
        rasa_urls=rasa_urls,
        rasa_token=rasa_token,
        action_url=action_url,
        agents=tuple(f"agent{i}" for i in range(1, agents + 1)),
        agent_password=agent_password,
        haproxy_config=haproxy_text,
        secrets=secrets_,
    )


def _program(name: str, service, port: int, env: Mapping[str, str]) -> Program:
    return Program(
        name,
        service.argv,
        {**BASE_ENV, **service.env, **env},
        service.health_url,
        service.log_path,
        port,
        service.fatal_signs,
    )


def _state_secrets(state_dir: Path, demo: bool) -> dict[str, str]:
    """The set-up's shared secrets: the same for every bridge and action server, kept in
    `<state>/secrets.json` (mode 600) so a restarted set-up still accepts the customer tokens and
    agent passwords it handed out. Demo mode uses the bridge's demo secrets instead (the action
    token is still made here: the bridge and the action servers must share it)."""
    path = state_dir / "secrets.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        stored = {}
    wanted = ("action_token",) if demo else ("action_token", "secret_key", "agent_password")
    if all(stored.get(name) for name in wanted):
        return stored
    stored = {**stored, **{name: new_token() for name in wanted if not stored.get(name)}}
    state_dir.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps(stored, indent=2) + "\n")
    return stored


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next((p for p in HAPROXY_NAMES if os.access(p, os.X_OK)), None)
    if not found:
        raise TopologyError("HAProxy is not installed: run `make setup-scale` (Debian's haproxy package)")
    return found


def haproxy_maxconn(limit: int = 10000) -> int:
    """Connections HAProxy may hold at once: `limit`, or fewer when this machine's open-file limit
    is lower (HAProxy needs two descriptors a connection and refuses to start otherwise)."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return limit if hard == resource.RLIM_INFINITY else max(256, min(limit, (hard - 200) // 2))


def haproxy_config(
    front_port: int,
    bridges: list[tuple[str, int]],
    action_front_port: int,
    action_servers: list[tuple[str, int]],
    maxconn: int | None = None,
) -> str:
    """HAProxy in front of the bridges (customers, agents, their WebSockets) and of the action
    servers (Rasa's action endpoint).

    A request that cannot reach a server (refused: the bridge or action server is down and the
    health check has not noticed yet) or that the server dropped without an answer (killed
    mid-request) is tried again on the other server: customer messages are idempotent by
    client_msg_id, handovers by the action's Idempotency-Key, an action server's look-ups change
    nothing, and a replayed cancellation finds the order cancelled and changes nothing.
    Requests bigger than tune.bufsize cannot be replayed and are not retried (HAProxy needs the
    whole request in its buffer). WebSockets: `timeout tunnel` applies once upgraded; a customer
    whose bridge died reconnects through the front and lands on a bridge that is up.

    rasa-webchat's socket.io (`/socket.io`, docs/channels.md) starts with HTTP long-polling: every
    request of one Engine.IO session must reach the bridge that holds it, so those paths are
    balanced by the client's address (its own backend, the same servers); the widget's and the
    console's WebSockets need no stickiness."""
    bridge_lines = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in bridges)
    action_lines = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in action_servers)
    return f"""# Written by scripts/topology.py for this set-up; edits are overwritten on the next start.
global
    log stdout format raw local0 info
    maxconn {maxconn or haproxy_maxconn()}
    tune.bufsize 65536

defaults
    mode http
    log global
    option httplog
    option dontlognull
    option log-health-checks
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    # /healthz waits up to 3 s for the store and 2 s for each Rasa node's /status: a busy Rasa must
    # not make the bridges look dead (a 2 s check took both bridges out under load, bench/load)
    timeout check 4s
    timeout tunnel 1h
    timeout client-fin 5s
    timeout server-fin 5s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option http-buffer-request
    default-server check inter 2s fastinter 500ms downinter 1s fall 2 rise 2

frontend customers
    bind 127.0.0.1:{front_port}
    option forwardfor
    acl socketio path_beg /socket.io
    use_backend bridges_socketio if socketio
    default_backend bridges

backend bridges
    balance leastconn
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
{bridge_lines}

backend bridges_socketio
    balance source
    hash-type consistent
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
{bridge_lines}

frontend actions
    bind 127.0.0.1:{action_front_port}
    default_backend action_servers

backend action_servers
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health
    http-check expect status 200
{action_lines}
"""


def supervisord_config(layout: Layout, socket_path: Path) -> str:
    """supervisord's configuration: every program with autorestart and backoff, stopped and
    killed as a process group, its output in its log file."""

    def value(text: str) -> str:
        return str(text).replace("%", "%%")  # supervisord expands %(name)s in values

    def environment(env: Mapping[str, str]) -> str:
        return ",".join(
            f'{key}="{value(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
            for key, v in env.items()
        )

    sections = [
        "# Written by scripts/topology.py for this set-up (mode 600: it holds tokens).",
        "# Look at it running: .venv/bin/supervisorctl -c " + value(layout.config_path) + " status",
        "[unix_http_server]",
        f"file={value(socket_path)}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={value(layout.log_dir / 'supervisord.log')}",
        "logfile_maxbytes=5MB",
        "logfile_backups=2",
        f"pidfile={value(layout.pid_path)}",
        "nodaemon=true",
        "silent=true",
        f"identifier=jieli-{layout.kind}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{value(socket_path)}",
        "",
    ]
    for program in layout.programs.values():
        sections += [
            f"[program:{program.name}]",
            f"command={value(shlex.join(program.argv))}",
            f"directory={value(ROOT)}",
            *([f"environment={environment(program.env)}"] if program.env else []),
            f"priority={PRIORITY[program.role]}",
            "autostart=true",
            "autorestart=true",
            f"startsecs={START_SECONDS[program.role]}",
            f"startretries={START_RETRIES}",
            "stopsignal=TERM",
            f"stopwaitsecs={STOP_WAIT_SECONDS}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={value(program.log_path)}",
            f"stdout_logfile_maxbytes={LOG_MAX_BYTES}",
            "stdout_logfile_backups=2",
            "",
        ]
    return "\n".join(sections)


# ---- preparing the stores --------------------------------------------------------------------


def prepare(layout: Layout) -> None:
    """What must exist before the programs start: the PostgreSQL databases of a scaled set-up
    (Rasa would create its own, but two nodes starting together race to), and the agents
    (outside demo mode; in demo mode the bridge makes agent1 and agent2 itself)."""
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    layout.log_dir.mkdir(parents=True, exist_ok=True)
    for url in (layout.bridge_database_url, layout.tracker_store):
        if url.startswith(("postgresql://", "postgres://")):
            ensure_database(url)
    if layout.redis_url:
        check_redis(layout.redis_url)
    bridge = next(p for p in layout.programs.values() if p.role == "bridge")
    wanted = [name for name in layout.agents if not (layout.demo and name in DEMO_AGENTS)]
    if wanted:
        _migrate(bridge)  # once, before the agents are made
        parallel = 4 if layout.bridge_database_url.startswith("postgres") else 1  # SQLite: one writer
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            list(pool.map(lambda name: _create_agent(bridge, name, layout.agent_password), wanted))


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it is missing (connecting to the server's `postgres` database)."""
    import asyncio

    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme.split("+")[0], parts.netloc, "/postgres", "", ""))

    async def run() -> None:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            pass  # made a moment ago by someone else
        finally:
            await connection.close()

    try:
        asyncio.run(run())
    except (OSError, asyncpg.PostgresError) as error:
        raise TopologyError(f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not usable ({error})") from None


def drop_database(url: str) -> None:
    """DROP DATABASE … WITH (FORCE): for tests that made a database of their own."""
    import asyncio

    import asyncpg

    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme.split("+")[0], parts.netloc, "/postgres", "", ""))

    async def run() -> None:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(run())


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except redis.RedisError as error:
        raise TopologyError(f"Redis at {url} is not reachable ({error})") from None


def _bridge_command(bridge: Program, *args: str, extra_env: Mapping[str, str] | None = None) -> None:
    result = subprocess.run(
        [str(BRIDGE_PY), "-m", "handover_bridge", *args],
        cwd=ROOT,
        env={**os.environ, **bridge.env, "JIELI_LOG_LEVEL": "ERROR", **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 and "exists already" not in (result.stderr + result.stdout):  # made before
        raise TopologyError(
            f"python -m handover_bridge {' '.join(args)} failed: {(result.stderr or result.stdout).strip()}"
        )


def _migrate(bridge: Program) -> None:
    _bridge_command(bridge, "migrate")


def _create_agent(bridge: Program, name: str, password: str) -> None:
    roles = "agent,designer,lead" if name == DEMO_AGENTS[0] else "agent"
    _bridge_command(
        bridge,
        "create-agent",
        name,
        "--roles",
        roles,
        "--max-concurrent",
        "10",
        extra_env={"JIELI_NEW_AGENT_PASSWORD": password},
    )


# ---- running it ------------------------------------------------------------------------------


class Topology:
    """A running set-up: its programs under one supervisord."""

    def __init__(self, layout: Layout, supervisord: subprocess.Popen, socket_path: Path, socket_dir: Path | None):
        self.layout = layout
        self.kind = layout.kind
        self.url = layout.url
        self.agent_password = layout.agent_password
        self.bridge_database_url = layout.bridge_database_url
        self.supervisord = supervisord
        self.socket_path = socket_path
        self._socket_dir = socket_dir  # a private temporary folder when the state folder's path is too long

    # -- what runs
    def names(self) -> list[str]:
        return list(self.layout.programs)

    def program(self, name: str) -> Program:
        try:
            return self.layout.programs[name]
        except KeyError:
            raise KeyError(f"no program {name!r} in this set-up: {', '.join(self.names())}") from None

    def _rpc(self):
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.socket_path}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def info(self, name: str) -> dict:
        """supervisord's view of one program: statename (RUNNING, STARTING, BACKOFF, FATAL …), pid …"""
        self.program(name)
        return self._rpc().getProcessInfo(name)

    def pid(self, name: str) -> int:
        """The program's process id (0 while it is not running)."""
        return int(self.info(name)["pid"])

    def state(self, name: str) -> str:
        return self.info(name)["statename"]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send `sig` (kill -9 by default) to the program's whole process group, as a crash would
        end it; supervisord starts it again. Returns the pid that was killed."""
        pid = self.pid(name)
        if not pid:
            raise TopologyError(f"{name} is not running (state {self.state(name)})")
        os.killpg(pid, sig)  # supervisord makes every program a process group leader
        return pid

    def healthy(self, name: str) -> bool:
        return self.program(name).healthy()

    def wait_healthy(self, name: str | None = None, timeout: float = 240) -> None:
        """Wait until `name` (or every program) answers its health URL; TopologyError at once when
        supervisord gave up on it (FATAL) or its log says it can never start, else at the timeout."""
        pending = [self.program(name)] if name else list(self.layout.programs.values())
        deadline = time.monotonic() + timeout
        while pending:
            if self.supervisord.poll() is not None:
                raise TopologyError(
                    f"supervisord exited (code {self.supervisord.returncode}){self._supervisord_tail()}"
                )
            for program in list(pending):
                if (sign := program.fatal_sign()) is not None:
                    raise TopologyError(f"{program.name} cannot start: {sign}{program.log_tail()}")
                if self.state(program.name) == "FATAL":
                    raise TopologyError(f"supervisord gave up on {program.name}{program.log_tail()}")
                if program.healthy():
                    pending.remove(program)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TopologyError(
                    "timed out waiting for "
                    + ", ".join(p.name for p in pending)
                    + "".join(p.log_tail() for p in pending)
                )
            time.sleep(0.5)

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 240) -> int:
        """After a kill: wait until supervisord runs `name` under a new pid and it is healthy."""
        deadline = time.monotonic() + timeout
        while (pid := self.pid(name)) in (0, old_pid):
            if time.monotonic() > deadline:
                raise TopologyError(
                    f"{name} was not restarted (state {self.state(name)}){self.program(name).log_tail()}"
                )
            time.sleep(0.2)
        self.wait_healthy(name, max(1.0, deadline - time.monotonic()))
        return pid

    def log_tail(self, name: str, lines: int = 12) -> str:
        return self.program(name).log_tail(lines)

    def _supervisord_tail(self) -> str:
        return Program("supervisord", [], {}, "", self.layout.log_dir / "supervisord.log", 0).log_tail()

    # -- stopping
    def stop(self, timeout: float = 90) -> None:
        """Stop every program (supervisord stops them in reverse start order, as process groups),
        then supervisord. Safe to call twice."""
        if self.supervisord.poll() is None:
            try:
                self.supervisord.send_signal(signal.SIGTERM)
                self.supervisord.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill_everything()
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    def _kill_everything(self) -> None:
        try:
            pids = [int(info["pid"]) for info in self._rpc().getAllProcessInfo() if info["pid"]]
        except (OSError, xmlrpc.client.Error):
            pids = []
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.supervisord.kill()
        self.supervisord.wait(timeout=10)

    def __enter__(self) -> Topology:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def launch(layout: Layout) -> Topology:
    """Write the configuration files (mode 600) and start supervisord with every program."""
    stop_previous(layout)
    layout.log_dir.mkdir(parents=True, exist_ok=True)
    for program in layout.programs.values():  # this run's part of each (appended) log
        program.log_offset = program.log_path.stat().st_size if program.log_path.exists() else 0
    if layout.haproxy_config is not None:
        path = layout.state_dir / "haproxy.cfg"
        write_private(path, layout.haproxy_config)
        check = subprocess.run([haproxy_binary(), "-c", "-q", "-f", str(path)], capture_output=True, text=True)
        if check.returncode != 0:
            raise TopologyError(f"HAProxy refuses {path}: {(check.stderr or check.stdout).strip()}")
    socket_path, socket_dir = _socket_path(layout.state_dir)
    write_private(layout.config_path, supervisord_config(layout, socket_path))
    output = layout.log_dir / "supervisord.out"  # what it says before its own log is open
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [str(Path(BRIDGE_PY).parent / "supervisord"), "-c", str(layout.config_path)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches `make demo`, which stops it in order
        )
    topology = Topology(layout, process, socket_path, socket_dir)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            error = output.read_text(errors="replace").strip()
            raise TopologyError(f"supervisord did not start: {error}{topology._supervisord_tail()}")
        try:
            if topology._rpc().getState()["statename"] == "RUNNING":
                return topology
        except (OSError, xmlrpc.client.Error):
            pass
        if time.monotonic() > deadline:
            topology.stop()
            raise TopologyError(f"supervisord did not answer on {socket_path}{topology._supervisord_tail()}")
        time.sleep(0.2)


def _socket_path(state_dir: Path) -> tuple[Path, Path | None]:
    """supervisord's control socket: in the state folder, or in a private temporary folder when
    that path is too long for a Unix socket (about 107 bytes)."""
    path = state_dir / "supervisor.sock"
    if len(str(path).encode()) < 100:
        return path, None
    folder = Path(tempfile.mkdtemp(prefix="jieli-sv-"))
    return folder / "supervisor.sock", folder


def stop_previous(layout: Layout, timeout: float = 90) -> None:
    """A supervisord still running from an earlier start in this state folder (its parent was
    killed) holds the ports: stop it and its programs first."""
    try:
        pid = int(layout.pid_path.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return
    if "supervisord" not in cmdline or str(layout.config_path) not in cmdline:
        return
    print(f"Stopping the set-up still running from an earlier start (supervisord {pid}) …", file=sys.stderr, flush=True)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def start(
    kind: str,
    *,
    state_dir: Path,
    rasa_nodes: int = 2,
    bridges: int = 2,
    action_servers: int = 2,
    port: int | None = None,
    env: dict | None = None,
    wait: bool = True,
    timeout: float = 300,
    **options,
) -> Topology:
    """Describe, prepare and launch a set-up (see `describe` for the options); with `wait`, return
    once every program is healthy (stopping everything if one will not come up)."""
    layout = describe(
        kind,
        state_dir=state_dir,
        rasa_nodes=rasa_nodes,
        bridges=bridges,
        action_servers=action_servers,
        port=port,
        env=env,
        **options,
    )
    prepare(layout)
    topology = launch(layout)
    if wait:
        try:
            topology.wait_healthy(None, timeout)
        except BaseException:
            topology.stop()
            raise
    return topology


if __name__ == "__main__":  # pragma: no cover - a manual check
    print(__doc__, file=sys.stderr)
