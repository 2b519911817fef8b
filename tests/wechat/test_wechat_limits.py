"""WeChat's limits and errors: 5 messages per customer message and the 48-hour window (the rest
is held in the outbox, the agent told in the console, and sent when the customer writes again),
expired and invalid access tokens (refreshed, the call made once more), a busy API (retried),
a refused send (marked failed, the agent told)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from handover_bridge.models import WeChatCustomer, utcnow
from handover_bridge.repositories import channels as repo

from .conftest import wait_for
from .test_wechat_flow import conversation_of, seen

USER = "wmLIMITS0001"


async def handed_to(wechat, agent, user=USER):
    sim, h = wechat.sim, wechat.harness
    await sim.say(user, "转人工")
    cid = await conversation_of(wechat, user)
    await wait_for(lambda: _state(h, agent, cid, "queued"), timeout=10, message="queued")
    await h.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    return cid


async def _state(h, agent, cid, state):
    response = await h.agent_call(agent, "GET", f"/conversations/{cid}", expect=None)
    return response.status_code == 200 and response.json()["state"] == state


async def transcript(h, agent, cid):
    return (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()["messages"]


async def outbox(wechat, cid):
    async with wechat.bridge.ctx.db.read() as session:
        return await repo.outbox_counts(session, cid)


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_five_per_customer_message_the_rest_held_and_sent_later(wechat):
    sim, h = wechat.sim, wechat.harness
    agent = await h.agent("wx-limit")
    cid = await handed_to(wechat, agent)
    replies = [f"第{n}条回复" for n in range(1, 8)]
    for n, text in enumerate(replies):
        await h.agent_call(
            agent, "POST", f"/conversations/{cid}/messages", json={"text": text, "client_msg_id": f"r{n}"}
        )
    notes = await wait_for(lambda: _notes(h, agent, cid), timeout=10, message="the agent's note that a reply is held")
    assert "最多回复 5 条" in notes[0]["text"]
    assert sim.session(USER).sent_since == 5 and not sim.refused  # the bridge kept to the limit itself
    assert (await outbox(wechat, cid)).get("held", 0) >= 1
    shown = sim.texts_to(USER)
    assert not any("仅客服可见" in t for t in shown)  # the note is for the agent only

    await sim.say(USER, "还在吗")
    await seen(wechat, USER, lambda t: t == replies[-1], "the held replies, after the customer wrote")
    agent_texts = [t for t in sim.texts_to(USER) if t.startswith("第")]
    assert agent_texts == replies  # all of them, in order, once each
    assert (await outbox(wechat, cid)).get("held", 0) == 0


async def _notes(h, agent, cid):
    return [m for m in await transcript(h, agent, cid) if (m.get("payload") or {}).get("type") == "delivery_failed"]


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_after_48_hours_nothing_is_sent_until_the_customer_writes(wechat):
    sim, h = wechat.sim, wechat.harness
    agent = await h.agent("wx-window")
    cid = await handed_to(wechat, agent)
    await seen(wechat, USER, lambda t: "已接入" in t, "agent joined")
    past = utcnow() - timedelta(hours=49)
    async with wechat.bridge.ctx.db.write() as session:
        await session.execute(
            update(WeChatCustomer).where(WeChatCustomer.conversation_id == cid).values(last_customer_at=past)
        )
    sim.session(USER).last_customer_at = past.timestamp()
    await h.agent_call(
        agent, "POST", f"/conversations/{cid}/messages", json={"text": "您还需要帮助吗？", "client_msg_id": "late"}
    )
    notes = await wait_for(lambda: _notes(h, agent, cid), timeout=10, message="the window note")
    assert "48 小时" in notes[0]["text"]
    assert "您还需要帮助吗？" not in sim.texts_to(USER)
    await sim.say(USER, "需要")
    await seen(wechat, USER, lambda t: t == "您还需要帮助吗？", "the held reply")


@pytest.mark.asyncio
async def test_expired_and_invalid_tokens_are_refreshed_and_busy_answers_retried(wechat):
    sim = wechat.sim
    await sim.say(USER, "你好")
    await seen(wechat, USER, lambda t: t == "收到:你好", "the first answer")
    assert sim.calls["gettoken"] == 1
    sim.expire_access_tokens()  # 42001 on the next call
    await sim.say(USER, "第二句")
    await seen(wechat, USER, lambda t: t == "收到:第二句", "an answer after the token expired")
    assert sim.calls["gettoken"] == 2
    sim.fail_next["send_msg"].append(40014)  # invalid access token
    sim.fail_next["sync_msg"].append(-1)  # 系统繁忙
    await sim.say(USER, "第三句")
    await seen(wechat, USER, lambda t: t == "收到:第三句", "an answer after 40014 and -1")
    assert sim.calls["gettoken"] == 3
    assert sim.texts_to(USER) == ["收到:你好", "收到:第二句", "收到:第三句"]


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_a_refused_send_is_marked_failed_and_the_agent_told(wechat):
    sim, h = wechat.sim, wechat.harness
    agent = await h.agent("wx-fail")
    cid = await handed_to(wechat, agent)
    await seen(wechat, USER, lambda t: "已接入" in t, "agent joined")
    sim.fail_next["send_msg"].append(95018)
    await h.agent_call(
        agent, "POST", f"/conversations/{cid}/messages", json={"text": "这条会失败", "client_msg_id": "f1"}
    )
    notes = await wait_for(lambda: _notes(h, agent, cid), timeout=10, message="the failure note")
    assert "95018" in notes[0]["text"]
    assert (await outbox(wechat, cid)).get("failed") == 1
    await h.agent_call(
        agent, "POST", f"/conversations/{cid}/messages", json={"text": "这条能到", "client_msg_id": "f2"}
    )
    await seen(wechat, USER, lambda t: t == "这条能到", "the next reply")


@pytest.mark.asyncio
async def test_a_sync_resumed_with_an_expired_callback_token_reads_on_without_it(wechat):
    sim = wechat.sim
    await sim.say(USER, "你好")
    await seen(wechat, USER, lambda t: t == "收到:你好", "the first answer")
    sim.add_message(USER, "text", content="没有回调的一句")  # read by the sweep, as after a crash
    async with wechat.bridge.ctx.db.write() as session:
        await repo.want_sync(session, sim.open_kfid, "ENCexpired-token")
    await wechat.bridge.wechat.sweep()
    await seen(wechat, USER, lambda t: t == "收到:没有回调的一句", "the answer after the stale token")
