"""A real action server and Rasa server on free ports, on a freshly seeded shop database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from ports import free_port  # noqa: E402
from supervise import rasa_services, start_all, stop_all  # noqa: E402

MODEL = ROOT / "models" / "jieli.tar.gz"


def fresh_shop(folder: Path) -> str:
    """A fresh shop database in `folder`, seeded from shop/demo_orders.yml; its URL."""
    db_url = f"sqlite:///{folder / 'shop.db'}"
    subprocess.run(
        [sys.executable, "-m", "actions.shop.seed", "--db", db_url, "--reset"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return db_url


@pytest.fixture(scope="session")
def seed_shop():
    """fresh_shop, for test modules that start processes of their own."""
    return fresh_shop


@pytest.fixture(scope="session")
def bot(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    tmp = tmp_path_factory.mktemp("bot")
    db_url = fresh_shop(tmp)
    rasa_port, action_port = free_port(), free_port()
    services = rasa_services(rasa_port, action_port, MODEL, tmp / "log")
    for service in services:
        service.env.update({"JIELI_SHOP_DB_URL": db_url, "JIELI_SHOP_ADAPTER": "sql", "JIELI_BRIDGE_URL": ""})
    start_all(services)
    yield Bot(
        f"http://127.0.0.1:{rasa_port}",
        services[1].token,
        f"http://127.0.0.1:{action_port}",
        services[0].token,
        tmp / "log",
    )
    stop_all(services)


class Bot:
    """The running Rasa (its HTTP API wants `token`, as the bridge sends it) and action server
    (it wants `webhook_token`, as Rasa sends it)."""

    def __init__(
        self, url: str, token: str = "", actions_url: str = "", webhook_token: str = "", log_dir: Path | None = None
    ):
        self.url = url
        self.token = token
        self.actions_url = actions_url
        self.webhook_token = webhook_token
        self.log_dir = log_dir

    def say(self, text: str, sender: str | None = None) -> list[dict]:
        """Send one message through the REST channel; return the bot's messages."""
        body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return json.loads(response.read())

    def parse(self, text: str) -> dict:
        body = json.dumps({"text": text}).encode()
        request = urllib.request.Request(
            f"{self.url}/model/parse?token={self.token}", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def tracker(self, sender: str) -> dict:
        with urllib.request.urlopen(
            f"{self.url}/conversations/{sender}/tracker?token={self.token}", timeout=30
        ) as response:
            return json.loads(response.read())
