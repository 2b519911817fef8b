"""Trust boundaries at the edge (issue 13, items 5, 6, 7 and 11): malformed input is a clear 4xx
(an error frame on a socket) and never a 500 or a dead socket, resume clamps a made-up last_seq,
and typing frames are throttled. On SQLite and PostgreSQL (the `store` fixture), through real
clients. Where customer text meets Rasa (items 4 and 12) is in test_trust_rasa.py."""

from __future__ import annotations

import asyncio
import json

import pytest

from .conftest import recv_json, recv_until
from .test_review import designer

pytestmark = pytest.mark.asyncio

BIG = 2**63  # one beyond the store's BIGINT


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
