"""Trust boundaries where customer text meets Rasa (issue 13, items 4 and 12): a leading "/" from
the customer is text and only the buttons the bot offered are payloads, and the training export
stays readable to Rasa whatever control characters customers or agents typed. Checked with
Rasa's own readers (rasa_check.py in .venv-rasa). On SQLite and PostgreSQL (the `store` fixture),
through real clients. The other edge checks are in test_trust_edge.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from handover_bridge.services.learning import training_export as tx

from .conftest import IN_CI, ROOT, recv_until
from .test_review import close, designer, export_into, handed_over_chat, review, training_copy
from .test_trust_edge import error_of, stored

pytestmark = pytest.mark.asyncio

SLASHED = [
    '/order_status{"order_id": "2024112300012399"}',
    "/request_rating",
    "／request_human",
    "\u200b/cancel_order",
    "  /affirm",
    "/退款怎么还没到",
]
AS_TEXT = [
    'order_status{"order_id": "2024112300012399"}',
    "request_rating",
    "request_human",
    "cancel_order",
    "affirm",
    "退款怎么还没到",
]  # what Rasa gets for each
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
RASA_CHECK = Path(__file__).with_name("rasa_check.py")


def run_rasa(*args: str) -> dict:
    """tests/bridge/rasa_check.py in the Rasa environment (rasa.shared's own readers)."""
    if not RASA_PY.exists():
        if IN_CI:
            pytest.fail(f"{RASA_PY} missing (CI=true: the Rasa check must run)")
        pytest.skip(f"{RASA_PY} missing (make setup)")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [str(RASA_PY), str(RASA_CHECK), *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- 4. a leading "/" from the customer is text; only offered buttons are payloads -----------------


async def test_customer_text_with_a_leading_slash_reaches_rasa_as_text(harness):
    customer = await harness.customer()
    for n, text in enumerate(SLASHED):
        await harness.say(customer, text, client_msg_id=f"slash-{n}")
    sent = [c["message"] for c in harness.fake.webhook_calls if c["sender"] == customer.conversation_id]
    assert sent == AS_TEXT
    assert not any(m.lstrip().startswith(("/", "／")) for m in sent)
    customer_texts = [m["text"] for m in await stored(harness, customer) if m["sender"] == "customer"]
    assert customer_texts == SLASHED  # stored exactly as typed
    # and the same on the socket
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    await socket_.send(json.dumps({"type": "message", "text": "/request_human", "client_msg_id": "ws-slash"}))
    await recv_until(socket_, lambda f: f["type"] == "ack" and f["client_msg_id"] == "ws-slash")
    assert harness.fake.webhook_calls[-1]["message"] == "request_human"


async def test_rasa_reads_the_escaped_text_as_text():
    """Rasa's own parser (after the project's normaliser) finds no intent in what the bridge sends."""
    from handover_bridge.services.customer.bot import as_text

    assert [as_text(t) for t in SLASHED] == AS_TEXT
    result = run_rasa("parse", *[as_text(t) for t in SLASHED], "/request_human")
    assert result["intents"][:-1] == [None] * len(SLASHED)
    assert result["intents"][-1] == "request_human"  # the check itself sees a real command


async def test_only_offered_button_payloads_reach_rasa(harness):
    customer = await harness.customer()
    url = f"{customer.base}/messages"
    not_offered = await harness.http.post(
        url, headers=customer.headers, json={"text": "查物流", "payload": "/order_status", "client_msg_id": "b1"}
    )
    assert error_of(not_offered, 400)["code"] == "payload_not_offered"
    for bad in (42, "order_status", "/" + "x" * 300):
        response = await harness.http.post(url, headers=customer.headers, json={"text": "x", "payload": bad})
        assert error_of(response, 400)["code"] == "invalid_payload"
    await harness.say(customer, "按钮")  # the bot offers 查物流 → /order_status
    response = await harness.http.post(
        url, headers=customer.headers, json={"text": "查物流", "payload": "/order_status", "client_msg_id": "b2"}
    )
    assert response.status_code == 200, response.text
    pressed = response.json()["messages"][0]
    assert pressed["text"] == "查物流" and pressed["payload"] == {"type": "button", "payload": "/order_status"}
    assert harness.fake.webhook_calls[-1]["message"] == "/order_status"
    # the widget's own 转人工 button is always allowed, on the socket too
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    await socket_.send(
        json.dumps({"type": "message", "text": "转人工", "payload": "/request_human", "client_msg_id": "b3"})
    )
    await recv_until(socket_, lambda f: f["type"] == "ack" and f["client_msg_id"] == "b3")
    assert harness.fake.webhook_calls[-1]["message"] == "/request_human"
    await socket_.send(
        json.dumps({"type": "message", "text": "取消", "payload": "/cancel_order", "client_msg_id": "b4"})
    )
    error, _ = await recv_until(socket_, lambda f: f["type"] == "error")
    assert error["code"] == "payload_not_offered" and error["client_msg_id"] == "b4"
    assert "/cancel_order" not in [c["message"] for c in harness.fake.webhook_calls]


# ---- 12. the training export ---------------------------------------------------------------------------

DIRTY = "快递\x07到哪了\x1b[31m\x85\u2028我的单号2024112300012399\x00\x7f\x9b"
STORABLE = DIRTY.replace("\x00", "")  # PostgreSQL text cannot hold NUL at all


async def test_export_strips_control_characters_and_rasa_reads_it(tmp_path):
    candidate = {
        "id": 1,
        "handover_id": 7,
        "conversation_id": "0123456789abcdef0123456789abcdef",
        "intent": "order_status",
        "examples": [DIRTY, "发票\x0c怎么开\ud800"],
        "reusable": True,
        "answer": "您好\x07，\x1b[0m发票在\u2028订单详情里\x85申请\ud83d",
        "reviewed_at": "2026-01-01T00:00:00+00:00",
    }
    plan = tx.plan_export([candidate], known_origins=[], previous=[], existing={})
    bad = [
        ch
        for ch in plan.text
        if (ord(ch) < 32 and ch != "\n")
        or 0x7F <= ord(ch) <= 0x9F
        or 0xD800 <= ord(ch) <= 0xDFFF
        or ch in "\u2028\u2029"
    ]
    assert bad == []
    path = tmp_path / tx.GENERATED_FILE
    path.write_text(plan.text, encoding="utf-8")
    result = run_rasa("read", str(path))
    assert result["examples"] == 2 and result["responses"] == 1, result


@pytest.mark.bridge_settings(auto_assign=False)
async def test_an_export_of_stored_control_characters_is_read_by_rasa(harness, tmp_path):
    """Messages stored before the edge cleaned input (or by another way in) still export cleanly."""
    folder = training_copy(tmp_path)
    export_into(harness, folder)
    agent = await harness.agent()
    boss = await designer(harness)
    chat = await handed_over_chat(
        harness,
        agent,
        before=["你好", "我的快递到哪了"],
        during=[],
        replies=["您好，包裹已经到了驿站，请凭取件码领取。"],
    )
    from sqlalchemy import update

    from handover_bridge.models import Message

    async with harness.bridge.ctx.db.write() as session:  # as an older bridge stored them
        await session.execute(
            update(Message)
            .where(Message.conversation_id == chat.conversation_id, Message.text == "我的快递到哪了")
            .values(text=STORABLE)
        )
        await session.execute(
            update(Message)
            .where(Message.conversation_id == chat.conversation_id, Message.sender == "agent")
            .values(text="您好\x07，包裹已经到了驿站\x1b[0m，请凭取件码领取。\x9b")
        )
    candidate = (await close(harness, agent, chat, intent="order_status", reusable=True))["review_candidate"]
    await review(harness, boss, "POST", f"/candidates/{candidate}/accept", json={})
    result = await review(harness, boss, "POST", "/export", json={})
    assert result["entries"] == 1, result
    path = folder / tx.GENERATED_FILE
    text = path.read_text(encoding="utf-8")
    assert "\x07" not in text and "\x1b" not in text and "\x9b" not in text and "\x85" not in text
    assert run_rasa("read", str(path))["examples"] >= 1


async def test_rasa_check_sees_an_unreadable_file(tmp_path):
    """The check itself: the file today's export wrote with a control character fails to load."""
    path = tmp_path / "broken.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n    - 快递\x07到哪了\n', encoding="utf-8"
    )
    assert run_rasa("read", str(path))["error"]
