"""Session states: in mode bot (default) Jieli serves in state 1 (checked in test_wechat_flow);
in mode wecom_agents a handover moves the session to 企业微信's own agent (state 3 with the
servicer), the customer is told first, Jieli's queue item ends, the customer's messages stay with
企业微信 until that session ends, and then the bot serves again. Also: images, links and
locations from customers reach the agent as text and data, never as HTML."""

from __future__ import annotations

import asyncio

import pytest

from handover_bridge.models import Handover

from .conftest import wait_for
from .test_wechat_flow import conversation_of, seen

USER = "wmMODES0001"


@pytest.mark.asyncio
@pytest.mark.bridge_settings(wechat_mode="wecom_agents", wechat_servicer="zhangsan", auto_assign=False)
async def test_wecom_agents_mode_hands_the_session_to_wecom_and_back(wechat):
    sim, h = wechat.sim, wechat.harness
    await sim.say(USER, "转人工")
    await wait_for(lambda: sim.session(USER).state == 3, timeout=10, message="the session with the WeCom agent")
    assert sim.session(USER).servicer == "zhangsan"
    shown = sim.texts_to(USER)
    assert shown == ["好的,正在为您转接人工客服。", "已为您转接企业微信人工客服，请稍候。"]  # no Jieli queue notice
    assert not sim.refused  # everything went out before the session left state 1
    cid = await conversation_of(wechat, USER)
    agent = await h.agent("wx-modes-lead")
    assert (await h.agent_call(agent, "GET", "/queue")).json()["items"] == []
    async with wechat.bridge.ctx.db.read() as session:
        handover = (await session.execute(Handover.__table__.select().where(Handover.conversation_id == cid))).first()
    assert handover.resolution == "handed_to_wecom" and handover.closed_at is not None

    calls = len(h.fake.webhook_calls)
    await sim.say(USER, "我在等企业微信客服")
    await asyncio.sleep(1.0)
    assert len(h.fake.webhook_calls) == calls  # the bot stays silent: a person has the customer
    assert len(sim.sent[USER]) == len(shown)

    # the WeCom agent ends the session; the next message is the bot's again
    sim.session(USER).state = 4
    sim.add_event(USER, {"event_type": "session_status_change", "change_type": 3})
    await sim.say(USER, "你们怎么退货？")
    await seen(wechat, USER, lambda t: t.startswith("支持 7 天无理由退货"), "the bot's answer after the session ended")


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_images_links_and_locations_reach_the_agent_as_text(wechat):
    sim, h = wechat.sim, wechat.harness
    sim.add_message(USER, "image", media_id="MEDIA_<img src=x onerror=alert(1)>")
    sim.add_message(USER, "link", title="<b>我的订单</b>", desc="截图", url="https://shop.example/o/1")
    sim.add_message(USER, "location", name="杭州", address="西湖区", latitude=30.2, longitude=120.1)
    await sim.notify()
    await sim.say(USER, "转人工")
    cid = await conversation_of(wechat, USER)
    agent = await h.agent("wx-media")
    await wait_for(lambda: _queued(h, agent, cid), timeout=10, message="queued")
    messages = (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()["messages"]
    customer = [m for m in messages if m["sender"] == "customer"]
    assert customer[0]["text"] == "[图片] 顾客发来一张图片"
    assert customer[0]["payload"] == {"type": "image", "media_id": "MEDIA_<img src=x onerror=alert(1)>"}
    assert customer[1]["text"] == "[链接] <b>我的订单</b>\n截图\nhttps://shop.example/o/1"
    assert customer[2]["text"] == "[位置] 杭州 西湖区"
    # Rasa got the text only, never the media payload as an intent
    assert [c["message"] for c in h.fake.webhook_calls][:1] == ["[图片] 顾客发来一张图片"]


async def _queued(h, agent, cid):
    return any(i["conversation_id"] == cid for i in (await h.agent_call(agent, "GET", "/queue")).json()["items"])


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_entering_from_an_order_link_puts_the_order_on_the_card(wechat):
    sim, h = wechat.sim, wechat.harness
    sim.add_event(
        "wmENTER01", {"event_type": "enter_session", "scene": "order_page", "scene_param": "2024111500034503"}
    )
    await sim.say("wmENTER01", "转人工")
    cid = await conversation_of(wechat, "wmENTER01")
    agent = await h.agent("wx-enter")
    await wait_for(lambda: _queued(h, agent, cid), timeout=10, message="queued")
    item = next(i for i in (await h.agent_call(agent, "GET", "/queue")).json()["items"] if i["conversation_id"] == cid)
    assert item["metadata"]["current_order"] == "2024111500034503"
    assert item["metadata"]["wechat"]["scene"] == "order_page"
    messages = (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()["messages"]
    assert [m["text"] for m in messages if m["sender"] == "customer"] == [
        "转人工"
    ]  # one conversation, the event stored nothing
