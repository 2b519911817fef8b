"""WebSockets: resume after reconnect (nothing lost, nothing doubled), live relay both ways,
typing, agent_joined, queue frames, Origin checks, and slow clients being dropped."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from .conftest import recv_json, recv_until

pytestmark = pytest.mark.asyncio


def is_message(frame):
    return frame["type"] == "message"


async def collect_messages(socket_, count, timeout=5.0):
    messages = []
    while len(messages) < count:
        frame, _ = await recv_until(socket_, is_message, timeout)
        messages.append(frame)
    return messages


async def test_resume_after_reconnect_loses_and_doubles_nothing(harness):
    customer = await harness.customer()
    ws = await harness.ws_customer(customer)
    await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
    state, _ = await recv_until(ws, lambda f: f["type"] == "state")
    assert state["state"] == "bot"

    await ws.send(json.dumps({"type": "message", "text": "一", "client_msg_id": "w-1"}))
    ack, seen = await recv_until(ws, lambda f: f["type"] == "ack")
    assert ack["seq"] == 1 and ack["client_msg_id"] == "w-1"
    received = [f for f in seen if is_message(f)]
    received += await collect_messages(ws, 2 - len(received))
    await harness.say(customer, "二")  # over HTTP, seen live on the socket
    received += await collect_messages(ws, 2)
    assert [f["seq"] for f in received] == [1, 2, 3, 4]
    last = received[-1]["seq"]
    await ws.close()

    # while away: more messages
    await harness.say(customer, "三")
    await harness.say(customer, "四")

    ws = await harness.ws_customer(customer)
    await ws.send(json.dumps({"type": "hello", "last_seq": last}))
    replayed = await collect_messages(ws, 4)
    assert [f["seq"] for f in replayed] == [5, 6, 7, 8]
    assert [f["text"] for f in replayed] == ["三", "收到:三", "四", "收到:四"]
    await harness.say(customer, "五")
    live = await collect_messages(ws, 2)
    assert [f["seq"] for f in live] == [9, 10]
    with pytest.raises(asyncio.TimeoutError):  # and nothing doubled after that
        await recv_until(ws, is_message, timeout=0.5)

    # A retried WS send with the same client_msg_id: acked with the same seq, stored once.
    await ws.send(json.dumps({"type": "message", "text": "一", "client_msg_id": "w-1"}))
    ack, _ = await recv_until(ws, lambda f: f["type"] == "ack")
    assert ack["seq"] == 1
    assert len((await harness.history(customer))["messages"]) == 10


async def test_live_relay_typing_and_agent_joined(harness):
    customer = await harness.customer()
    ws = await harness.ws_customer(customer)
    await ws.send(json.dumps({"type": "hello", "last_seq": 0}))
    await recv_until(ws, lambda f: f["type"] == "state")
    await harness.handover(customer)
    queue, _ = await recv_until(ws, lambda f: f["type"] == "queue")
    assert queue["position"] == 1 and queue["eta_seconds"] is None

    agent = await harness.agent("agent-w1")
    agent_ws = await harness.ws_agent(agent)
    await agent_ws.send(json.dumps({"type": "hello"}))
    snapshot, _ = await recv_until(agent_ws, lambda f: f["type"] == "snapshot")
    assert snapshot["agent"]["username"] == "agent-w1"

    joined, seen = await recv_until(ws, lambda f: f["type"] == "agent_joined")
    assert joined["agent"]["display_name"] == "客服w1"
    assert any(f["type"] == "state" and f["state"] == "assigned" for f in seen)

    cid = customer.conversation_id
    await ws.send(json.dumps({"type": "typing"}))
    typing, _ = await recv_until(agent_ws, lambda f: f["type"] == "typing")
    assert typing == {"type": "typing", "conversation_id": cid, "sender": "customer"}
    await ws.send(json.dumps({"type": "message", "text": "<script>alert(1)</script>", "client_msg_id": "x"}))
    frame, _ = await recv_until(agent_ws, lambda f: is_message(f) and f["sender"] == "customer")
    assert frame["text"] == "<script>alert(1)</script>" and frame["conversation_id"] == cid

    await agent_ws.send(json.dumps({"type": "typing", "conversation_id": cid}))
    typing, _ = await recv_until(ws, lambda f: f["type"] == "typing")
    assert typing["sender"] == "agent"
    await agent_ws.send(json.dumps({"type": "message", "conversation_id": cid, "text": "您好", "client_msg_id": "a"}))
    ack, _ = await recv_until(agent_ws, lambda f: f["type"] == "ack")
    frame, _ = await recv_until(ws, lambda f: is_message(f) and f["sender"] == "agent")
    assert frame["text"] == "您好" and frame["seq"] == ack["seq"]

    # frames that make no sense get an error frame, the socket stays open
    await ws.send("not json")
    error, _ = await recv_until(ws, lambda f: f["type"] == "error")
    assert error["code"] == "invalid_json"
    await ws.send(json.dumps({"type": "ping"}))
    await recv_until(ws, lambda f: f["type"] == "pong")


@pytest.mark.parametrize("origin", ["http://evil.test", None])
async def test_websocket_origin_is_checked_on_every_handshake(harness, origin):
    customer = await harness.customer()
    agent = await harness.agent("agent-o1", online=False)
    for url in (
        f"{harness.ws_url}/ws/customer?conversation_id={customer.conversation_id}&token={customer.token}",
        f"{harness.ws_url}/ws/agent?token={agent.token}",
    ):
        with pytest.raises(websockets.InvalidStatus) as failure:
            await websockets.connect(url, origin=origin, open_timeout=5)
        assert failure.value.response.status_code == 403


async def test_websocket_handshake_needs_the_right_token(harness):
    customer = await harness.customer()
    other = await harness.customer()
    cases = [
        (f"conversation_id={customer.conversation_id}&token={other.token}", 404),
        (f"conversation_id={customer.conversation_id}", 401),
        (f"conversation_id={customer.conversation_id}&token=forged", 404),
    ]
    for query, status in cases:
        with pytest.raises(websockets.InvalidStatus) as failure:
            await websockets.connect(f"{harness.ws_url}/ws/customer?{query}", origin="http://shop.test", open_timeout=5)
        assert failure.value.response.status_code == status
    with pytest.raises(websockets.InvalidStatus) as failure:
        await websockets.connect(f"{harness.ws_url}/ws/agent?token={customer.token}", origin="http://shop.test")
    assert failure.value.response.status_code == 401


@pytest.mark.bridge_settings(ws_send_queue=16)
async def test_a_slow_client_is_dropped_without_slowing_others(harness):
    customer = await harness.customer()
    slow = await websockets.connect(
        f"{harness.ws_url}/ws/customer?conversation_id={customer.conversation_id}&token={customer.token}",
        origin="http://shop.test",
        max_queue=1,
    )
    harness.sockets.append(slow)
    await slow.send(json.dumps({"type": "hello", "last_seq": 0}))
    fast = await harness.ws_customer(customer)
    await fast.send(json.dumps({"type": "hello", "last_seq": 0}))
    await recv_until(fast, lambda f: f["type"] == "state")
    await asyncio.sleep(0.2)  # both sockets subscribed and past hello

    total, pad = 3000, "长" * 3000  # ~27 MB per socket: more than any socket buffer holds
    received = 0

    async def read_fast():
        nonlocal received
        while received < total:
            frame = await recv_json(fast, timeout=10)
            if frame.get("type") == "typing":
                received += 1

    reader = asyncio.create_task(read_fast())
    topic = (f"c:{customer.conversation_id}",)
    for i in range(total):
        await harness.bridge.ctx.publish([(topic, {"type": "typing", "sender": "agent", "n": i, "pad": pad})])
        if i % 8 == 7:  # bursts a healthy client keeps up with
            await asyncio.sleep(0.005)
    await asyncio.wait_for(reader, timeout=30)
    assert received == total  # the fast client got everything
    closed = await _drain_closed(slow, timeout=10)  # the slow one was dropped (it will resume by seq)
    assert closed == 1013
    assert harness.bridge.ctx.hub.subscriber_count() == 1


async def _drain_closed(socket_, timeout):
    try:
        async with asyncio.timeout(timeout):
            while True:
                await socket_.recv()
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
