"""Reading is scoped and customer tokens expire (issue 13, item 13), on SQLite and PostgreSQL.

* An agent reads queue items and their own chats (assigned to them now, or handled by them
  before); another agent's live chat, a bot-only conversation or a made-up id is 403/404 on every
  reading route: the transcript (`GET /api/agent/conversations/{id}`, with or without `?after=`)
  and the agent socket's `sync`. A lead reads everything.
* A customer token stops working after JIELI_CUSTOMER_IDLE_HOURS without activity: 401
  `conversation_expired` on every customer route, the socket handshake and an open socket's
  frames; activity keeps it alive; nothing stored is lost.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from .conftest import PASSWORD, AgentClient, recv_json, recv_until, wait_for

pytestmark = pytest.mark.asyncio

UNKNOWN = "0123456789abcdef0123456789abcdef"


async def agent_with_roles(harness, username: str, roles: list[str]) -> AgentClient:
    created = await harness.bridge.agents.create(username, PASSWORD, roles=roles)
    response = await harness.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return AgentClient(username, response.json()["token"], created.id)


async def read_status(harness, agent, conversation_id: str) -> set[int]:
    """The status of every HTTP reading route for this conversation (a set: they must agree)."""
    statuses = set()
    for params in ({}, {"after": 0}, {"after": 2}):
        response = await harness.agent_call(
            agent, "GET", f"/conversations/{conversation_id}", expect=None, params=params
        )
        if response.status_code != 200:
            body = response.json()["error"]
            assert body["code"] in ("not_your_conversation", "not_found"), body
            assert "转人工" not in response.text and "hello" not in response.text  # nothing of the chat
        statuses.add(response.status_code)
    return statuses


async def sync(socket_, conversation_id: str) -> tuple[list[dict], dict | None]:
    """Send sync and read until a pong: the message frames replayed and any error frame."""
    await socket_.send(json.dumps({"type": "sync", "conversation_id": conversation_id, "last_seq": 0}))
    await socket_.send(json.dumps({"type": "ping"}))
    _, frames = await recv_until(socket_, lambda f: f["type"] == "pong")
    messages = [f for f in frames if f["type"] == "message" and f.get("conversation_id") == conversation_id]
    errors = [f for f in frames if f["type"] == "error"]
    return messages, (errors[0] if errors else None)


@pytest.mark.bridge_settings(auto_assign=False)
async def test_agents_read_the_queue_and_their_own_chats_leads_read_all(harness):
    mine = await harness.agent("scope-mine")
    other = await harness.agent("scope-other")
    lead = await agent_with_roles(harness, "scope-lead", ["agent", "lead"])
    designer = await agent_with_roles(harness, "scope-designer", ["designer"])

    bot_only = await harness.customer()
    await harness.say(bot_only, "hello 我的快递到哪了")
    waiting = await harness.customer()
    await harness.say(waiting, "转人工")
    cid = waiting.conversation_id

    # a bot-only conversation: no agent's (not even a designer's without a review candidate), a lead's
    for reader in (mine, other, designer):
        assert await read_status(harness, reader, bot_only.conversation_id) == {403}
    assert await read_status(harness, lead, bot_only.conversation_id) == {200}
    # made-up and unknown ids: 404 for everyone, the lead too
    for reader in (mine, lead):
        for made_up in (UNKNOWN, "x" * 40, "0" * 32, "%2e%2e"):
            assert await read_status(harness, reader, made_up) == {404}

    # a queue item: every agent may look before taking it
    assert await read_status(harness, mine, cid) == {200}
    assert await read_status(harness, other, cid) == {200}

    # taken by `mine`: another agent's live chat is closed to `other`, on HTTP and on the socket
    await harness.agent_call(mine, "POST", f"/conversations/{cid}/accept")
    await harness.agent_call(
        mine, "POST", f"/conversations/{cid}/messages", json={"text": "您好，我来帮您看看", "client_msg_id": "scope-a1"}
    )
    assert await read_status(harness, mine, cid) == {200}
    assert await read_status(harness, other, cid) == {403}
    assert await read_status(harness, lead, cid) == {200}

    other_socket = await harness.ws_agent(other)
    mine_socket = await harness.ws_agent(mine)
    lead_socket = await harness.ws_agent(lead)
    messages, error = await sync(other_socket, cid)
    assert messages == [] and error["code"] == "not_your_conversation"
    messages, error = await sync(other_socket, bot_only.conversation_id)
    assert messages == [] and error["code"] == "not_your_conversation"
    messages, error = await sync(other_socket, UNKNOWN)
    assert messages == [] and error["code"] == "not_found"
    messages, error = await sync(mine_socket, cid)
    assert error is None and [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert any(m["text"] == "您好，我来帮您看看" for m in messages)
    messages, error = await sync(lead_socket, bot_only.conversation_id)
    assert error is None and messages and messages[0]["text"] == "hello 我的快递到哪了"
    # the refused socket still works: a sync of its own is answered afterwards
    await other_socket.send(json.dumps({"type": "ping"}))
    assert (await recv_until(other_socket, lambda f: f["type"] == "pong"))[0]["type"] == "pong"

    # closed and back with the bot: still `mine`'s chat to read (they handled it), not `other`'s
    await harness.agent_call(mine, "POST", f"/conversations/{cid}/close", json={"return_to_bot": True})
    assert await read_status(harness, mine, cid) == {200}
    assert await read_status(harness, other, cid) == {403}

    # transferred: the agent who passed it on and the one who got it may read it; a third may not
    third = await harness.customer()
    await harness.say(third, "转人工")
    await harness.agent_call(other, "POST", f"/conversations/{third.conversation_id}/accept")
    await harness.agent_call(
        other, "POST", f"/conversations/{third.conversation_id}/transfer", json={"agent": mine.username}
    )
    assert await read_status(harness, other, third.conversation_id) == {200}
    assert await read_status(harness, mine, third.conversation_id) == {200}
    outsider = await harness.agent("scope-outsider")
    assert await read_status(harness, outsider, third.conversation_id) == {403}


# ---- customer tokens expire after an idle time ----------------------------------------------------

IDLE_HOURS = 0.001  # 3.6 s
IDLE_SECONDS = IDLE_HOURS * 3600


def assert_expired(response) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "conversation_expired"
    assert "会话已过期" in error["message"]


@pytest.mark.bridge_settings(customer_idle_hours=IDLE_HOURS)
async def test_a_customer_token_expires_after_the_idle_time_and_nothing_is_lost(harness):
    customer = await harness.customer()
    started = time.monotonic()
    first = await harness.say(customer, "你好")
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    await recv_until(socket_, lambda f: f["type"] == "state")

    # activity keeps it alive: a message just before the idle time runs out starts it again
    await asyncio.sleep(IDLE_SECONDS * 0.6 - (time.monotonic() - started))
    await harness.say(customer, "还在吗")
    active = time.monotonic()
    await asyncio.sleep(IDLE_SECONDS * 0.6)  # longer than the idle time since the start
    assert (await harness.http.get(customer.base, headers=customer.headers)).status_code == 200
    before = (await harness.history(customer))["messages"]
    assert len(before) >= len(first["messages"]) + 1

    # idle for longer than the idle time: every customer route says conversation_expired
    await asyncio.sleep(IDLE_SECONDS + 0.3 - (time.monotonic() - active))
    http, headers, base = harness.http, customer.headers, customer.base
    assert_expired(await http.get(base, headers=headers))
    assert_expired(await http.get(f"{base}/messages", headers=headers, params={"after": 0}))
    assert_expired(await http.post(f"{base}/messages", headers=headers, json={"text": "在吗", "client_msg_id": "x1"}))
    assert_expired(await http.post(f"{base}/typing", headers=headers))
    assert_expired(await http.post(f"{base}/cancel-wait", headers=headers))
    assert_expired(
        await http.post(f"{base}/ticket", headers=headers, json={"message": "回电", "contact": "13800000000"})
    )
    assert_expired(await http.post(f"{base}/rating", headers=headers, json={"score": 5}))
    # a wrong token learns nothing (404 as before), no token is 401 unauthorized
    wrong = await http.get(base, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 404
    assert (await http.get(base)).json()["error"]["code"] == "unauthorized"

    # the socket: the handshake is refused with 401, an open socket answers its frames with
    # conversation_expired error frames and stays open
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            f"{harness.ws_url}/ws/customer?conversation_id={customer.conversation_id}&token={customer.token}",
            origin="http://shop.test",
            open_timeout=5,
        )
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["error"]["code"] == "conversation_expired"
    await socket_.send(json.dumps({"type": "message", "text": "还在吗？", "client_msg_id": "ws-late"}))
    frame = await recv_until(socket_, lambda f: f["type"] == "error")
    assert frame[0]["code"] == "conversation_expired" and frame[0]["client_msg_id"] == "ws-late"
    await socket_.send(json.dumps({"type": "ping"}))
    assert (await recv_json(socket_))["type"] == "pong"

    # nothing stored was lost or added: the lead still reads the whole conversation
    lead = await agent_with_roles(harness, "expiry-lead", ["lead"])
    stored = (await harness.agent_call(lead, "GET", f"/conversations/{customer.conversation_id}")).json()
    assert [m["seq"] for m in stored["messages"]] == [m["seq"] for m in before]
    assert [m["text"] for m in stored["messages"]] == [m["text"] for m in before]

    # and the customer starts again: a new conversation works at once
    fresh = await harness.customer()
    assert (await harness.say(fresh, "你好"))["state"] == "bot"


@pytest.mark.bridge_settings(agent_grace_seconds=1, heartbeat_timeout_seconds=60)
async def test_an_agent_keeps_reading_a_chat_they_were_assigned_after_it_moved_on(harness):
    """Assigned automatically (actor `system`), dropped, requeued and taken by someone else: the
    first agent served the customer and may still read it; an agent who never did may not."""
    first = await harness.agent("scope-dropped")
    customer = await harness.customer()
    await harness.handover(customer)
    cid = customer.conversation_id

    async def state() -> str:
        return (await harness.history(customer, after=10**9))["state"]

    await wait_for(lambda: _equals(state(), "assigned"), message="auto-assigned")
    await harness.agent_call(
        first, "POST", f"/conversations/{cid}/messages", json={"text": "您好，我看一下", "client_msg_id": "drop-1"}
    )
    await harness.presence(first, "offline")  # gone: after the grace the chat is requeued
    await wait_for(lambda: _equals(state(), "queued"), timeout=8, message="requeued after the grace")
    second = await harness.agent("scope-second", online=False)
    await harness.presence(second, "online")
    await harness.agent_call(second, "POST", f"/conversations/{cid}/accept", expect=None)
    await wait_for(lambda: _equals(state(), "assigned"), message="taken by the second agent")
    outsider = await harness.agent("scope-never", online=False)
    assert await read_status(harness, second, cid) == {200}
    assert await read_status(harness, first, cid) == {200}
    assert await read_status(harness, outsider, cid) == {403}


async def _equals(value, expected) -> bool:
    return (await value) == expected
