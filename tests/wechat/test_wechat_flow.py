"""A WeChat customer end to end, against the 企业微信 simulator, on SQLite and PostgreSQL: a FAQ
asked and answered, a person asked for, the agent sees the channel and the context and replies,
the reply reaches the simulator through send_msg, the agent hands back, the rating question
arrives (as a menu) and the customer's click rates the chat."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import FAQ, recv_until, wait_for

USER = "wmCUSTOMER0001"


async def conversation_of(setup, user: str = USER) -> str:
    from handover_bridge.repositories import channels as repo

    async def find():
        async with setup.bridge.ctx.db.read() as session:
            ids = await repo.conversations_of(session, setup.sim.open_kfid, user)
        return ids[-1] if ids else None

    return await wait_for(find, message="the WeChat conversation")


async def seen(setup, user: str, predicate, message: str):
    return await wait_for(lambda: any(predicate(t) for t in setup.sim.texts_to(user)), timeout=10, message=message)


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_faq_handover_agent_reply_hand_back_and_rating(wechat):
    sim, h = wechat.sim, wechat.harness
    agent = await h.agent("wx-agent")
    socket_ = await h.ws_agent(agent)
    await socket_.send('{"type": "hello"}')

    assert await sim.say(USER, "你们怎么退货？") == 200
    await seen(wechat, USER, lambda t: t == FAQ["退货"], "the FAQ answer")
    assert sim.session(USER).state == 1  # 智能助手接待: the API serves this session
    cid = await conversation_of(wechat)

    await sim.say(USER, "转人工")
    frame, _ = await recv_until(socket_, lambda f: f.get("type") == "queue_changed", timeout=10)
    queue = (await h.agent_call(agent, "GET", "/queue")).json()["items"]
    assert [item["channel"] for item in queue if item["conversation_id"] == cid] == ["wechat"]
    await seen(wechat, USER, lambda t: "正在为您转接" in t, "the handover notice")

    accepted = await h.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    assert accepted.status_code == 200
    transcript = (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()
    assert transcript["channel"] == "wechat"
    assert transcript["metadata"]["wechat"]["external_userid"] == USER
    texts = [m["text"] for m in transcript["messages"]]
    assert "你们怎么退货？" in texts and FAQ["退货"] in texts  # the whole bot conversation: the context
    assert transcript["handover"]["summary"]
    await socket_.send('{"type": "hello"}')  # the console's socket: my chats carry the channel too
    snapshot, _ = await recv_until(socket_, lambda f: f.get("type") == "snapshot", timeout=10)
    assert [c["channel"] for c in snapshot["chats"] if c["conversation_id"] == cid] == ["wechat"]

    await h.agent_call(
        agent,
        "POST",
        f"/conversations/{cid}/messages",
        json={"text": "您好，我是客服，马上帮您处理退货。", "client_msg_id": "a1"},
    )
    await seen(wechat, USER, lambda t: t == "您好，我是客服，马上帮您处理退货。", "the agent's reply in WeChat")
    await sim.say(USER, "好的谢谢")
    await wait_for(
        lambda: _has_text(h, agent, cid, "好的谢谢"), timeout=10, message="the customer's answer in the console"
    )

    closed = await h.agent_call(agent, "POST", f"/conversations/{cid}/close", json={"return_to_bot": True})
    assert closed.json()["state"] == "bot"
    menu = await wait_for(
        lambda: [b for b in sim.sent[USER] if b["msgtype"] == "msgmenu"], timeout=10, message="the rating menu"
    )
    items = menu[-1]["msgmenu"]["list"]
    assert [i["click"]["content"] for i in items] == ["1", "2", "3", "4", "5"]
    assert len({b["msgid"] for b in sim.sent[USER]}) == len(sim.sent[USER])  # nothing sent twice

    # the customer taps 5: the bot's own button payload reaches Rasa as that button
    await sim.click(USER, items[4]["click"]["id"], "5")
    await wait_for(
        lambda: any(c["message"] == items[4]["click"]["id"] for c in h.fake.webhook_calls),
        timeout=10,
        message="the rating button at Rasa",
    )


async def _has_text(h, agent, cid, text):
    transcript = (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()
    return any(m["text"] == text for m in transcript["messages"])


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_bridges_own_rating_menu_rates_the_closed_chat_once(wechat):
    sim, h = wechat.sim, wechat.harness
    agent = await h.agent("wx-rate")
    await sim.say("wmRATE01", "转人工")
    cid = await conversation_of(wechat, "wmRATE01")
    await wait_for(lambda: _queued(h, agent, cid), timeout=10, message="queued")
    await h.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    await h.agent_call(agent, "POST", f"/conversations/{cid}/close", json={"return_to_bot": False})
    menu = await wait_for(
        lambda: [b for b in sim.sent["wmRATE01"] if b["msgtype"] == "msgmenu"], timeout=10, message="the rating menu"
    )
    items = menu[-1]["msgmenu"]["list"]
    assert [i["click"]["content"] for i in items] == ["1 分", "2 分", "3 分", "4 分", "5 分"]
    msg = sim.add_message("wmRATE01", "text", content="4 分", menu_id=items[3]["click"]["id"])
    await sim.notify()
    await seen(wechat, "wmRATE01", lambda t: t == "感谢您的评价！", "the thanks")
    # the same tap read again (a re-sync): rated once, thanked once
    sim.log[sim.open_kfid].append(dict(msg))
    await sim.notify()
    await asyncio.sleep(1.0)
    assert sim.texts_to("wmRATE01").count("感谢您的评价！") == 1
    transcript = (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()
    assert transcript["handover"]["rating"] == 4
    async with wechat.bridge.ctx.db.read() as session:
        from handover_bridge.repositories import channels as repo

        assert len(await repo.conversations_of(session, sim.open_kfid, "wmRATE01")) == 1  # no new conversation


async def _queued(h, agent, cid):
    return any(i["conversation_id"] == cid for i in (await h.agent_call(agent, "GET", "/queue")).json()["items"])


@pytest.mark.asyncio
async def test_a_message_too_long_for_the_bridge_is_cut_not_a_blocked_sync(wechat):
    sim = wechat.sim
    await sim.say("wmLONG01", "长" * 3000)
    await sim.say("wmLONG01", "后面这句")
    await seen(wechat, "wmLONG01", lambda t: t == "收到:后面这句", "the next answer")
    first = sim.texts_to("wmLONG01")[0]
    assert first.startswith("收到:长") and first.endswith("…") and len(first) <= 2048
