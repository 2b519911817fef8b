"""Authorisation, input limits and rate limits."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio


def error_code(response) -> str:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]["code"]


async def test_customer_tokens_open_only_their_own_conversation(harness):
    mine, theirs = await harness.customer(), await harness.customer()
    await harness.say(theirs, "私密信息")
    url = f"{theirs.base}/messages"
    no_token = await harness.http.get(url)
    assert no_token.status_code == 401 and error_code(no_token) == "unauthorized"
    forged = await harness.http.get(url, headers={"Authorization": "Bearer forged-token"})
    assert forged.status_code == 404 and error_code(forged) == "not_found"
    other = await harness.http.get(url, headers=mine.headers)
    assert other.status_code == 404 and "私密信息" not in other.text
    for path in ("/messages", "/cancel-wait", "/ticket", "/rating", "/typing"):
        response = await harness.http.post(f"{theirs.base}{path}", headers=mine.headers, json={"text": "x"})
        assert response.status_code == 404, path
    unknown = await harness.http.get(f"/api/conversations/{'f' * 32}/messages", headers=mine.headers)
    assert unknown.status_code == 404


async def test_agent_endpoints_need_an_agent_token(harness):
    customer = await harness.customer()
    for headers in ({}, customer.headers, {"Authorization": "Bearer forged"}):
        for method, path in (
            ("GET", "/api/agent/queue"),
            ("GET", "/api/agent/tickets"),
            ("POST", f"/api/agent/conversations/{customer.conversation_id}/accept"),
        ):
            response = await harness.http.request(method, path, headers=headers)
            assert response.status_code == 401, (path, headers)
    bad_login = await harness.http.post("/api/agent/login", json={"username": "nobody", "password": "whatever1"})
    assert bad_login.status_code == 401 and error_code(bad_login) == "invalid_credentials"
    agent = await harness.agent("agent-s1", online=False)
    await harness.agent_call(agent, "POST", "/logout")
    response = await harness.http.get("/api/agent/queue", headers=agent.headers)
    assert response.status_code == 401


async def test_action_endpoint_needs_the_action_token(harness):
    customer = await harness.customer()
    body = {"conversation_id": customer.conversation_id}
    assert (await harness.http.post("/api/handovers", json=body)).status_code == 401
    wrong = await harness.http.post("/api/handovers", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    agent = await harness.agent("agent-s2", online=False)
    assert (await harness.http.post("/api/handovers", json=body, headers=agent.headers)).status_code == 401
    assert (await harness.http.post("/api/handovers", json=body, headers=customer.headers)).status_code == 401
    assert await harness.state(customer) == "bot"


async def test_oversize_and_malformed_input_get_a_clear_4xx(harness):
    customer = await harness.customer()
    url = f"{customer.base}/messages"
    too_long = await harness.http.post(url, headers=customer.headers, json={"text": "长" * 2001})
    assert too_long.status_code == 413 and error_code(too_long) == "message_too_large"
    assert "2000" in too_long.json()["error"]["message"]
    exactly = await harness.http.post(url, headers=customer.headers, json={"text": "长" * 2000})
    assert exactly.status_code == 200
    huge = await harness.http.post(url, headers=customer.headers, content=b'{"text": "' + b"a" * 70_000 + b'"}')
    assert huge.status_code == 413 and error_code(huge) == "request_too_large"
    malformed = await harness.http.post(url, headers=customer.headers, content=b'{"text": ')
    assert malformed.status_code == 400 and error_code(malformed) == "invalid_json"
    not_object = await harness.http.post(url, headers=customer.headers, json=["text"])
    assert not_object.status_code == 400 and error_code(not_object) == "invalid_json"
    empty = await harness.http.post(url, headers=customer.headers, json={"text": "   "})
    assert empty.status_code == 400 and error_code(empty) == "empty_message"
    wrong_type = await harness.http.post(url, headers=customer.headers, json={"text": 42})
    assert wrong_type.status_code == 400
    long_id = await harness.http.post(url, headers=customer.headers, json={"text": "hi", "client_msg_id": "x" * 65})
    assert long_id.status_code == 400 and error_code(long_id) == "invalid_client_msg_id"
    bad_metadata = await harness.http.post("/api/conversations", json={"metadata": "vip"})
    assert bad_metadata.status_code == 400
    bad_after = await harness.http.get(url, params={"after": "x"}, headers=customer.headers)
    assert bad_after.status_code == 400
    rating = await harness.http.post(f"{customer.base}/rating", headers=customer.headers, json={"score": 6})
    assert rating.status_code == 400 and error_code(rating) == "invalid_score"
    missing = await harness.http.get("/no/such/page")
    assert missing.status_code == 404 and error_code(missing) == "not_found"


@pytest.mark.bridge_settings(rate_conversation_per_min=60, rate_conversation_burst=3)
async def test_per_conversation_rate_limit(harness):
    customer = await harness.customer()
    for i in range(3):
        await harness.say(customer, f"第{i}条")
    limited = await harness.http.post(
        f"{customer.base}/messages", headers=customer.headers, json={"text": "再来", "client_msg_id": "r-x"}
    )
    assert limited.status_code == 429 and error_code(limited) == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    other = await harness.customer()  # another conversation is not affected
    await harness.say(other, "你好")


@pytest.mark.bridge_settings(rate_ip_per_min=60, rate_ip_burst=5)
async def test_per_ip_rate_limit(harness):
    statuses = [(await harness.http.post("/api/conversations", json={})).status_code for _ in range(7)]
    assert statuses[:5] == [201] * 5 and statuses[5:] == [429, 429]
    metrics = (await harness.http.get("/metrics")).text
    assert 'jieli_rate_limited_total{scope="ip"} 2.0' in metrics


async def test_cors_preflight_for_allowed_origins_only(harness):
    allowed = await harness.http.options("/api/conversations", headers={"Origin": "http://shop.test"})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "http://shop.test"
    denied = await harness.http.options("/api/conversations", headers={"Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in denied.headers
    created = await harness.http.post("/api/conversations", json={}, headers={"Origin": "http://shop.test"})
    assert created.headers["access-control-allow-origin"] == "http://shop.test"
    assert created.headers["x-content-type-options"] == "nosniff"
