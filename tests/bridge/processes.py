"""Real `python -m handover_bridge` processes for the multi-process and crash tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import ACTION_TOKEN, ORIGIN, ROOT, SECRET


class BridgeProcess:
    def __init__(self, name: str, port: int, env: dict[str, str], log_dir: Path):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "JIELI_PORT": str(port),
            "JIELI_HOST": "127.0.0.1",
            "JIELI_SECRET_KEY": SECRET,
            "JIELI_ACTION_TOKEN": ACTION_TOKEN,
            "JIELI_ALLOWED_ORIGINS": ORIGIN,
            "JIELI_RATE_IP_PER_MIN": "100000",
            "JIELI_RATE_IP_BURST": "100000",
            "JIELI_RATE_CONVERSATION_PER_MIN": "100000",
            "JIELI_RATE_CONVERSATION_BURST": "100000",
            # 50 agents log in at once from loopback here: not the login limits' business
            "JIELI_RATE_LOGIN_IP_PER_MIN": "100000",
            "JIELI_RATE_LOGIN_IP_BURST": "100000",
            "JIELI_LOGIN_QUEUE": "100",
            "JIELI_LOGIN_PER_ADDRESS": "100",
            "JIELI_LOG_LEVEL": "INFO",
            **env,
        }
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "handover_bridge"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become healthy:\n{self.log_path.read_text()[-3000:]}")

    def kill9(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()
