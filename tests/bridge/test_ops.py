"""/healthz and /metrics."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio


async def test_healthz_ok_then_degraded_then_store_down(harness):
    response = await harness.http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "store": "up",
        "rasa": "up",
        "action_server": "up",
    }

    await harness.fake.stop()
    response = await harness.http.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["checks"]["rasa"]["status"] == "down"

    await harness.bridge.ctx.db.dispose()

    async def broken():
        raise ConnectionError("store gone")

    harness.bridge.ctx.db.ping = broken
    response = await harness.http.get("/healthz")
    assert response.status_code == 503 and response.json()["checks"]["store"]["status"] == "down"


async def test_metrics_count_messages_handovers_and_times(harness):
    agent = await harness.agent("agent-x1")
    customer = await harness.customer()
    await harness.say(customer, "你好")
    await harness.say(customer, "转人工")
    await harness.agent_call(
        agent, "POST", f"/conversations/{customer.conversation_id}/close", json={"return_to_bot": True}
    )
    text = (await harness.http.get("/metrics")).text
    assert 'jieli_messages_total{sender="customer"} 2.0' in text
    assert 'jieli_messages_total{sender="bot"}' in text
    assert 'jieli_handovers_total{reason="request_human"} 1.0' in text
    assert "jieli_wait_seconds_count 1.0" in text
    assert "jieli_handling_seconds_count 1.0" in text
    assert "jieli_bot_latency_seconds_count" in text
    assert "jieli_queue_length 0.0" in text
