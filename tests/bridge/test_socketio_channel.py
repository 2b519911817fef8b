"""The rasa-webchat drop-in (/socket.io): python-socketio's AsyncClient, speaking what
rasa-webchat 1.0.1 speaks, against a real bridge and the fake Rasa, on SQLite and PostgreSQL.
Sessions, bot turns with rasa-webchat's exact shapes, handover and an agent's reply, the rating,
reconnecting without losing or doubling anything, Origin, bad events and rate limits."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import pytest
import pytest_asyncio
import socketio

from handover_bridge.services.customer.rasa_webchat import RasaWebchat, escape_markdown

from .conftest import ORIGIN, Customer, wait_for

pytestmark = pytest.mark.asyncio


def plain(text: str) -> str:
    """Text as rasa-webchat shows it: the bridge escapes Markdown punctuation."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


class Webchat:
    """A rasa-webchat stand-in: the events it sends, everything it receives."""

    def __init__(self, harness, transport: str = "websocket"):
        self.harness = harness
        self.transport = transport
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.session_id: str | None = None
        for name in ("session_confirm", "bot_uttered", "error"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name):
        async def record(data=None):
            self.events.append((name, data))
            if name == "session_confirm":
                self.session_id = data

        return record

    async def connect(self, origin: str | None = ORIGIN) -> None:
        headers = {"Origin": origin} if origin else {}
        await self.client.connect(
            self.harness.url, headers=headers, socketio_path="/socket.io", transports=[self.transport], wait_timeout=5
        )

    async def session(self, session_id: str | None = None) -> str:
        before = self.count("session_confirm")
        await self.client.emit("session_request", {"session_id": session_id})
        await wait_for(lambda: self.count("session_confirm") > before, message="session_confirm")
        return self.session_id

    async def say(self, text: Any, custom_data: Any = None) -> None:
        await self.client.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, "customData": custom_data}
        )

    def count(self, name: str) -> int:
        return sum(1 for event, _ in self.events if event == name)

    def said(self) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == "bot_uttered"]

    def texts(self) -> list[str]:
        return [plain(data["text"]) for data in self.said() if "text" in data]

    def errors(self) -> list[str]:
        return [data["error"]["code"] for event, data in self.events if event == "error"]

    async def wait_text(self, predicate, message: str = "bot_uttered") -> dict[str, Any]:
        def found():
            return next(
                (d for d in self.said() if isinstance(d.get("text"), str) and predicate(plain(d["text"]))), None
            )

        return await wait_for(found, timeout=8, message=message)

    async def close(self) -> None:
        await self.client.disconnect()


@pytest_asyncio.fixture
async def webchats(harness):
    made: list[Webchat] = []

    def make(transport: str = "websocket") -> Webchat:
        made.append(Webchat(harness, transport))
        return made[-1]

    yield make
    for chat in made:
        if chat.client.connected:
            await chat.close()


def conversation_of(harness, session_id: str) -> str:
    return session_id.split(".")[0]


async def stored_text(harness, conversation_id: str, text: str) -> bool:
    return any(m.text == text for m in await history(harness, conversation_id))


async def history(harness, conversation_id: str) -> list[Any]:
    _state, messages = await harness.bridge.conversations.history(conversation_id)
    return messages


async def test_bot_turn_with_rasa_webchats_exact_shapes(harness, webchats):
    chat = webchats()
    await chat.connect()
    session_id = await chat.session(None)
    cid = conversation_of(harness, session_id)
    assert harness.bridge.conversations and harness.app.ctx.webchat.webchat.conversation_of(session_id) == cid

    await chat.say("你好", {"language": "zh", "identity": {"verified": True, "customer_id": "vip-1"}})
    reply = await chat.wait_text(lambda t: t == "收到:你好")
    assert set(reply) == {"text", "metadata"}  # rasa-webchat renders {"text"}; metadata is read then removed
    assert reply["metadata"]["jieli"] == {"seq": 2, "sender": "bot"}

    await chat.say("按钮")
    buttons = await chat.wait_text(lambda t: t == "请选择:")
    assert set(buttons) == {"text", "quick_replies", "metadata"}
    assert buttons["quick_replies"] == [{"content_type": "text", "title": "查物流", "payload": "/order_status"}]
    await wait_for(lambda: any("custom" in d for d in chat.said()), message="custom payload")
    custom = next(d for d in chat.said() if "custom" in d)
    assert custom["custom"] == {"card": "order", "id": "1"} and set(custom) == {"custom", "metadata"}

    # a pressed quick reply (rasa-webchat sends its payload as the message) is that button ...
    await chat.say("/order_status")
    await chat.wait_text(lambda t: t == "收到:/order_status")
    # ... a typed "/" text that no button offered is text: Rasa gets it without the slash
    await chat.say("/request_human")
    await chat.wait_text(lambda t: t == "收到:request_human")

    messages = await history(harness, cid)
    customer = [m for m in messages if m.sender == "customer"]
    assert [m.text for m in customer] == ["你好", "按钮", "查物流", "/request_human"]
    assert customer[2].payload == {"type": "button", "payload": "/order_status"}
    assert customer[3].payload is None
    assert all(m.client_msg_id and m.client_msg_id.startswith("rw-") for m in customer)
    calls = harness.fake.calls_for(cid)
    assert calls == {"你好": 1, "按钮": 1, "/order_status": 1, "request_human": 1}  # each once
    view = await harness.bridge.conversations.view(cid)
    meta = view["metadata"]
    assert view["channel"] == "rasa_webchat"  # the conversation's channel: the agent's card says 网页
    assert meta["custom_data"]["language"] == "zh"
    # customData is a claim, never identity: the conversation stays anonymous
    assert meta["identity"]["verified"] is False
    assert harness.fake.webhook_calls[0]["metadata"].get("jieli_identity") is None
    assert chat.errors() == []


@pytest.mark.bridge_settings(auto_assign=False, heartbeat_timeout_seconds=600, agent_grace_seconds=600)
async def test_handover_agent_reply_rating_and_a_new_conversation_after_the_end(harness, webchats):
    chat = webchats()
    await chat.connect()
    session_id = await chat.session()
    cid = conversation_of(harness, session_id)
    agent = await harness.agent("agent-rw")
    await chat.say("我要转人工")
    await chat.wait_text(lambda t: "正在为您转接人工客服" in t, "the queue notice")

    await harness.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    await chat.wait_text(lambda t: t.startswith("客服"), "agent joined")
    await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{cid}/messages",
        json={"text": "您好 [点我](javascript:alert(1))", "client_msg_id": "a1"},
    )
    reply = await chat.wait_text(lambda t: t.startswith("人工客服"), "the agent's reply")
    # shown as typed: Markdown punctuation escaped (no link, no emphasis) and the agent named
    assert reply["text"] == escape_markdown("人工客服 客服rw：您好 [点我](javascript:alert(1))")
    assert reply["metadata"]["jieli"]["sender"] == "agent"

    await chat.say("谢谢")  # to the agent only: the bot stays silent
    await wait_for(lambda: stored_text(harness, cid, "谢谢"), message="the message to the agent")
    await harness.agent_call(agent, "POST", f"/conversations/{cid}/close", json={"return_to_bot": False})
    rating = await chat.wait_text(lambda t: "打分" in t, "the rating question")
    assert [q["payload"] for q in rating["quick_replies"]] == ["1", "2", "3", "4", "5"]
    await chat.say("5")
    await chat.wait_text(lambda t: t == "感谢您的评价！", "thanks")
    assert "谢谢" not in harness.fake.calls_for(cid) and "5" not in harness.fake.calls_for(cid)
    async with harness.bridge.ctx.db.read() as session:
        from handover_bridge.repositories import handovers as handovers_repo

        handover = await handovers_repo.latest_closed(session, cid)
    assert handover.rating == 5

    # the conversation has ended: the customer's next message starts a new one, told to the client
    await chat.say("还有一个问题")
    await wait_for(lambda: chat.count("session_confirm") == 2, message="a new session")
    new_cid = conversation_of(harness, chat.session_id)
    assert new_cid != cid
    await chat.wait_text(lambda t: t == "收到:还有一个问题")
    assert harness.fake.calls_for(new_cid) == {"还有一个问题": 1}
    assert chat.errors() == []


@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.bridge_settings(auto_assign=False, heartbeat_timeout_seconds=600, agent_grace_seconds=600)
async def test_reconnect_gets_what_it_missed_once(harness, webchats, transport):
    chat = webchats(transport)
    await chat.connect()
    session_id = await chat.session()
    cid = conversation_of(harness, session_id)
    await chat.say("一")
    await chat.wait_text(lambda t: t == "收到:一")
    agent = await harness.agent("agent-back")
    await chat.say("转人工")
    await chat.wait_text(lambda t: "正在为您转接人工客服" in t)
    await harness.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    await chat.wait_text(lambda t: t.startswith("客服"))
    seen_before = [d["metadata"]["jieli"]["seq"] for d in chat.said()]
    await chat.close()

    for n in range(3):  # while the page is away
        await harness.agent_call(
            agent, "POST", f"/conversations/{cid}/messages", json={"text": f"离线消息{n}", "client_msg_id": f"o{n}"}
        )

    again = webchats(transport)
    await again.connect()
    assert await again.session(session_id) == session_id  # the same conversation
    await wait_for(lambda: len(again.said()) >= 3, message="the missed messages")
    await asyncio.sleep(0.3)
    assert again.texts() == [f"人工客服 客服ck：离线消息{n}" for n in range(3)]
    replayed = [d["metadata"]["jieli"]["seq"] for d in again.said()]
    assert not set(replayed) & set(seen_before)
    await again.close()

    # nothing was missed this time: a reload gets nothing again; live messages still arrive
    third = webchats(transport)
    await third.connect()
    await third.session(session_id)
    await harness.agent_call(
        agent, "POST", f"/conversations/{cid}/messages", json={"text": "在吗", "client_msg_id": "x"}
    )
    await third.wait_text(lambda t: t.endswith("在吗"))
    await asyncio.sleep(0.3)
    assert len(third.said()) == 1
    assert third.errors() == []


@pytest.mark.bridge_settings(auto_assign=False, heartbeat_timeout_seconds=600, agent_grace_seconds=600)
async def test_forged_unknown_and_closed_sessions_start_a_new_conversation(harness, webchats):
    chat = webchats()
    await chat.connect()
    real = await chat.session()
    cid = conversation_of(harness, real)
    forged = cid + "." + "A" * 32
    other = RasaWebchat("another-secret-" + "x" * 40, harness.bridge.conversations).session_id_for(cid)
    for bad in (forged, other, "nonsense", "", 42):
        got = await chat.session(bad)
        assert got not in (real, bad) and conversation_of(harness, got) != cid
    assert await chat.session(real) == real  # the real one still resumes

    agent = await harness.agent("agent-end")
    await harness.handover(Customer(cid, ""))
    await harness.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    await harness.agent_call(agent, "POST", f"/conversations/{cid}/close", json={"return_to_bot": False})
    assert (await harness.bridge.conversations.view(cid))["state"] == "closed"
    assert await chat.session(real) != real  # a closed conversation is not resumed


@pytest.mark.bridge_settings(customer_idle_hours=0.0005)  # 1.8 s
async def test_an_expired_session_starts_a_new_conversation(harness, webchats):
    chat = webchats()
    await chat.connect()
    real = await chat.session()
    await asyncio.sleep(2.0)
    assert await chat.session(real) != real


async def test_origin_is_checked_on_the_handshake(harness, webchats):
    for transport in ("websocket", "polling"):
        for origin in ("http://evil.test", None):
            chat = webchats(transport)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await chat.connect(origin)
            await chat.client.shutdown()
            assert chat.session_id is None
    assert harness.app.ctx.webchat.sockets == {}


async def test_bad_events_get_error_events_and_the_socket_goes_on(harness, webchats):
    chat = webchats()
    await chat.connect()
    await chat.client.emit("user_uttered", {"message": "还没有会话", "session_id": "x"})
    await wait_for(lambda: chat.errors() == ["unknown_session"], message="no session yet")
    await chat.client.emit("session_request", "not an object")
    await chat.session()
    await chat.client.emit("user_uttered", "just a string")
    await chat.client.emit("user_uttered", {"message": 42, "session_id": chat.session_id})
    await chat.client.emit("user_uttered", {"message": "   ", "session_id": chat.session_id})
    await chat.client.emit("user_uttered", {"message": "长" * 2001, "session_id": chat.session_id})
    await chat.client.emit("user_uttered", {"message": "hi", "session_id": "someone-else"})
    await chat.say("hi", custom_data="not an object")
    await chat.client.emit("made_up_event", {"x": 1})
    await chat.client.emit("user_uttered", {"message": None, "session_id": chat.session_id})  # start: ignored
    expected = [
        "unknown_session",
        "invalid_event",
        "invalid_event",
        "invalid_text",
        "empty_message",
        "message_too_large",
        "unknown_session",
        "invalid_metadata",
        "unknown_event",
    ]
    await wait_for(lambda: len(chat.errors()) >= len(expected), message="the error events")
    assert chat.errors() == expected
    await chat.say("还在")
    await chat.wait_text(lambda t: t == "收到:还在")
    # the customer is told in the chat about a message that was too long (409/413/429 only)
    assert "消息太长了" in "".join(chat.texts())


@pytest.mark.bridge_settings(rate_conversation_per_min=1, rate_conversation_burst=2)
async def test_messages_have_the_widgets_rate_limit(harness, webchats):
    chat = webchats()
    await chat.connect()
    await chat.session()
    for n in range(4):
        await chat.say(f"第{n}条")
    await wait_for(lambda: len(chat.errors()) >= 2, message="rate limited")
    assert chat.errors() == ["rate_limited", "rate_limited"]
    cid = conversation_of(harness, chat.session_id)
    assert [m.text for m in await history(harness, cid) if m.sender == "customer"] == ["第0条", "第1条"]
