"""jieli_contract at the bridge: GET /api/contract serves the pages' labels (cacheable), and every
POST /api/handovers is checked against the handover schema (422 invalid_handover, naming the field)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest

import jieli_contract as contract
from handover_bridge.domain import handover_claims, handover_schema

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "handover"


@pytest.mark.asyncio
async def test_the_contract_is_served_and_cacheable(harness):
    response = await harness.http.get("/api/contract")
    assert response.status_code == 200
    assert response.json() == contract.as_public_json()
    assert "max-age" in response.headers["cache-control"]
    again = await harness.http.get("/api/contract", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "body,field",
    [
        ({"reason": "customer_request"}, "reason"),
        ({"context": {"version": 2}}, "context.version"),
        ({"context": {"transcript": [{"sender": "robot", "text": "hi"}]}}, "context.transcript[0].sender"),
        ({"context": {"signals": {"observed": [{"name": "explicit_request"}]}}}, "context.signals.observed[0]"),
        ({"context": {"frustration": 1.5}}, "context.frustration"),
        ({"priority": "very"}, "priority"),
    ],
)
@pytest.mark.asyncio
async def test_a_body_that_is_not_a_handover_is_refused_with_422(harness, body, field):
    customer = await harness.customer()
    answer = await harness.handover(customer, expect=422, **body)
    assert answer["error"]["code"] == "invalid_handover"
    assert field + ":" in answer["error"]["message"]
    assert await harness.state(customer) == "bot"


def test_the_bridges_own_context_and_the_golden_contexts_match_the_schema():
    stored = [handover_claims.StoredText(1, "我要退货 订单2024111500034503"), handover_claims.StoredText(2, "/x", "/x")]
    summary, context = handover_claims.bridge_context(stored, {1: "2026-01-01T00:00:00+00:00"})
    body = {"conversation_id": "c1", "reason": context["reason"], "summary": summary, "context": context}
    assert handover_schema.problems(body) == []
    golden = sorted(GOLDEN.glob("*.json"))
    assert len(golden) >= 8
    validator = jsonschema_rs.Draft202012Validator(contract.handover_schema())
    for path in golden:
        body = json.loads(path.read_text(encoding="utf-8"))["body"]
        assert handover_schema.problems(body) == [], path.name
        assert validator.is_valid(body)


def test_the_api_description_and_the_console_types_follow_the_contract():
    from handover_bridge.api.openapi import description

    body = description()["paths"]["/api/handovers"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["reason"]["enum"] == list(contract.HANDOVER_REASONS)
    assert "422" in description()["paths"]["/api/handovers"]["post"]["responses"]
    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_contract_js.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
