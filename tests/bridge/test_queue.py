"""Queue order (priority, first come first served, ageing), expected waits, position notices,
long waits."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import wait_for

pytestmark = pytest.mark.asyncio


async def queue_ids(harness, agent) -> list[str]:
    items = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    return [item["conversation_id"] for item in items]


@pytest.mark.bridge_settings(auto_assign=False, ageing_seconds=1)
async def test_priority_first_then_first_come_with_ageing(harness):
    agent = await harness.agent("agent-q1", online=False)
    a, c, b, d = [await harness.customer() for _ in range(4)]
    await harness.handover(a, priority=1)
    await harness.handover(c, priority=3)  # more urgent: ahead of a
    await asyncio.sleep(2.5)  # a has now waited 2.5 levels' worth
    await harness.handover(b, priority=3)  # … so b does not overtake a
    await harness.handover(d, priority=1)  # same priority: behind b (FCFS)
    assert await queue_ids(harness, agent) == [
        c.conversation_id,
        a.conversation_id,
        b.conversation_id,
        d.conversation_id,
    ]


@pytest.mark.bridge_settings(auto_assign=False, default_handle_seconds=180)
async def test_positions_and_expected_waits_are_pushed_when_they_change(harness):
    agent = await harness.agent("agent-q2", max_concurrent=1)
    first, second, third = [await harness.customer() for _ in range(3)]
    assert (await harness.handover(first))["eta_seconds"] == 0  # a free slot: right away
    answer = await harness.handover(second)
    assert (answer["queue_position"], answer["eta_seconds"]) == (2, 180)
    answer = await harness.handover(third)
    assert (answer["queue_position"], answer["eta_seconds"]) == (3, 360)
    notices = [m["text"] for m in (await harness.history(third))["messages"]]
    assert notices == ["正在为您转接人工客服，前面还有 2 位，预计等待 6 分钟。"]

    await harness.agent_call(agent, "POST", f"/conversations/{first.conversation_id}/accept")

    async def latest(customer):
        return (await harness.history(customer))["messages"][-1]

    await wait_for(lambda: _text_is(harness, second, "正在为您转接人工客服，您是下一位，预计等待 3 分钟。"))
    await wait_for(lambda: _text_is(harness, third, "正在为您转接人工客服，前面还有 1 位，预计等待 6 分钟。"))
    assert (await latest(third))["payload"] == {"type": "queue", "position": 2, "eta_seconds": 360}
    # nothing changes → nothing is pushed again
    await asyncio.sleep(0.6)
    assert len((await harness.history(third))["messages"]) == 2


async def _text_is(harness, customer, text):
    return (await harness.history(customer))["messages"][-1]["text"] == text


@pytest.mark.bridge_settings(auto_assign=False, max_wait_seconds=1)
async def test_a_long_wait_offers_a_ticket_once(harness):
    await harness.agent("agent-q3")
    customer = await harness.customer()
    answer = await harness.handover(customer)
    assert answer["ticket_offered"] is False
    await wait_for(
        lambda: _text_is(harness, customer, "让您久等了，实在抱歉。如果不方便继续等待，您可以留言，我们会尽快联系您。"),
        timeout=6,
    )
    await asyncio.sleep(1.2)
    offers = [
        m
        for m in (await harness.history(customer))["messages"]
        if (m.get("payload") or {}).get("type") == "ticket_offer"
    ]
    assert len(offers) == 1


@pytest.mark.bridge_settings(auto_assign=True)
async def test_auto_assignment_goes_to_the_least_loaded_agent_with_the_skill(harness):
    logistics = await harness.agent("agent-l1", skills=["logistics"], max_concurrent=2)
    busy = await harness.agent("agent-l2", skills=["logistics", "billing"], max_concurrent=2)
    billing = await harness.customer()
    await harness.handover(billing, category="账单")  # only agent-l2 has billing
    parcel_1, parcel_2, parcel_3 = [await harness.customer() for _ in range(3)]
    for customer in (parcel_1, parcel_2, parcel_3):
        await harness.handover(customer, category="物流")
    mine = {
        a.username: [
            c["conversation_id"] for c in (await harness.agent_call(a, "GET", "/conversations")).json()["items"]
        ]
        for a in (logistics, busy)
    }
    assert mine["agent-l2"][0] == billing.conversation_id
    assert sorted(len(v) for v in mine.values()) == [2, 2]  # balanced, capacity respected
    assert await harness.state(parcel_3) == "assigned" or await harness.state(parcel_2) == "assigned"
    queued = (await harness.agent_call(logistics, "GET", "/queue")).json()["items"]
    assert len(queued) == 0 or queued[0]["category"] == "物流"


@pytest.mark.bridge_settings(auto_assign=False)
async def test_what_a_waiting_customer_writes_reaches_the_agents_card(harness):
    """A first 转人工 hands over at once; the bot asks what the problem is while they wait, and the
    answer goes on the card (problem and summary), so the agent never asks again."""
    agent = await harness.agent("agent-q9", online=False)
    customer = await harness.customer()
    await harness.handover(
        customer,
        summary="客户诉求：（客户还没有描述问题） / 订单号：无 / 情绪：平静",
        context={"problem": {"text": "", "messages": []}, "version": 1},
    )
    await harness.say(customer, "我买的水壶<b>漏水</b> 订单2024111500067806")
    await harness.say(customer, "快点")

    async def card():
        items = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
        return next(i for i in items if i["conversation_id"] == customer.conversation_id)["handover"]

    handover = await card()
    context = handover["context"]
    assert context["problem"]["text"] == "我买的水壶<b>漏水</b> 订单2024111500067806"  # as text, untouched
    assert handover["summary"].startswith("客户诉求：我买的水壶<b>漏水</b> 订单2024111500067806（排队时补充）")
    assert [m["text"] for m in context["waiting_messages"]] == ["我买的水壶<b>漏水</b> 订单2024111500067806", "快点"]


@pytest.mark.bridge_settings(auto_assign=False)
async def test_a_card_that_already_has_the_problem_keeps_it(harness):
    agent = await harness.agent("agent-q10", online=False)
    customer = await harness.customer()
    await harness.say(customer, "退款被驳回")  # the card quotes what the customer wrote (handover_claims)
    await harness.handover(
        customer,
        summary="客户诉求：退款被驳回 / 订单号：无",
        context={"problem": {"text": "退款被驳回", "messages": []}},
    )
    await harness.say(customer, "你好 还要等多久")
    items = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    handover = next(i for i in items if i["conversation_id"] == customer.conversation_id)["handover"]
    assert handover["context"]["problem"]["text"] == "退款被驳回"
    assert handover["summary"] == "客户诉求：退款被驳回 / 订单号：无"
    assert [m["text"] for m in handover["context"]["waiting_messages"]] == ["你好 还要等多久"]
