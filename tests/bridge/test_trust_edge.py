"""Trust boundaries at the edge (issue 13, items 4, 5, 6, 7, 11 and 12): customer text is text,
malformed input is a clear 4xx (an error frame on a socket) and never a 500 or a dead socket,
resume clamps a made-up last_seq, typing frames are throttled, and the training export stays
readable to Rasa. On SQLite and PostgreSQL (the `store` fixture), through real clients."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from handover_bridge.services.learning import training_export as tx

from .conftest import IN_CI, ROOT, recv_json, recv_until
from .test_review import close, designer, export_into, handed_over_chat, review, training_copy

pytestmark = pytest.mark.asyncio

BIG = 2**63  # one beyond the store's BIGINT
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


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert len(response.content) < 500 and "Traceback" not in response.text  # no traceback, ever
    return response.json()["error"]


async def assigned(harness, customer, agent) -> None:
    assert (await harness.say(customer, "转人工"))["state"] == "queued"
    await harness.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept")


async def stored(harness, customer) -> list[dict]:
    return (await harness.history(customer))["messages"]


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


# ---- 5. lone surrogates and control characters ----------------------------------------------------


def raw_json(text: str) -> bytes:
    """A JSON body as a client may send it: the escapes stay escapes (valid UTF-8 on the wire)."""
    return text.encode("utf-8")


@pytest.mark.bridge_settings(auto_assign=False)
async def test_surrogates_and_control_characters_are_cleaned_at_the_http_edge(harness):
    created = await harness.http.post(
        "/api/conversations", content=raw_json('{"metadata": {"name": "\\ud800", "note\\u0007": "x"}}')
    )
    assert created.status_code == 201, created.text
    customer = await harness.customer()
    url = f"{customer.base}/messages"
    response = await harness.http.post(
        url,
        headers=customer.headers,
        content=raw_json('{"text": "a\\ud800b\\u0007c\\u009b\\n", "client_msg_id": "s1"}'),
    )
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["text"] == "a\ufffdbc\n"
    only_controls = await harness.http.post(
        url, headers=customer.headers, content=raw_json('{"text": "\\u0000\\u0007\\u001b"}')
    )
    assert error_of(only_controls, 400)["code"] == "empty_message"
    agent = await harness.agent()
    await assigned(harness, customer, agent)
    reply = await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/messages",
        expect=200,
        content=raw_json('{"text": "\\udfff好的\\u0001", "client_msg_id": "r1"}'),
    )
    assert reply.json()["messages"][0]["text"] == "\ufffd好的"
    other = await harness.customer()
    ticket = await harness.http.post(
        f"{other.base}/ticket",
        headers=other.headers,
        content=raw_json('{"message": "\\ud83d坏了", "contact": "138\\u00000000"}'),
    )
    assert ticket.status_code in (201, 409), ticket.text  # never a 500
    texts = [m["text"] for m in await stored(harness, customer)]
    assert "a\ufffdbc\n" in texts and "\ufffd好的" in texts


async def test_a_lone_surrogate_on_the_socket_leaves_its_send_path_alive(harness):
    customer = await harness.customer()
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    await socket_.send('{"type": "message", "text": "\\ud800", "client_msg_id": "bad-1"}')
    first, _ = await recv_until(socket_, lambda f: f.get("client_msg_id") == "bad-1" and f["type"] in ("ack", "error"))
    assert first["type"] == "ack"
    await socket_.send('{"type": "message", "text": "\\u0007", "client_msg_id": "bad-2"}')
    error, _ = await recv_until(socket_, lambda f: f["type"] == "error")
    assert error["code"] == "empty_message"
    await socket_.send(json.dumps({"type": "message", "text": "还在吗", "client_msg_id": "good-1"}))
    ack, _ = await recv_until(socket_, lambda f: f["type"] == "ack" and f["client_msg_id"] == "good-1")
    texts = [m["text"] for m in await stored(harness, customer) if m["sender"] == "customer"]
    assert texts == ["\ufffd", "还在吗"]


# ---- 6. numbers beyond 2^63 and deep JSON ------------------------------------------------------------


@pytest.mark.bridge_settings(auto_assign=False)
async def test_huge_ids_and_deep_json_get_a_clear_4xx(harness):
    customer = await harness.customer()
    await harness.say(customer, "你好")
    agent = await harness.agent()
    for path in (f"/tickets/{BIG}/answer", f"/tickets/{BIG * 10}/close"):
        response = await harness.http.post(f"/api/agent{path}", headers=agent.headers, json={})
        assert error_of(response, 400)["code"] == "invalid_ticket_id"
    boss = await designer(harness)
    response = await harness.http.get(f"/api/agent/review/candidates/{BIG}", headers=boss.headers)
    assert error_of(response, 400)["code"] == "invalid_candidate_id"
    for after in (str(BIG), "-1", "x"):
        response = await harness.http.get(
            f"{customer.base}/messages", params={"after": after}, headers=customer.headers
        )
        assert error_of(response, 400)["code"] == "invalid_after"
    for after in (BIG - 1, 2**40):  # valid numbers beyond every seq: nothing newer
        assert (await harness.history(customer, after=after))["messages"] == []
    await assigned(harness, customer, agent)
    for target, code in ((BIG, "number_out_of_range"), (2**40, "invalid_agent"), (-(BIG + 1), "number_out_of_range")):
        response = await harness.agent_call(
            agent, "POST", f"/conversations/{customer.conversation_id}/transfer", expect=None, json={"agent": target}
        )
        assert error_of(response, 400)["code"] == code
    deep = "[" * 30_000 + "]" * 30_000
    for url, headers in (
        ("/api/conversations", {}),
        (f"{customer.base}/messages", customer.headers),
        ("/api/agent/login", {}),
    ):
        response = await harness.http.post(url, headers=headers, content=deep)
        assert error_of(response, 400)["code"] == "json_too_deep"
    nested = '{"metadata": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    response = await harness.http.post("/api/conversations", content=nested)
    assert error_of(response, 400)["code"] == "json_too_deep"
    assert await harness.state(customer) == "assigned"  # nothing stored was touched


async def test_huge_last_seq_and_deep_frames_get_error_frames(harness):
    customer = await harness.customer()
    await harness.say(customer, "你好")
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": BIG}))
    error = await recv_json(socket_)
    assert error["type"] == "error" and error["code"] == "number_out_of_range"
    await socket_.send("[" * 8000 + "]" * 8000)
    assert (await recv_json(socket_))["code"] == "json_too_deep"
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    frame, _ = await recv_until(socket_, lambda f: f["type"] == "state")
    await socket_.send(json.dumps({"type": "ping"}))
    await recv_until(socket_, lambda f: f["type"] == "pong")
    agent = await harness.agent()
    agent_socket = await harness.ws_agent(agent)
    await agent_socket.send(
        json.dumps({"type": "sync", "conversation_id": customer.conversation_id, "last_seq": BIG * 4})
    )
    error, _ = await recv_until(agent_socket, lambda f: f["type"] == "error")
    assert error["code"] == "number_out_of_range"
    await agent_socket.send(json.dumps({"type": "ping"}))
    await recv_until(agent_socket, lambda f: f["type"] == "pong")


# ---- 7. resume beyond the real last seq ---------------------------------------------------------------


@pytest.mark.bridge_settings(auto_assign=False)
async def test_resume_beyond_the_real_last_seq_still_delivers_live_messages(harness):
    customer = await harness.customer()
    await harness.say(customer, "你好")
    agent = await harness.agent()
    await assigned(harness, customer, agent)
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 2**40}))  # far beyond the real last seq
    await recv_until(socket_, lambda f: f["type"] == "state")
    await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/messages",
        json={"text": "您好，我来帮您看看", "client_msg_id": "live-1"},
    )
    frame, _ = await recv_until(socket_, lambda f: f["type"] == "message" and f["sender"] == "agent")
    assert frame["text"] == "您好，我来帮您看看"
    last = (await harness.history(customer))["messages"][-1]
    assert frame["seq"] == last["seq"]
    # the agent console's sync clamps the same way
    agent_socket = await harness.ws_agent(agent)
    await agent_socket.send(
        json.dumps({"type": "sync", "conversation_id": customer.conversation_id, "last_seq": 10**12})
    )
    await agent_socket.send(json.dumps({"type": "ping"}))
    await recv_until(agent_socket, lambda f: f["type"] == "pong")
    await harness.say(customer, "好的谢谢")
    frame, _ = await recv_until(agent_socket, lambda f: f["type"] == "message" and f["sender"] == "customer")
    assert frame["text"] == "好的谢谢"


# ---- 11. typing frames ------------------------------------------------------------------------------


@pytest.mark.bridge_settings(auto_assign=False)
async def test_typing_frames_are_throttled_per_socket(harness):
    customer = await harness.customer()
    agent = await harness.agent()
    await assigned(harness, customer, agent)
    service = harness.bridge.conversations
    reads = []
    original = service.typing

    async def counting(conversation_id):
        reads.append(conversation_id)
        await original(conversation_id)

    service.typing = counting
    try:
        agent_socket = await harness.ws_agent(agent)
        await agent_socket.send(json.dumps({"type": "hello"}))
        await recv_until(agent_socket, lambda f: f["type"] == "snapshot")
        socket_ = await harness.ws_customer(customer)
        await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
        await recv_until(socket_, lambda f: f["type"] == "state")
        for _ in range(500):
            await socket_.send('{"type": "typing"}')
        await socket_.send(json.dumps({"type": "ping"}))
        await recv_until(socket_, lambda f: f["type"] == "pong", timeout=20)
        await asyncio.sleep(0.3)
        seen = []
        while True:
            try:
                seen.append(await recv_json(agent_socket, timeout=0.3))
            except asyncio.TimeoutError:
                break
        typing = [f for f in seen if f["type"] == "typing" and f["sender"] == "customer"]
        assert 1 <= len(typing) <= 2 and 1 <= len(reads) <= 2, (len(typing), len(reads))
        await asyncio.sleep(1.05)
        await socket_.send('{"type": "typing"}')  # a second later: goes on again
        await recv_until(agent_socket, lambda f: f["type"] == "typing", timeout=5)
        # the agent's typing is throttled on its socket too
        for _ in range(200):
            await agent_socket.send(json.dumps({"type": "typing", "conversation_id": customer.conversation_id}))
        await agent_socket.send(json.dumps({"type": "ping"}))
        await recv_until(agent_socket, lambda f: f["type"] == "pong", timeout=20)
        await asyncio.sleep(0.3)
        customer_seen = []
        while True:
            try:
                customer_seen.append(await recv_json(socket_, timeout=0.3))
            except asyncio.TimeoutError:
                break
        assert 1 <= sum(1 for f in customer_seen if f["type"] == "typing") <= 2
    finally:
        service.typing = original


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
