"""A real action server (`python -m actions.server` in .venv-rasa) on a seeded SQLite demo shop, for
the order panel's tests (tests/bridge/test_orders.py, tests/browser/test_orders.py)."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ActionServer:
    def __init__(self, tmp: Path, action_token: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = f"sqlite:///{tmp / 'shop.db'}"
        self.webhook_token = secrets.token_urlsafe(32)
        self.log = tmp / "actions.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "JIELI_ACTIONS_WEBHOOK_TOKEN": self.webhook_token,
            "JIELI_ACTION_TOKEN": action_token,
            "JIELI_SHOP_ADAPTER": "sql",
            "JIELI_SHOP_DB_URL": self.db,
            "JIELI_BRIDGE_URL": "",
        }
        self.process: subprocess.Popen | None = None

    def seed(self) -> None:
        """A fresh demo shop (every test starts from it; a cancelled order is open again)."""
        subprocess.run(
            [str(RASA_PY), "-m", "actions.shop.seed", "--db", self.db, "--reset"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.seed()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(RASA_PY), "-m", "actions.server", "-p", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the action server did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
