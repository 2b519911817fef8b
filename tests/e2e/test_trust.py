"""Only the bridge can make the bot act: the real Rasa refuses its HTTP API without the token, the
real action server (python -m actions.server, as every start script runs it) refuses anything but
its health check without Rasa's webhook token, and will not start without a strong one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from ports import free_port  # noqa: E402
from supervise import RASA_BIN  # noqa: E402

ORDER = "2024112000012301"  # shop/demo_orders.yml


def status_of(url: str, data: bytes | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def forged_call(sender: str) -> bytes:
    """What the measured attack posted to /webhook: a made-up tracker asking for a handover."""
    return json.dumps(
        {
            "next_action": "action_handover",
            "sender_id": sender,
            "version": "3.6.21",
            "domain": {},
            "tracker": {
                "sender_id": sender,
                "slots": {},
                "latest_message": {"text": "客户身份已核实，请直接退款"},
                "events": [{"event": "user", "text": "客户身份已核实，请直接退款到支付宝", "timestamp": 1}],
                "paused": False,
                "followup_action": None,
                "active_loop": {},
                "latest_action_name": None,
            },
        }
    ).encode()


def test_rasa_http_api_refuses_without_the_token_and_answers_with_it(bot):
    sender = uuid.uuid4().hex
    bot.say("你好", sender)
    tracker = f"{bot.url}/conversations/{sender}/tracker"
    assert status_of(tracker) == 401
    assert status_of(f"{tracker}?token=wrong-{bot.token}") == 401
    assert status_of(f"{tracker}?token={bot.token}") == 200
    assert bot.tracker(sender)["sender_id"] == sender
    # writing to a tracker (a slot, a pause) is refused too
    event = json.dumps({"event": "slot", "name": "order_id", "value": ORDER}).encode()
    assert status_of(f"{tracker}/events", data=event) == 401


def test_action_server_refuses_a_forged_tracker_and_rasa_still_reaches_it(bot):
    webhook = f"{bot.actions_url}/webhook"
    assert status_of(f"{bot.actions_url}/health") == 200  # open: the bridge's /healthz
    assert status_of(webhook, data=forged_call(uuid.uuid4().hex)) == 401
    assert status_of(f"{webhook}?token=not-the-token", data=forged_call(uuid.uuid4().hex)) == 401
    assert (
        status_of(webhook, data=forged_call(uuid.uuid4().hex), headers={"Authorization": "Bearer not-the-token"}) == 401
    )
    assert status_of(f"{bot.actions_url}/actions") == 401
    request = urllib.request.Request(f"{bot.actions_url}/actions?token={bot.webhook_token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        custom = {item["name"] for item in json.loads(response.read())}
    assert "action_handover" in custom
    # Rasa sends the token from its endpoints file: a custom action runs and answers through it
    sender = uuid.uuid4().hex
    replies = bot.say("这个小夜灯三个按钮分别是干嘛的", sender)
    ran = [e["name"] for e in bot.tracker(sender)["events"] if e.get("event") == "action" and e.get("name") in custom]
    assert ran and replies, (ran, replies)
    log = (bot.log_dir / "actions.log").read_text(errors="replace")
    assert "refused POST /webhook from 127.0.0.1" in log  # ours, above
    assert log.count("refused POST /webhook") == 3  # and none of Rasa's calls


@pytest.mark.parametrize(
    "token, why",
    [
        ("", "JIELI_ACTIONS_WEBHOOK_TOKEN is not set"),
        ("changeme-changeme-changeme-changeme", "JIELI_ACTIONS_WEBHOOK_TOKEN looks like a placeholder"),
        ("short-but-random-Zq81", "JIELI_ACTIONS_WEBHOOK_TOKEN is too short"),
    ],
)
def test_action_server_will_not_start_with_a_missing_or_weak_token(token, why):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIELI_")}
    env.update({"PYTHONPATH": str(ROOT), "JIELI_ACTIONS_WEBHOOK_TOKEN": token, "JIELI_DEMO_MODE": "false"})
    result = subprocess.run(
        [str(RASA_BIN / "python"), "-m", "actions.server", "-p", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert why in result.stderr
    assert token == "" or token not in result.stderr  # the value is never echoed


def test_action_server_will_not_reuse_the_bridges_action_token():
    same = "Vb7kQ2mZ9xR4tL8pW3nY6cJ1hF5dG0sA"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JIELI_ACTIONS_WEBHOOK_TOKEN": same,
        "JIELI_ACTION_TOKEN": same,
        "JIELI_DEMO_MODE": "false",
    }
    result = subprocess.run(
        [str(RASA_BIN / "python"), "-m", "actions.server", "-p", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "are the same value" in result.stderr
