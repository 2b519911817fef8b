"""The conversation state machine end to end: bot → queued → assigned → bot | closed, the
audit trail, and that nothing reaches Rasa while a person has the conversation."""

from __future__ import annotations

import pytest

from handover_bridge.repositories import conversations as conversations_repo

from .conftest import wait_for

pytestmark = pytest.mark.asyncio


async def audit(harness, customer) -> list[tuple[str | None, str]]:
    async with harness.bridge.ctx.db.read() as session:
        rows = await conversations_repo.audit_trail(session, customer.conversation_id)
    return [(row.from_state, row.to_state) for row in rows]


async def test_bot_turn_stores_replies_with_buttons_and_custom_payloads(harness):
    customer = await harness.customer({"customer_id": "u1", "tier": "vip", "page": "/orders/1"})
    answer = await harness.say(customer, "你好")
    assert answer["state"] == "bot"
    assert [(m["sender"], m["text"]) for m in answer["messages"]] == [("customer", "你好"), ("bot", "收到:你好")]
    assert [m["seq"] for m in answer["messages"]] == [1, 2]
    assert harness.fake.webhook_calls[-1]["metadata"] == {
        "customer_id": "u1",
        "tier": "vip",
        "page": "/orders/1",
        "identity": {"verified": False},
        "jieli_turn": "1",  # the message's seq: marks the turn in Rasa's tracker (services/customer/bot.py)
    }  # claims, anonymous

    answer = await harness.say(customer, "给我按钮")
    bot = [m for m in answer["messages"] if m["sender"] == "bot"]
    assert bot[0]["payload"]["buttons"][0]["title"] == "查物流"
    assert bot[1]["payload"]["custom"] == {"card": "order", "id": "1"}
    history = await harness.history(customer)
    assert [m["seq"] for m in history["messages"]] == [1, 2, 3, 4, 5]


async def test_full_handover_cycle_with_audit_and_rating(harness):
    customer = await harness.customer()
    await harness.say(customer, "我的退款还没到")
    answer = await harness.say(customer, "转人工")
    status, handover = harness.fake.handover_answers[-1]
    assert status == 201 and handover["ticket_offered"] is True and handover["agents_online"] == 0
    assert answer["state"] == "queued"
    texts = [m["text"] for m in answer["messages"]]
    assert "当前客服都不在线，您可以留言，我们会尽快联系您。" in texts
    rasa_calls = len(harness.fake.webhook_calls)

    # While queued nothing goes to Rasa.
    queued_answer = await harness.say(customer, "还要等多久?")
    assert queued_answer["state"] == "queued"
    assert [m["sender"] for m in queued_answer["messages"]] == ["customer"]
    assert len(harness.fake.webhook_calls) == rasa_calls

    # The queue shows the full context; an agent comes online and is auto-assigned.
    agent = await harness.agent("agent-a1")
    await wait_for(lambda: harness.state(customer), message="assignment")
    assert await harness.state(customer) == "assigned"
    history = await harness.history(customer)
    assert any(m["text"] == "客服 客服a1 已接入，请问有什么可以帮您？" for m in history["messages"])

    chats = (await harness.agent_call(agent, "GET", "/conversations")).json()["items"]
    assert chats[0]["conversation_id"] == customer.conversation_id
    assert chats[0]["handover"]["context"]["entities"] == [{"entity": "order_id", "value": "20240101", "turn": 1}]
    transcript = (await harness.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}")).json()
    assert [m["text"] for m in transcript["messages"]][:2] == ["我的退款还没到", "收到:我的退款还没到"]

    # customer ⇄ agent, Rasa untouched
    await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/messages",
        json={"text": "您好,我来帮您查一下", "client_msg_id": "a-1"},
    )
    answer = await harness.say(customer, "<b>谢谢</b>")
    assert answer["messages"][0]["text"] == "<b>谢谢</b>"  # stored text, returned as text
    assert len(harness.fake.webhook_calls) == rasa_calls

    # close and hand back: Rasa resumed, bot asks for the rating, the rating is stored
    result = await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/close",
        json={"return_to_bot": True, "resolution": "已退款", "tags": ["退款"]},
    )
    assert result.json() == {"state": "bot"}
    assert (customer.conversation_id, {"event": "resume"}) in harness.fake.events
    assert (customer.conversation_id, "request_rating") in harness.fake.triggered
    history = await harness.history(customer)
    assert history["state"] == "bot"
    assert history["messages"][-1]["sender"] == "bot"
    assert history["messages"][-1]["text"].startswith("请为本次服务打分")

    response = await harness.http.post(f"{customer.base}/rating", headers=customer.headers, json={"score": 5})
    assert response.status_code == 200, response.text
    transcript = (await harness.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}")).json()
    assert transcript["handover"]["rating"] == 5
    assert transcript["handover"]["resolution"] == "已退款" and transcript["handover"]["tags"] == ["退款"]

    # back with the bot: Rasa answers again
    answer = await harness.say(customer, "好的")
    assert answer["messages"][-1]["text"] == "收到:好的"
    assert await audit(harness, customer) == [
        (None, "bot"),
        ("bot", "queued"),
        ("queued", "assigned"),
        ("assigned", "bot"),
    ]
    seqs = [m["seq"] for m in (await harness.history(customer))["messages"]]
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.bridge_settings(auto_assign=False)
async def test_manual_accept_close_without_bot_asks_for_rating_itself(harness):
    harness.fake.known_intents = set()
    agent = await harness.agent("agent-m1")
    customer = await harness.customer()
    answer = await harness.handover(customer, category="物流", priority="high")
    assert answer["queue_position"] == 1 and answer["agents_online"] == 1 and answer["ticket_offered"] is False
    queue = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    assert queue[0]["conversation_id"] == customer.conversation_id
    assert queue[0]["category"] == "物流" and queue[0]["priority"] == 2 and queue[0]["waited_seconds"] >= 0
    assert "context" in queue[0]["handover"]
    await harness.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept")
    await harness.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept", expect=409)
    await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/close",
        json={"return_to_bot": False, "resolution": "done"},
    )
    history = await harness.history(customer)
    assert history["state"] == "closed"
    assert history["messages"][-1]["payload"]["type"] == "rating_request"
    await harness.say(customer, "还在吗", expect=409)
    assert await audit(harness, customer) == [
        (None, "bot"),
        ("bot", "queued"),
        ("queued", "assigned"),
        ("assigned", "closed"),
    ]


async def test_hand_back_when_rating_intent_unknown_asks_itself(harness):
    harness.fake.known_intents = set()
    agent = await harness.agent("agent-u1")
    customer = await harness.customer()
    await harness.handover(customer)
    await wait_for(lambda: harness.state(customer), message="assigned")
    await wait_for(lambda: _is(harness, customer, "assigned"))
    await harness.agent_call(
        agent, "POST", f"/conversations/{customer.conversation_id}/close", json={"return_to_bot": True}
    )
    history = await harness.history(customer)
    assert history["state"] == "bot"
    assert history["messages"][-1]["sender"] == "system"
    assert history["messages"][-1]["payload"]["type"] == "rating_request"
    assert (customer.conversation_id, "request_rating") in harness.fake.triggered


async def _is(harness, customer, state):
    return await harness.state(customer) == state


@pytest.mark.bridge_settings(auto_assign=False)
async def test_cancel_wait_returns_to_bot_and_resumes_rasa(harness):
    await harness.agent("agent-c1")
    customer = await harness.customer()
    await harness.handover(customer)
    response = await harness.http.post(f"{customer.base}/cancel-wait", headers=customer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["text"] == "已为您取消排队，智能助手继续为您服务。"
    assert (customer.conversation_id, {"event": "resume"}) in harness.fake.events
    assert await harness.state(customer) == "bot"
    response = await harness.http.post(f"{customer.base}/cancel-wait", headers=customer.headers)
    assert response.status_code == 409
    assert (await harness.say(customer, "在吗"))["messages"][-1]["text"] == "收到:在吗"
    assert await audit(harness, customer) == [(None, "bot"), ("bot", "queued"), ("queued", "bot")]


@pytest.mark.bridge_settings(auto_assign=False)
async def test_transfer_to_agent_and_to_skill(harness):
    first = await harness.agent("agent-t1")
    second = await harness.agent("agent-t2", skills=["billing"])
    customer = await harness.customer()
    await harness.handover(customer, category="物流")
    cid = customer.conversation_id
    await harness.agent_call(first, "POST", f"/conversations/{cid}/accept")
    await harness.agent_call(second, "POST", f"/conversations/{cid}/messages", json={"text": "x"}, expect=403)
    result = await harness.agent_call(first, "POST", f"/conversations/{cid}/transfer", json={"agent": "agent-t2"})
    assert result.json()["agent"]["id"] == second.id
    await harness.agent_call(second, "POST", f"/conversations/{cid}/messages", json={"text": "我来处理"})
    await harness.agent_call(first, "POST", f"/conversations/{cid}/messages", json={"text": "x"}, expect=403)
    result = await harness.agent_call(second, "POST", f"/conversations/{cid}/transfer", json={"category": "账单"})
    assert result.json() == {"state": "queued", "skill": "billing"}
    queue = (await harness.agent_call(first, "GET", "/queue")).json()["items"]
    assert queue[0]["front"] is True and queue[0]["skill"] == "billing"
    assert await audit(harness, customer) == [
        (None, "bot"),
        ("bot", "queued"),
        ("queued", "assigned"),
        ("assigned", "assigned"),
        ("assigned", "queued"),
    ]


@pytest.mark.bridge_settings(agent_grace_seconds=1, heartbeat_timeout_seconds=1)
async def test_agent_who_drops_gets_a_grace_period_then_the_chat_goes_to_the_front(harness):
    agent = await harness.agent("agent-g1")
    customer = await harness.customer()
    await harness.handover(customer)
    await wait_for(lambda: _is(harness, customer, "assigned"))
    # No heartbeats: after the heartbeat timeout the agent is offline, after the grace the
    # chat returns to the queue, at the front.
    await wait_for(lambda: _is(harness, customer, "queued"), timeout=8, message="requeue after grace")
    history = await harness.history(customer)
    assert any(m["text"] == "客服暂时断开了连接，已为您优先重新排队，请稍候。" for m in history["messages"])
    queue = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    assert queue[0]["conversation_id"] == customer.conversation_id and queue[0]["front"] is True
    audit_rows = await audit(harness, customer)
    assert audit_rows[-1] == ("assigned", "queued")
