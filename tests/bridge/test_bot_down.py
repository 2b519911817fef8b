"""Rasa down or slow: a friendly message, then a bot_unavailable handover when an agent is
online, otherwise a ticket offer; tickets stored and answered by agents."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handover_bridge.domain.hours import BusinessHours

from .conftest import wait_for

pytestmark = pytest.mark.asyncio

SORRY = "抱歉，智能助手暂时开小差了，正在为您转接人工客服，请稍候。"


async def test_rasa_stopped_with_an_agent_online_hands_over(harness):
    agent = await harness.agent("agent-d1")
    await harness.fake.stop()
    customer = await harness.customer()
    answer = await harness.say(customer, "我要退货")
    texts = [m["text"] for m in answer["messages"]]
    assert texts[0] == "我要退货" and texts[1] == SORRY
    assert answer["state"] in ("queued", "assigned")
    await wait_for(lambda: _state_is(harness, customer, "assigned"), message="auto-assignment")
    transcript = (await harness.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}")).json()
    assert transcript["handover"]["reason"] == "bot_unavailable"
    assert transcript["handover"]["context"]["trigger"]["text"] == "我要退货"
    metrics = (await harness.http.get("/metrics")).text
    assert 'jieli_handovers_total{reason="bot_unavailable"} 1.0' in metrics
    assert "jieli_bot_failures_total 1.0" in metrics


@pytest.mark.bridge_settings(rasa_timeout=0.5)
async def test_slow_rasa_without_agents_offers_a_ticket_and_the_ticket_is_stored(harness):
    harness.fake.delay = 2.0
    customer = await harness.customer({"customer_id": "c-9"})
    answer = await harness.say(customer, "发票怎么开")
    assert answer["state"] == "bot"
    assert [m["text"] for m in answer["messages"][1:]] == [
        "抱歉，智能助手暂时开小差了。",
        "当前客服都不在线，您可以留言，我们会尽快联系您。",
    ]
    assert answer["messages"][-1]["payload"] == {"type": "ticket_offer"}

    response = await harness.http.post(
        f"{customer.base}/ticket", headers=customer.headers, json={"message": "请帮我开发票", "contact": "13800000000"}
    )
    assert response.status_code == 201, response.text
    assert await _state_is(harness, customer, "ticket")

    agent = await harness.agent("agent-d2", online=False)
    tickets = (await harness.agent_call(agent, "GET", "/tickets")).json()["items"]
    assert [(t["message"], t["contact"], t["status"]) for t in tickets] == [("请帮我开发票", "13800000000", "open")]
    assert tickets[0]["metadata"] == {"customer_id": "c-9", "identity": {"verified": False}}
    answered = (
        await harness.agent_call(agent, "POST", f"/tickets/{tickets[0]['id']}/answer", json={"reply": "已为您开具"})
    ).json()["ticket"]
    assert answered["status"] == "answered" and answered["reply"] == "已为您开具"
    assert (await harness.agent_call(agent, "GET", "/tickets")).json()["items"] == []
    history = await harness.history(customer)
    assert history["messages"][-1]["text"] == "客服回复了您的留言：已为您开具"


async def test_handover_with_nobody_online_offers_a_ticket(harness):
    customer = await harness.customer()
    answer = await harness.handover(customer)
    assert answer["agents_online"] == 0 and answer["ticket_offered"] is True
    history = await harness.history(customer)
    assert history["state"] == "queued"
    assert history["messages"][-1]["payload"] == {"type": "ticket_offer"}
    response = await harness.http.post(
        f"{customer.base}/ticket", headers=customer.headers, json={"message": "快递丢了", "contact": ""}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_contact"
    response = await harness.http.post(
        f"{customer.base}/ticket", headers=customer.headers, json={"message": "快递丢了", "contact": "me@example.com"}
    )
    assert response.status_code == 201
    assert await _state_is(harness, customer, "ticket")


async def test_outside_business_hours_offers_a_ticket_even_with_agents_online(harness):
    await harness.agent("agent-d3")
    later = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=12)
    window = f"{later:%H}:00-{later:%H}:59"  # one hour, half a day away: closed now
    harness.bridge.ctx.hours = BusinessHours.parse(window, "Asia/Shanghai")
    customer = await harness.customer()
    answer = await harness.handover(customer)
    assert answer["agents_online"] == 0 and answer["ticket_offered"] is True
    history = await harness.history(customer)
    assert history["state"] == "queued"  # not auto-assigned after hours
    assert history["messages"][-1]["text"] == "现在是非工作时间，客服都已下班。您可以留言，我们上班后会尽快联系您。"


async def _state_is(harness, customer, state):
    return await harness.state(customer) == state
