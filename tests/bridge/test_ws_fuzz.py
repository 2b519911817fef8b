"""A WebSocket fuzz of the customer and agent sockets (issue 13), on SQLite and PostgreSQL: real
`websockets` clients on loopback send malformed frames — not JSON, binary, wrong types, huge,
deeply nested, lone surrogates, unknown types, bad last_seq, bad fields — interleaved with valid
ones. Every bad frame is answered with exactly one error frame, the socket never dies (a ping is
still answered at the end), and every valid message sent after the garbage is acknowledged and
stored exactly once.

Bounded and deterministic: ROUNDS frames per socket from random.Random(SEED), the whole run of a
socket within RUN_SECONDS."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import recv_json, recv_until

pytestmark = pytest.mark.asyncio

SEED = 20261206
ROUNDS = 150  # bad frames per socket
VALID_EVERY = 5  # a valid message after every few bad frames
RUN_SECONDS = 60
FRAME_SECONDS = 5.0


def junk_text(rng: random.Random, size: int) -> str:
    alphabet = '{}[]":,\\ abc123\u4e2d\u6587\U0001f600\x00\x1f\ufffd'
    return "".join(rng.choice(alphabet) for _ in range(size))


def common_bad_frames(rng: random.Random) -> list[Callable[[], tuple[str | bytes, str | None]]]:
    """Frames every socket must refuse: (what to send, the error code expected or None for any)."""
    deep = rng.randint(40, 6000)
    return [
        lambda: ("{" + junk_text(rng, rng.randint(0, 40)), "invalid_json"),  # not JSON
        lambda: ("hello", "invalid_json"),
        lambda: ("", "invalid_json"),
        lambda: ("NaN", "invalid_json"),
        lambda: ('{"type": "ping", "n": Infinity}', "invalid_json"),
        lambda: (bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))), "invalid_frame"),  # binary
        lambda: (json.dumps(rng.choice([1, "message", [1, 2], None, True, 2.5])), "invalid_frame"),
        lambda: (json.dumps({}), "invalid_frame"),  # no type
        lambda: (json.dumps({"type": rng.choice([5, None, ["message"], {"t": 1}, True])}), "invalid_frame"),
        lambda: (json.dumps({"type": junk_text(rng, rng.randint(1, 12)) + "_x"}), "unknown_frame"),
        lambda: (json.dumps({"type": "\ud800\udfff\ud800"}), "unknown_frame"),  # lone surrogates
        lambda: (
            json.dumps({"type": "message", "text": "啊" * rng.randint(17000, 21000)}, ensure_ascii=False),
            "invalid_frame",
        ),  # huge, < 64 KiB
        lambda: ("[" * deep + "]" * deep, "json_too_deep"),  # deep
        lambda: (json.dumps({"type": "ping", "x": _nested(rng.randint(33, 200))}), "json_too_deep"),
        lambda: (json.dumps({"type": "ping", "n": 2 ** rng.randint(64, 300)}), "number_out_of_range"),
    ]


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


async def answer_to(socket_, sent: str | bytes) -> dict[str, Any]:
    """Send one bad frame; the error frame it got (other frames, live messages, are skipped)."""
    await socket_.send(sent)
    frame, _ = await recv_until(socket_, lambda f: f["type"] in ("error", "ack"), timeout=FRAME_SECONDS)
    return frame


async def ack_of(socket_, frame: dict[str, Any]) -> dict[str, Any]:
    """Send a message frame; the ack (or error frame) that answers its client_msg_id."""
    await socket_.send(json.dumps(frame))
    answer, _ = await recv_until(
        socket_,
        lambda f: f["type"] in ("ack", "error") and f.get("client_msg_id") == frame["client_msg_id"],
        timeout=FRAME_SECONDS,
    )
    return answer


async def still_alive(socket_) -> list[dict[str, Any]]:
    """A ping is answered: the frames that came before the pong (none may be an error)."""
    await socket_.send(json.dumps({"type": "ping"}))
    _, frames = await recv_until(socket_, lambda f: f["type"] == "pong", timeout=FRAME_SECONDS)
    return frames[:-1]


async def fuzz(socket_, bad_frames, send_valid, rng: random.Random) -> tuple[int, list[str]]:
    """ROUNDS bad frames in a seeded order, a valid message after every VALID_EVERY; returns the
    number of bad frames sent and the client_msg_ids of the valid ones (each acknowledged)."""
    valid_ids: list[str] = []
    for round_ in range(ROUNDS):
        sent, code = rng.choice(bad_frames)()
        frame = await answer_to(socket_, sent)
        shown = sent[:80] if isinstance(sent, str) else f"<{len(sent)} bytes>"
        assert frame["type"] == "error", f"round {round_}: {shown!r} got {frame}"
        if code is not None:
            assert frame["code"] == code, f"round {round_}: {shown!r} got {frame}"
        assert isinstance(frame.get("message"), str) and frame["message"], frame
        if round_ % VALID_EVERY == VALID_EVERY - 1:
            valid_ids.append(await send_valid(f"fuzz-{round_}"))
    assert not [f for f in await still_alive(socket_) if f["type"] == "error"], "an error frame too many"
    return ROUNDS, valid_ids


async def test_customer_socket_answers_every_bad_frame_and_keeps_working(harness):
    rng = random.Random(SEED)
    customer = await harness.customer()
    await harness.say(customer, "你好")
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    await recv_until(socket_, lambda f: f["type"] == "state")

    bad = common_bad_frames(rng) + [
        lambda: (
            json.dumps({"type": "hello", "last_seq": rng.choice(["7", -1, 1.5, None, True, {"x": 1}])}),
            "invalid_last_seq",
        ),
        lambda: (json.dumps({"type": "message", "text": rng.choice([123, None, ["hi"], {"t": "hi"}])}), "invalid_text"),
        lambda: (json.dumps({"type": "message", "text": rng.choice(["", "   ", "\u0000\u0001"])}), "empty_message"),
        lambda: (json.dumps({"type": "message", "text": "x" * 2001}), "message_too_large"),
        lambda: (
            json.dumps({"type": "message", "text": "你好", "client_msg_id": rng.choice([5, "", "y" * 65])}),
            "invalid_client_msg_id",
        ),
        lambda: (
            json.dumps({"type": "message", "text": "你好", "payload": '/order_status{"order_id":"1"}'}),
            "payload_not_offered",
        ),
        lambda: (json.dumps({"type": "rating", "score": rng.choice(["abc", 0, 6, None, 2.5])}), "invalid_score"),
        lambda: (json.dumps({"type": "rating", "score": 5}), "nothing_to_rate"),
        lambda: (json.dumps({"type": "cancel_wait"}), "not_queued"),
    ]

    async def send_valid(client_msg_id: str) -> str:
        text = f"我的快递到哪了 {client_msg_id} \ud83d\ude00"
        ack = await ack_of(socket_, {"type": "message", "text": text, "client_msg_id": client_msg_id})
        assert ack["type"] == "ack" and ack["seq"] > 0, ack
        return client_msg_id

    async with asyncio.timeout(RUN_SECONDS):
        sent, valid_ids = await fuzz(socket_, bad, send_valid, rng)
        # a lone surrogate in a valid message is replaced (U+FFFD), acknowledged and stored
        ack = await ack_of(socket_, {"type": "message", "text": "坏字符\ud800结束", "client_msg_id": "surrogate"})
        assert ack["type"] == "ack", ack

    stored = [m for m in (await harness.history(customer))["messages"] if m["sender"] == "customer"]
    by_id = {m.get("client_msg_id"): m for m in stored}
    assert len(valid_ids) == sent // VALID_EVERY
    assert all(by_id[i]["text"] == f"我的快递到哪了 {i} \U0001f600" for i in valid_ids)
    assert by_id["surrogate"]["text"] == "坏字符\ufffd结束"
    # nothing else from the fuzz was stored: the first 你好, the valid ones, the surrogate one
    assert len(stored) == 1 + len(valid_ids) + 1
    assert socket_.close_code is None


@pytest.mark.bridge_settings(auto_assign=False)
async def test_agent_socket_answers_every_bad_frame_and_keeps_working(harness):
    rng = random.Random(SEED + 1)
    agent = await harness.agent("fuzz-agent")
    someone = await harness.agent("fuzz-someone")
    mine = await harness.customer()
    await harness.say(mine, "转人工")
    await harness.agent_call(agent, "POST", f"/conversations/{mine.conversation_id}/accept")
    theirs = await harness.customer()
    await harness.say(theirs, "转人工")
    await harness.agent_call(someone, "POST", f"/conversations/{theirs.conversation_id}/accept")
    socket_ = await harness.ws_agent(agent)
    await socket_.send(json.dumps({"type": "hello"}))
    await recv_until(socket_, lambda f: f["type"] == "snapshot")
    own, other = mine.conversation_id, theirs.conversation_id

    bad = common_bad_frames(rng) + [
        lambda: (
            json.dumps({"type": "sync", "conversation_id": own, "last_seq": rng.choice(["7", -1, 1.5, None, True])}),
            "invalid_last_seq",
        ),
        lambda: (
            json.dumps(
                {"type": rng.choice(["sync", "message", "typing"]), "conversation_id": rng.choice([None, "", 5, ["x"]])}
            ),
            "missing_conversation_id",
        ),
        lambda: (json.dumps({"type": "sync", "conversation_id": other, "last_seq": 0}), "not_your_conversation"),
        lambda: (json.dumps({"type": "sync", "conversation_id": "f" * 32, "last_seq": 0}), "not_found"),
        lambda: (json.dumps({"type": "message", "conversation_id": other, "text": "我来了"}), "not_your_conversation"),
        lambda: (
            json.dumps({"type": "message", "conversation_id": own, "text": rng.choice([5, None, ["x"]])}),
            "invalid_text",
        ),
        lambda: (
            json.dumps({"type": "message", "conversation_id": own, "text": "好", "client_msg_id": 7}),
            "invalid_client_msg_id",
        ),
    ]

    async def send_valid(client_msg_id: str) -> str:
        ack = await ack_of(
            socket_,
            {
                "type": "message",
                "conversation_id": own,
                "text": f"您好 {client_msg_id}",
                "client_msg_id": client_msg_id,
            },
        )
        assert ack["type"] == "ack" and ack["seq"] > 0, ack
        return client_msg_id

    async with asyncio.timeout(RUN_SECONDS):
        sent, valid_ids = await fuzz(socket_, bad, send_valid, rng)
        # the refused syncs sent nothing of the other agent's chat
        await socket_.send(json.dumps({"type": "sync", "conversation_id": own, "last_seq": 0}))
        frames = await still_alive(socket_)
    assert not [f for f in frames if f.get("conversation_id") == other and f["type"] == "message"]
    replayed = [f["text"] for f in frames if f["type"] == "message" and f["sender"] == "agent"]
    assert replayed == [f"您好 {i}" for i in valid_ids]

    stored = (await harness.agent_call(agent, "GET", f"/conversations/{own}")).json()["messages"]
    assert [m["text"] for m in stored if m["sender"] == "agent"] == [f"您好 {i}" for i in valid_ids]
    assert len(valid_ids) == sent // VALID_EVERY
    theirs_stored = (await harness.agent_call(someone, "GET", f"/conversations/{other}")).json()["messages"]
    assert not [m for m in theirs_stored if m["sender"] == "agent"]  # nothing reached the other chat
    assert socket_.close_code is None


async def test_a_frame_beyond_the_socket_limit_closes_with_a_reason_and_resume_works(harness):
    """Above 64 KiB the WebSocket layer itself refuses the frame: the socket is closed with 1009
    (message too big), never silently; the client reconnects, resumes by seq, and is acknowledged."""
    import websockets

    customer = await harness.customer()
    await harness.say(customer, "你好")
    socket_ = await harness.ws_customer(customer)
    await socket_.send(json.dumps({"type": "hello", "last_seq": 0}))
    await recv_until(socket_, lambda f: f["type"] == "state")
    await socket_.send(json.dumps({"type": "message", "text": "x" * 70_000}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await recv_json(socket_, timeout=FRAME_SECONDS)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

    again = await harness.ws_customer(customer)
    await again.send(json.dumps({"type": "hello", "last_seq": 0}))
    _, replayed = await recv_until(again, lambda f: f["type"] == "state")
    assert [f["text"] for f in replayed if f["type"] == "message"][0] == "你好"
    await again.send(json.dumps({"type": "message", "text": "还在吗", "client_msg_id": "after-1009"}))
    ack, _ = await recv_until(again, lambda f: f["type"] == "ack" and f["client_msg_id"] == "after-1009")
    assert ack["seq"] > 0
