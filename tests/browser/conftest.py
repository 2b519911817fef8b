"""Browser tests: the real bridge (`python -m handover_bridge`, demo mode, SQLite in a temp dir) on
a free port, a fake Rasa + action server beside it, and Debian's Chromium driven by Playwright.

`playwright install` is not used: Chromium comes from apt (`make setup-browser`). Without it the
tests are skipped locally and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from .fake_rasa import FakeRasa

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
ACTION_TOKEN = "browser-test-action-token-0123456789"
PASSWORD = "jieli-demo"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--autoplay-policy=no-user-gesture-required",
]
# Messages Chromium prints by itself when a server is down on purpose (the restart test) are not
# errors of our pages; everything else at level "error" is.
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Bridge:
    """One bridge process; `restart()` stops it and starts a new one on the same port and store."""

    port: int
    db_path: Path
    log_path: Path
    fake: FakeRasa
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "handover_bridge"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the bridge exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code in (200, 503):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the bridge did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # ---- the HTTP API, for setting the scene and checking the store ---------------------------

    def agent_token(self, username: str = "agent1") -> str:
        response = httpx.post(f"{self.url}/api/agent/login", json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["token"]

    def agent_call(self, token: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = httpx.request(
            method, f"{self.url}/api/agent{path}", headers={"Authorization": f"Bearer {token}"}, timeout=20, **kwargs
        )
        assert response.status_code < 400, response.text
        return response.json()

    def customer(self, *messages: str, metadata: dict[str, Any] | None = None) -> dict[str, str]:
        """A customer made through the HTTP API (a second shopper in the queue, say)."""
        response = httpx.post(f"{self.url}/api/conversations", json={"metadata": metadata or {}})
        response.raise_for_status()
        customer = response.json()
        for number, text in enumerate(messages):
            sent = httpx.post(
                f"{self.url}/api/conversations/{customer['conversation_id']}/messages",
                headers={"Authorization": f"Bearer {customer['token']}"},
                json={"text": text, "client_msg_id": f"api-{number}"},
                timeout=20,
            )
            assert sent.status_code == 200, sent.text
        return customer

    def say(self, customer: dict[str, str], text: str) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/api/conversations/{customer['conversation_id']}/messages",
            headers={"Authorization": f"Bearer {customer['token']}"},
            json={"text": text, "client_msg_id": f"api-{time.monotonic_ns()}"},
            timeout=20,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        token = self.agent_token("agent1")  # the demo's lead: reads every conversation
        return self.agent_call(token, "GET", f"/conversations/{conversation_id}")["messages"]


@contextmanager
def running_bridge(tmp_path: Path, extra_env: dict[str, str] | None = None):
    """The fake Rasa and a bridge process on free ports, SQLite under tmp_path (`extra_env`: more
    JIELI_* settings, e.g. the WeChat channel's)."""
    fake = FakeRasa(free_port(), ACTION_TOKEN)
    fake.start()
    port = free_port()
    fake.bridge_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIELI_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "JIELI_DEMO_MODE": "true",
            "JIELI_DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}",
            "JIELI_PORT": str(port),
            "JIELI_HOST": "127.0.0.1",
            "JIELI_RASA_URL": fake.url,
            "JIELI_ACTION_SERVER_URL": fake.url,
            "JIELI_ACTION_TOKEN": ACTION_TOKEN,
            "JIELI_ALLOWED_ORIGINS": f"http://127.0.0.1:{port},http://localhost:{port}",
            "JIELI_AUTO_ASSIGN": "false",  # the agent picks from the queue, as in the news case
            "JIELI_RASA_TIMEOUT": "5",
            "JIELI_SWEEP_INTERVAL": "0.5",
            "JIELI_RATE_IP_PER_MIN": "100000",
            "JIELI_RATE_IP_BURST": "100000",
            "JIELI_RATE_CONVERSATION_PER_MIN": "100000",
            "JIELI_RATE_CONVERSATION_BURST": "100000",
            "JIELI_RATE_LOGIN_IP_PER_MIN": "100000",
            "JIELI_RATE_LOGIN_IP_BURST": "100000",
            "JIELI_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra_env or {})
    b = Bridge(port=port, db_path=tmp_path / "bridge.db", log_path=tmp_path / "bridge.log", fake=fake, env=env)
    try:
        b.start()
        yield b
    finally:
        b.stop()
        fake.stop()


@pytest.fixture
def bridge(tmp_path):
    with running_bridge(tmp_path) as b:
        yield b


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        message = "Chromium is not installed (make setup-browser)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "playwright is not installed in this environment (make setup-browser)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """Console errors, page errors and dialogs of one page."""

    def __init__(self, page, name: str):
        self.name = name
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("dialog", self._dialog)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} @ {message.location.get('url', '')}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert not self.errors, f"{self.name}: browser console errors:\n" + "\n".join(self.errors)
        assert not self.dialogs, f"{self.name}: dialogs fired: {self.dialogs}"


@pytest.fixture
def contexts(browser):
    made = []

    def new(viewport: dict[str, int] = DESKTOP, **kwargs: Any):
        phone = viewport["width"] < 500
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            **kwargs,
        )
        context.set_default_timeout(15000)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


def shot(page, name: str, **kwargs: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **kwargs)


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)
