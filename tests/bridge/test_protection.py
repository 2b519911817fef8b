"""Protection that acts (services/queue/protection.py): the system's warning then boundary message
to an abusive customer, the agent's cool-down (no auto-assignment until it ends), ending a chat for
abuse with the reason stored, a lead's live takeover and reassignment, the day's figures."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from handover_bridge.domain import texts
from handover_bridge.models import Agent, Audit, Conversation, Handover, ProtectionEvent

from .conftest import PASSWORD, AgentClient, recv_until, wait_for

pytestmark = pytest.mark.asyncio

INSULT = "你们这群傻逼客服"


async def lead(h, username: str = "lead-1") -> AgentClient:
    created = await h.bridge.agents.create(username, PASSWORD, display_name="组长", roles=["agent", "lead"])
    response = await h.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return AgentClient(username, response.json()["token"], created.id)


async def assigned_chat(h, agent: AgentClient):
    customer = await h.customer()
    await h.handover(customer)
    await h.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept")
    return customer


async def events(h, conversation_id: str) -> list[tuple[str, int | None]]:
    async with h.bridge.ctx.db.read() as session:
        rows = await session.scalars(
            select(ProtectionEvent)
            .where(ProtectionEvent.conversation_id == conversation_id)
            .order_by(ProtectionEvent.id)
        )
        return [(e.kind, e.agent_id) for e in rows]


async def cooldown_until(h, agent_id: int):
    async with h.bridge.ctx.db.read() as session:
        return (await session.get(Agent, agent_id)).cooldown_until


@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_system_warns_once_then_sets_the_boundary(harness):
    h = harness
    agent = await h.agent("agent-p1")
    customer = await assigned_chat(h, agent)
    calm = await h.say(customer, "我的快递三天没动了")
    assert [m["sender"] for m in calm["messages"]] == ["customer"]  # nothing said to a calm customer

    first = (await h.say(customer, INSULT))["messages"]
    assert [(m["sender"], m["text"]) for m in first] == [("customer", INSULT), ("system", texts.ABUSE_WARNING)]
    assert first[1]["payload"]["type"] == "abuse_warning"
    for _ in range(2):
        again = (await h.say(customer, "傻逼"))["messages"]
        assert [(m["sender"], m["text"]) for m in again] == [("customer", "傻逼"), ("system", texts.ABUSE_BOUNDARY)]
        assert again[1]["payload"]["type"] == "abuse_boundary"
    # never from the agent: the agent's transcript shows them as the system's
    transcript = (await h.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}")).json()
    system_texts = [m["text"] for m in transcript["messages"] if m["sender"] == "system"]
    assert system_texts[-3:] == [texts.ABUSE_WARNING, texts.ABUSE_BOUNDARY, texts.ABUSE_BOUNDARY]
    assert not [m for m in transcript["messages"] if m["sender"] == "agent"]
    assert await events(h, customer.conversation_id) == [
        ("abusive_message", agent.id),
        ("warning", agent.id),
        ("abusive_message", agent.id),
        ("boundary", agent.id),
        ("abusive_message", agent.id),
        ("boundary", agent.id),
    ]


async def test_abuse_to_the_bot_gets_no_boundary_message_and_no_event(harness):
    h = harness
    customer = await h.customer()
    answer = await h.say(customer, INSULT)
    assert all(m["text"] not in (texts.ABUSE_WARNING, texts.ABUSE_BOUNDARY) for m in answer["messages"])
    assert await events(h, customer.conversation_id) == []


@pytest.mark.bridge_settings(abuse_cooldown_seconds=2)
async def test_a_cooldown_blocks_auto_assignment_until_it_ends(harness):
    h = harness
    agent = await h.agent("agent-p2")
    socket_ = await h.ws_agent(agent)
    first = await h.customer()
    await h.handover(first)
    await wait_for(lambda: _state_is(h, first, "assigned"), message="auto-assignment")
    await h.say(first, INSULT)
    closed = (await h.agent_call(agent, "POST", f"/conversations/{first.conversation_id}/close", json={})).json()
    assert closed["cooldown"]["active"] is True
    assert closed["cooldown"]["note"] == "辛苦了，喝口水歇一歇，这几分钟不会给你派新会话。"
    frame, _ = await recv_until(socket_, lambda f: f.get("type") == "cooldown")
    assert frame["seconds_left"] in (1, 2) and frame["note"]
    until = await cooldown_until(h, agent.id)
    status = (await h.agent_call(agent, "GET", "/cooldown")).json()
    assert status["active"] is True

    second = await h.customer()
    await h.handover(second)
    await asyncio.sleep(0.8)  # several sweeps (0.2 s) ran: still waiting
    assert await h.state(second) == "queued"
    await wait_for(lambda: _state_is(h, second, "assigned"), timeout=8, message="assignment after the cool-down")
    async with h.bridge.ctx.db.read() as session:
        handover = await session.scalar(select(Handover).where(Handover.conversation_id == second.conversation_id))
    assert handover.agent_id == agent.id
    assert handover.accepted_at >= until  # not one moment before the cool-down ended
    assert (await h.agent_call(agent, "GET", "/cooldown")).json() == {
        "active": False,
        "until": None,
        "seconds_left": 0,
        "note": "",
    }
    metrics = (await h.http.get("/metrics")).text
    assert "jieli_agent_cooldowns_total 1.0" in metrics
    assert 'jieli_abuse_notices_total{kind="warning"} 1.0' in metrics


@pytest.mark.bridge_settings(abuse_cooldown_seconds=600)
async def test_a_chat_without_abuse_gives_no_cooldown_and_another_agent_takes_new_chats(harness):
    h = harness
    tired = await h.agent("agent-p3")
    customer = await h.customer()
    await h.handover(customer)
    await wait_for(lambda: _state_is(h, customer, "assigned"))
    closed = (await h.agent_call(tired, "POST", f"/conversations/{customer.conversation_id}/close", json={})).json()
    assert "cooldown" not in closed and await cooldown_until(h, tired.id) is None

    abusive = await h.customer()
    await h.handover(abusive)
    await wait_for(lambda: _state_is(h, abusive, "assigned"))
    await h.say(abusive, INSULT)
    await h.agent_call(tired, "POST", f"/conversations/{abusive.conversation_id}/close", json={})
    fresh = await h.agent("agent-p4")
    nxt = await h.customer()
    await h.handover(nxt)
    await wait_for(lambda: _state_is(h, nxt, "assigned"))
    async with h.bridge.ctx.db.read() as session:
        conversation = await session.get(Conversation, nxt.conversation_id)
    assert conversation.agent_id == fresh.id  # the cooling agent was the less loaded one, and skipped
    # a manual pick is still possible during the cool-down
    manual = await h.customer()
    await h.presence(fresh, "away")
    await h.handover(manual)
    await asyncio.sleep(0.5)
    assert await h.state(manual) == "queued"
    await h.agent_call(tired, "POST", f"/conversations/{manual.conversation_id}/accept")
    assert await h.state(manual) == "assigned"


@pytest.mark.bridge_settings(auto_assign=False, abuse_cooldown_seconds=120)
async def test_ending_a_chat_for_abuse_stores_the_reason(harness):
    h = harness
    agent = await h.agent("agent-p5")
    other = await h.agent("agent-p6")
    customer = await assigned_chat(h, agent)
    await h.say(customer, INSULT)
    path = f"/conversations/{customer.conversation_id}/end_abusive"
    await h.agent_call(other, "POST", path, expect=403)
    result = (await h.agent_call(agent, "POST", path)).json()
    assert result["state"] == "closed" and result["end_reason"] == "abuse" and result["cooldown"]["active"]
    history = await h.history(customer)
    assert history["state"] == "closed"
    assert history["messages"][-1]["sender"] == "system"
    assert history["messages"][-1]["text"] == texts.CLOSED_FOR_ABUSE
    async with h.bridge.ctx.db.read() as session:
        handover = await session.scalar(select(Handover).where(Handover.conversation_id == customer.conversation_id))
        audit = (
            await session.scalars(
                select(Audit).where(Audit.conversation_id == customer.conversation_id).order_by(Audit.id.desc())
            )
        ).first()
    assert handover.end_reason == "abuse" and "abuse" in handover.tags
    assert (audit.to_state, audit.actor, audit.detail["reason"]) == ("closed", "agent:agent-p5", "abuse")
    assert [k for k, _ in await events(h, customer.conversation_id)][-2:] == ["ended_abuse", "cooldown"]
    await h.agent_call(agent, "POST", path, expect=403)  # once: it is not theirs any more
    assert "jieli_chats_ended_for_abuse_total 1.0" in (await h.http.get("/metrics")).text


@pytest.mark.bridge_settings(auto_assign=False, abuse_cooldown_seconds=60)
async def test_a_lead_takes_over_and_reassigns_a_live_chat(harness):
    h = harness
    agent = await h.agent("agent-p7")
    backup = await h.agent("agent-p8")
    boss = await lead(h)
    customer = await assigned_chat(h, agent)
    await h.say(customer, "我要退款")
    await h.agent_call(
        agent, "POST", f"/conversations/{customer.conversation_id}/messages", json={"text": "好的，我看一下"}
    )
    await h.say(customer, INSULT)
    before = (await h.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}")).json()["messages"]
    socket_ = await h.ws_agent(agent)

    await h.agent_call(agent, "GET", "/live", expect=403)
    await h.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/takeover", expect=403)
    live = (await h.agent_call(boss, "GET", "/live")).json()["items"]
    assert [(i["conversation_id"], i["agent"]["username"]) for i in live] == [(customer.conversation_id, "agent-p7")]

    moved = (await h.agent_call(boss, "POST", f"/conversations/{customer.conversation_id}/takeover")).json()
    assert (moved["kind"], moved["agent"]["id"], moved["from_agent"]) == ("takeover", boss.id, agent.id)
    frame, _ = await recv_until(socket_, lambda f: f.get("type") == "transferred_away")
    assert frame["conversation_id"] == customer.conversation_id
    # the transcript is intact: the lead reads every message the agent had, then the neutral note
    after = (await h.agent_call(boss, "GET", f"/conversations/{customer.conversation_id}")).json()["messages"]
    assert [(m["seq"], m["text"]) for m in after[: len(before)]] == [(m["seq"], m["text"]) for m in before]
    note = after[len(before)]
    assert (note["sender"], note["text"]) == ("system", texts.LEAD_TOOK_OVER.format(name="组长"))
    assert (await h.history(customer))["messages"][-1]["text"] == note["text"]
    # the former agent can no longer answer; the lead can; the former agent cools down (abuse)
    await h.agent_call(
        agent, "POST", f"/conversations/{customer.conversation_id}/messages", json={"text": "x"}, expect=403
    )
    await h.agent_call(
        boss, "POST", f"/conversations/{customer.conversation_id}/messages", json={"text": "您好，我来处理"}
    )
    assert await cooldown_until(h, agent.id) is not None

    path = f"/conversations/{customer.conversation_id}/reassign"
    await h.agent_call(boss, "POST", path, json={}, expect=400)
    await h.agent_call(boss, "POST", path, json={"agent": True}, expect=400)
    await h.agent_call(boss, "POST", path, json={"agent": "nobody"}, expect=404)
    await h.presence(backup, "away")
    await h.agent_call(boss, "POST", path, json={"agent": "agent-p8"}, expect=409)
    await h.presence(backup, "online")
    moved = (await h.agent_call(boss, "POST", path, json={"agent": "agent-p8"})).json()
    assert (moved["kind"], moved["agent"]["id"]) == ("reassign", backup.id)
    mine = (await h.agent_call(backup, "GET", "/conversations")).json()["items"]
    assert [c["conversation_id"] for c in mine] == [customer.conversation_id]
    kinds = [k for k, _ in await events(h, customer.conversation_id)]
    assert kinds[-3:] == ["takeover", "cooldown", "reassign"]
    async with h.bridge.ctx.db.read() as session:
        actors = [
            a.actor
            for a in await session.scalars(select(Audit).where(Audit.conversation_id == customer.conversation_id))
        ]
    assert actors[-2:] == ["lead:lead-1", "lead:lead-1"]
    await h.agent_call(boss, "POST", "/conversations/nope/takeover", expect=404)

    today = (await h.agent_call(boss, "GET", "/protection/today")).json()
    row = next(i for i in today["items"] if i["agent"]["username"] == "agent-p7")
    assert (row["abusive_messages"], row["abusive_chats"], row["cooldowns"], row["taken_over"]) == (1, 1, 1, 1)
    assert row["cooling_now"] is True
    await h.agent_call(agent, "GET", "/protection/today", expect=403)


async def _state_is(h, customer, state: str) -> bool:
    return await h.state(customer) == state


@pytest.mark.bridge_settings(auto_assign=False, abuse_cooldown_seconds=60)
async def test_passing_an_abusive_chat_on_starts_the_cooldown_too(harness):
    h = harness
    agent = await h.agent("agent-p9")
    colleague = await h.agent("agent-p10")
    customer = await assigned_chat(h, agent)
    await h.say(customer, INSULT)
    await h.agent_call(
        agent, "POST", f"/conversations/{customer.conversation_id}/transfer", json={"agent": colleague.username}
    )
    assert await cooldown_until(h, agent.id) is not None
    assert await cooldown_until(h, colleague.id) is None  # they received no abuse (yet)


@pytest.mark.bridge_settings(auto_assign=False)
async def test_insults_sent_at_once_get_one_warning_and_the_rest_boundaries(harness):
    h = harness
    agent = await h.agent("agent-p11")
    customer = await assigned_chat(h, agent)
    await asyncio.gather(*(h.say(customer, INSULT, client_msg_id=f"burst-{n}") for n in range(4)))
    kinds = [(m.get("payload") or {}).get("type") for m in (await h.history(customer))["messages"]]
    assert kinds.count("abuse_warning") == 1 and kinds.count("abuse_boundary") == 3
