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
    await harness.handover(c, priority=3)                    # more urgent: ahead of a
    await asyncio.sleep(2.5)                                  # a has now waited 2.5 levels' worth
    await harness.handover(b, priority=3)                    # … so b does not overtake a
    await harness.handover(d, priority=1)                    # same priority: behind b (FCFS)
    assert await queue_ids(harness, agent) == [c.conversation_id, a.conversation_id,
                                               b.conversation_id, d.conversation_id]


@pytest.mark.bridge_settings(auto_assign=False, default_handle_seconds=180)
async def test_positions_and_expected_waits_are_pushed_when_they_change(harness):
    agent = await harness.agent("agent-q2", max_concurrent=1)
    first, second, third = [await harness.customer() for _ in range(3)]
    assert (await harness.handover(first))["eta_seconds"] == 0         # a free slot: right away
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
    await wait_for(lambda: _text_is(harness, customer,
                                    "让您久等了，实在抱歉。如果不方便继续等待，您可以留言，我们会尽快联系您。"),
                   timeout=6)
    await asyncio.sleep(1.2)
    offers = [m for m in (await harness.history(customer))["messages"]
              if (m.get("payload") or {}).get("type") == "ticket_offer"]
    assert len(offers) == 1


@pytest.mark.bridge_settings(auto_assign=True)
async def test_auto_assignment_goes_to_the_least_loaded_agent_with_the_skill(harness):
    logistics = await harness.agent("agent-l1", skills=["logistics"], max_concurrent=2)
    busy = await harness.agent("agent-l2", skills=["logistics", "billing"], max_concurrent=2)
    billing = await harness.customer()
    await harness.handover(billing, category="账单")                 # only agent-l2 has billing
    parcel_1, parcel_2, parcel_3 = [await harness.customer() for _ in range(3)]
    for customer in (parcel_1, parcel_2, parcel_3):
        await harness.handover(customer, category="物流")
    mine = {a.username: [c["conversation_id"] for c in
                         (await harness.agent_call(a, "GET", "/conversations")).json()["items"]]
            for a in (logistics, busy)}
    assert mine["agent-l2"][0] == billing.conversation_id
    assert sorted(len(v) for v in mine.values()) == [2, 2]            # balanced, capacity respected
    assert await harness.state(parcel_3) == "assigned" or await harness.state(parcel_2) == "assigned"
    queued = (await harness.agent_call(logistics, "GET", "/queue")).json()["items"]
    assert len(queued) == 0 or queued[0]["category"] == "物流"
