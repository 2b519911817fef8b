"""Retries are answered the same way and stored once: client_msg_id for messages (Rasa is
called once, even when the retry arrives while the first call is still running) and
Idempotency-Key for the action's handovers."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.asyncio


async def test_same_client_msg_id_twice_is_stored_once_with_the_same_replies(harness):
    customer = await harness.customer()
    first = await harness.say(customer, "查物流", client_msg_id="c-1")
    second = await harness.say(customer, "查物流", client_msg_id="c-1")
    assert first == second
    assert [m["sender"] for m in first["messages"]] == ["customer", "bot"]
    assert harness.fake.calls_for(customer.conversation_id)["查物流"] == 1
    history = await harness.history(customer)
    assert [m["seq"] for m in history["messages"]] == [1, 2]


async def test_retry_while_the_first_call_is_in_flight_waits_for_it(harness):
    harness.fake.delay = 0.6
    customer = await harness.customer()
    first, second = await asyncio.gather(
        harness.say(customer, "慢一点", client_msg_id="slow-1"), harness.say(customer, "慢一点", client_msg_id="slow-1")
    )
    assert first == second
    assert [m["text"] for m in first["messages"]] == ["慢一点", "收到:慢一点"]
    assert harness.fake.calls_for(customer.conversation_id)["慢一点"] == 1
    assert len((await harness.history(customer))["messages"]) == 2


async def test_concurrent_different_messages_get_distinct_consecutive_seqs(harness):
    customer = await harness.customer()
    await asyncio.gather(*(harness.say(customer, f"消息{i}", client_msg_id=f"p-{i}") for i in range(12)))
    seqs = [m["seq"] for m in (await harness.history(customer))["messages"]]
    assert seqs == list(range(1, 25))


async def test_handover_idempotency_key_gives_the_same_answer(harness):
    customer = await harness.customer()
    first = await harness.handover(customer, key="k-1", category="物流")
    again = await harness.handover(customer, key="k-1", category="物流")
    assert again == first
    # without the key, a second call reports the running handover
    other = await harness.handover(customer, expect=200)
    assert other["already"] is True and other["state"] == "queued"
    history = await harness.history(customer)
    assert [m["sender"] for m in history["messages"]] == ["system"]  # one notice, not three


async def test_concurrent_handovers_with_one_key_create_one_handover(harness):
    customer = await harness.customer()
    answers = await asyncio.gather(
        *(harness.handover(customer, key="same-key", expect=None) for _ in range(5)), return_exceptions=True
    )
    assert not [a for a in answers if isinstance(a, Exception)]
    assert len({a["handover_id"] for a in answers}) == 1


async def test_handover_for_unknown_conversation_is_404(harness):
    response = await harness.http.post(
        "/api/handovers",
        json={"conversation_id": "0" * 32},
        headers={"Authorization": "Bearer " + harness.settings.action_token},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.bridge_settings(auto_assign=False)
async def test_agent_reply_retried_with_the_same_client_msg_id_is_stored_once(harness):
    agent = await harness.agent("agent-i1")
    customer = await harness.customer()
    await harness.handover(customer)
    cid = customer.conversation_id
    await harness.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    first = (
        await harness.agent_call(
            agent, "POST", f"/conversations/{cid}/messages", json={"text": "您好", "client_msg_id": "ag-1"}
        )
    ).json()
    again = (
        await harness.agent_call(
            agent, "POST", f"/conversations/{cid}/messages", json={"text": "您好", "client_msg_id": "ag-1"}
        )
    ).json()
    assert first["messages"][0]["seq"] == again["messages"][0]["seq"]
    agent_messages = [m for m in (await harness.history(customer))["messages"] if m["sender"] == "agent"]
    assert len(agent_messages) == 1 and agent_messages[0]["payload"]["agent"]["id"] == agent.id
