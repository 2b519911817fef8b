"""The agent's 客户诉求 and transcript come from what the customer really wrote (the bridge's own
store); the action's handover context is an annotation the bridge cross-checks. A forged handover
— sent with the real action token, as a forged tracker made the action server do — never puts
words in the customer's mouth nor raises the priority."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.asyncio

FORGED = "客户身份已核实，请直接退款到支付宝账户 zhifubao@example.com"


def forged_body(conversation_id: str) -> dict:
    """What a forged tracker made action_handover send (the measured attack), in the real shape."""
    return {
        "conversation_id": conversation_id,
        "reason": "complaint",
        "category": "售后",
        "priority": 9,
        "summary": f"客户诉求：{FORGED} / 订单号：2024111500034503 / 机器人已答复：还没有给出具体答复 / "
        "转人工原因：客户投诉 / 情绪：愤怒",
        "context": {
            "version": 1,
            "reason": "complaint",
            "priority": 9,
            "frustration": 0.95,
            "human_requests": 5,
            "waiting_messages": [{"seq": 1, "text": FORGED}],
            "bridge_check": {"verified": True, "notes": []},
            "problem": {"text": FORGED, "messages": [{"turn": 1, "text": FORGED}]},
            "transcript": [
                {"turn": 1, "sender": "customer", "text": FORGED},
                {"sender": "bot", "text": "好的"},
                {"turn": 2, "sender": "customer", "text": "我的快递三天没动了"},
            ],
        },
    }


async def card(harness, agent, customer) -> dict:
    items = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    return next(i for i in items if i["conversation_id"] == customer.conversation_id)["handover"]


@pytest.mark.bridge_settings(auto_assign=False)
async def test_a_forged_handover_never_shows_its_text_as_the_customers_words(harness):
    agent = await harness.agent("agent-c1", online=False)
    customer = await harness.customer()
    await harness.say(customer, "我的快递三天没动了")
    await harness.say(customer, "帮我查查")
    answer = await harness.handover(
        customer, **{k: v for k, v in forged_body(customer.conversation_id).items() if k != "conversation_id"}
    )
    assert answer["priority"] == 1  # not the 9 it claimed: nothing supports it

    handover = await card(harness, agent, customer)
    everything = json.dumps({k: v for k, v in handover.items() if k != "context"}, ensure_ascii=False)
    assert FORGED not in everything
    summary = handover["summary"]
    assert summary.startswith("客户诉求：我的快递三天没动了；帮我查查 / ")  # the customer's own words
    assert "订单号：2024111500034503" in summary  # the bot's notes stay notes
    context = handover["context"]
    assert context["problem"]["text"] == "我的快递三天没动了；帮我查查"
    assert FORGED not in json.dumps(context["problem"], ensure_ascii=False)
    assert [t["text"] for t in context["transcript"] if t["sender"] == "customer"] == ["我的快递三天没动了"]
    check = context["bridge_check"]
    assert check["verified"] is False and check["unverified_customer_texts"][0] == FORGED
    assert check["claimed_priority"] == 9 and handover["priority"] == 1
    assert "waiting_messages" not in context  # only the bridge writes what came while waiting

    # the full transcript an agent opens shows the stored messages only
    transcript = (await harness.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}")).json()
    assert FORGED not in json.dumps(transcript.get("messages"), ensure_ascii=False)


@pytest.mark.bridge_settings(auto_assign=False)
async def test_a_forged_summary_without_context_loses_its_customer_request(harness):
    agent = await harness.agent("agent-c2", online=False)
    customer = await harness.customer()
    await harness.handover(customer, summary=f"客户诉求：{FORGED}", priority=8)
    handover = await card(harness, agent, customer)
    assert handover["summary"] == "客户诉求：（客户还没有描述问题）"
    assert handover["priority"] == 1
    assert handover["context"]["bridge_check"]["notes"] == ["customer_text_not_found", "summary_request_not_found"]

    # what the customer then writes while waiting becomes the 客户诉求, as for any card without one
    await harness.say(customer, "我要开发票")
    handover = await card(harness, agent, customer)
    assert handover["summary"] == "客户诉求：我要开发票（排队时补充）"


@pytest.mark.bridge_settings(auto_assign=False)
async def test_a_true_context_keeps_its_priority_and_the_stored_wording(harness):
    agent = await harness.agent("agent-c3", online=False)
    customer = await harness.customer()
    await harness.say(customer, "我的退款  被驳回了 为什么???")
    await harness.say(customer, "/人工客服")  # reaches Rasa as "人工客服" (bot.as_text)
    await harness.say(customer, "人工客服")
    await harness.handover(
        customer,
        reason="request_human",
        category="售后",
        priority=3,
        summary="客户诉求：我的退款 被驳回了 为什么??? / 订单号：无 / 情绪：愤怒",
        context={
            "problem": {
                "text": "我的退款 被驳回了 为什么???",
                "messages": [{"turn": 1, "text": "我的退款 被驳回了 为什么???"}],
            },
            "human_requests": 2,
            "frustration": 0.9,
            "transcript": [
                {"turn": 1, "sender": "customer", "text": "我的退款  被驳回了 为什么???"},
                {"turn": 2, "sender": "customer", "text": "人工客服"},
                {"turn": 3, "sender": "customer", "text": "人工客服"},
            ],
        },
    )
    handover = await card(harness, agent, customer)
    assert handover["priority"] == 3
    assert handover["summary"] == "客户诉求：我的退款 被驳回了 为什么??? / 订单号：无 / 情绪：愤怒"
    assert handover["context"]["bridge_check"]["verified"] is True
    assert handover["context"]["problem"]["messages"][0]["seq"] == 1
    assert len(handover["context"]["transcript"]) == 3


@pytest.mark.bridge_settings(auto_assign=False)
async def test_profanity_masked_by_the_action_still_matches_and_only_the_bridge_says_the_bot_is_down(harness):
    agent = await harness.agent("agent-c4", online=False)
    customer = await harness.customer()
    await harness.say(customer, "你们这破服务退款拖了一个月")
    await harness.handover(
        customer,
        reason="bot_unavailable",
        priority=2,
        context={
            "problem": {
                "text": "你们这**务退款拖了一个月",
                "messages": [{"turn": 1, "text": "你们这**务退款拖了一个月"}],
            }
        },
    )
    handover = await card(harness, agent, customer)
    assert handover["reason"] == "request_human"  # the action cannot claim the bot is down
    assert handover["priority"] == 1
    assert handover["context"]["problem"]["text"] == "你们这破服务退款拖了一个月"
    assert handover["context"]["bridge_check"]["notes"] == ["reason_only_the_bridge_gives"]
