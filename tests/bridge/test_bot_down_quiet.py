"""Rasa down: the customer is told once, then the bridge stays quiet and keeps storing; a
bot_unavailable handover carries the bridge's own summary — the customer's own recent words and
every order number they typed — so the agent never asks again."""

from __future__ import annotations

import pytest

from handover_bridge.domain import texts

pytestmark = pytest.mark.asyncio

ORDER = "2024112000012301"  # shop/demo_orders.yml
FULL_WIDTH_ORDER = "２０２４１１１８０００４５６０４"  # 2024111800045604, typed on a phone keyboard


async def test_rasa_down_apologises_once_then_stays_quiet_and_stores_everything(harness):
    customer = await harness.customer()
    await harness.fake.stop()
    first = await harness.say(customer, "发票怎么开")
    assert [m["text"] for m in first["messages"]] == [
        "发票怎么开",
        texts.BOT_UNAVAILABLE_NO_AGENT,
        texts.NO_AGENT_TICKET,
    ]
    for text in ("在吗", "怎么没人回"):
        answer = await harness.say(customer, text)
        assert [m["text"] for m in answer["messages"]] == [text]  # stored, nothing said again
        assert answer["state"] == "bot"
    history = (await harness.history(customer))["messages"]
    assert [m["text"] for m in history if m["sender"] == "customer"] == ["发票怎么开", "在吗", "怎么没人回"]
    assert [m["text"] for m in history if m["sender"] == "system"].count(texts.BOT_UNAVAILABLE_NO_AGENT) == 1


async def test_the_bot_back_then_down_again_apologises_again_once(harness):
    customer = await harness.customer()
    harness.fake.fail = True
    await harness.say(customer, "发票怎么开")
    assert [m["text"] for m in (await harness.say(customer, "喂"))["messages"]] == ["喂"]
    harness.fake.fail = False
    assert [m["text"] for m in (await harness.say(customer, "发票怎么开"))["messages"]] == [
        "发票怎么开",
        "收到:发票怎么开",
    ]
    harness.fake.fail = True
    again = await harness.say(customer, "还有个问题")
    assert [m["text"] for m in again["messages"]][:2] == ["还有个问题", texts.BOT_UNAVAILABLE_NO_AGENT]
    assert [m["text"] for m in (await harness.say(customer, "喂喂"))["messages"]] == ["喂喂"]


@pytest.mark.bridge_settings(auto_assign=False)
async def test_bot_unavailable_handover_carries_the_customers_words_and_order_numbers(harness):
    agent = await harness.agent("agent-bd1")
    customer = await harness.customer()
    await harness.say(customer, f"我的快递三天没动了 订单号 {ORDER}")
    await harness.say(customer, f"还有订单{FULL_WIDTH_ORDER}也是")
    await harness.fake.stop()
    answer = await harness.say(customer, "你们能不能快点处理")
    assert [m["text"] for m in answer["messages"]][:2] == ["你们能不能快点处理", texts.BOT_UNAVAILABLE]
    assert answer["state"] == "queued"

    items = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    handover = next(i for i in items if i["conversation_id"] == customer.conversation_id)["handover"]
    assert handover["reason"] == "bot_unavailable"
    summary = handover["summary"]
    assert summary.startswith(f"客户诉求：我的快递三天没动了 订单号 {ORDER}；还有订单{FULL_WIDTH_ORDER}也是；")
    assert f"订单号：{ORDER}、2024111800045604" in summary
    context = handover["context"]
    assert context["order_ids"] == [ORDER, "2024111800045604"] and context["order_id"] == "2024111800045604"
    assert [m["text"] for m in context["problem"]["messages"]] == [
        f"我的快递三天没动了 订单号 {ORDER}",
        f"还有订单{FULL_WIDTH_ORDER}也是",
        "你们能不能快点处理",
    ]
    assert [t["text"] for t in context["transcript"]] == [
        f"我的快递三天没动了 订单号 {ORDER}",
        f"还有订单{FULL_WIDTH_ORDER}也是",
        "你们能不能快点处理",
    ]
    assert context["trigger"]["text"] == "你们能不能快点处理"

    # while waiting, more messages are stored and reach the card; no further apologies
    await harness.say(customer, "在吗")
    history = (await harness.history(customer))["messages"]
    assert [m["text"] for m in history].count(texts.BOT_UNAVAILABLE) == 1
