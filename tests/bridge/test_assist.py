"""Agents' suggested replies and the one-click wrap-up (handover_bridge/services/assist/), through the
HTTP API on SQLite and PostgreSQL: the top three for the customer's own words with their source,
who may ask, what a reply did with them (stored, on /metrics, in the review queue and the
dashboard), past answers rated well or accepted by designers, the shop's files re-read when they
change, and the close dialog's pre-filled intent and summary."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace

import pytest
import yaml
from sqlalchemy import select

from handover_bridge.models import SuggestionUse

from .conftest import ROOT, AgentClient
from .test_review import close, designer, review

pytestmark = pytest.mark.asyncio

RETURN_QUESTION = "东西不想要了 退货要寄到哪个地址 收件人写谁"


async def chat_with(harness, agent: AgentClient, *messages: str):
    """A customer asks the bot, asks for a person, the agent accepts; then says ``messages``."""
    customer = await harness.customer()
    await harness.say(customer, "你好")
    answer = await harness.say(customer, "转人工")
    assert answer["state"] == "queued", answer
    await harness.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept")
    for text in messages:
        await harness.say(customer, text)
    return customer


async def suggestions(harness, agent, customer, expect: int = 200):
    response = await harness.agent_call(
        agent, "GET", f"/conversations/{customer.conversation_id}/suggestions", expect=expect
    )
    return response.json()


async def send(harness, agent, customer, text: str):
    await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/messages",
        json={"text": text, "client_msg_id": f"a-{time.monotonic_ns()}"},
    )


async def use(harness, agent, customer, expect: int = 201, **body):
    response = await harness.agent_call(
        agent, "POST", f"/conversations/{customer.conversation_id}/suggestions/usage", expect=expect, json=body
    )
    return response.json()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_top_three_for_the_customers_words_with_their_source(harness):
    agent = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    data = await suggestions(harness, agent, customer)
    items = data["items"]
    assert 1 <= len(items) <= 3
    first = items[0]
    assert first["id"] == "policy:return_exchange.return_address"
    assert (first["source"], first["source_label"], first["title"]) == ("policy", "政策", "退货地址")
    # the answer as the bot gives it: placeholders filled from the policy's shop section
    shop = yaml.safe_load((ROOT / "shop/policy.yml").read_text(encoding="utf-8"))["shop"]
    assert shop["return_address"] in first["text"] and shop["return_recipient"] in first["text"]
    assert "{" not in first["text"]
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)

    # recent messages weigh more: a new question moves the first suggestion
    await harness.say(customer, "另外小夜灯怎么恢复出厂设置")
    items = (await suggestions(harness, agent, customer))["items"]
    assert items[0]["id"] == "manual:nightlight_reset"
    assert items[0]["source_label"] == "说明书"


@pytest.mark.bridge_settings(auto_assign=False)
async def test_only_the_agent_who_has_the_chat_gets_suggestions(harness):
    agent = await harness.agent()
    other = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    path = f"/conversations/{customer.conversation_id}"
    assert (await suggestions(harness, other, customer, expect=403))["error"]["code"] == "not_your_conversation"
    await harness.agent_call(other, "GET", f"{path}/wrapup", expect=403)
    await use(harness, other, customer, expect=403, how="none", sent_text="好的")
    response = await harness.http.get(f"/api/agent{path}/suggestions")
    assert response.status_code == 401
    assert response.json()["error"]["code"]
    missing = await harness.agent_call(agent, "GET", "/conversations/c-nobody/suggestions", expect=404)
    assert missing.json()["error"]["code"] == "not_found"
    # a queued chat is nobody's yet
    waiting = await harness.customer()
    await harness.say(waiting, "转人工")
    await suggestions(harness, agent, waiting, expect=403)


@pytest.mark.bridge_settings(auto_assign=False)
async def test_what_each_reply_did_with_a_suggestion_is_stored_and_counted(harness):
    agent = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    first = (await suggestions(harness, agent, customer))["items"][0]
    before = (await harness.http.get("/metrics")).text
    shown_before = metric(before, "jieli_suggestions_shown_total")

    await send(harness, agent, customer, first["text"])
    assert (await use(harness, agent, customer, suggestion_id=first["id"], how="as_is", sent_text=first["text"]))[
        "how"
    ] == "as_is"
    edited = "您好！" + first["text"] + " 有问题随时找我。"
    await send(harness, agent, customer, edited)
    # the bridge compares the texts itself: a changed text is "edited" whatever the page says
    assert (await use(harness, agent, customer, suggestion_id=first["id"], how="as_is", sent_text=edited))[
        "how"
    ] == "edited"
    await send(harness, agent, customer, "还有别的问题吗？")
    assert (await use(harness, agent, customer, how="none", sent_text="还有别的问题吗？"))["how"] == "none"

    async with harness.bridge.ctx.db.read() as session:
        rows = list(
            await session.scalars(
                select(SuggestionUse)
                .where(SuggestionUse.conversation_id == customer.conversation_id)
                .order_by(SuggestionUse.id)
            )
        )
    assert [(r.how, r.suggestion_id, r.source, r.agent_id) for r in rows] == [
        ("as_is", first["id"], "policy", agent.id),
        ("edited", first["id"], "policy", agent.id),
        ("none", None, None, agent.id),
    ]
    assert rows[1].sent_text == edited and rows[1].suggested_text == first["text"]
    assert rows[0].handover_id is not None

    after = (await harness.http.get("/metrics")).text
    assert metric(after, "jieli_suggestions_shown_total") >= shown_before
    assert 'jieli_suggestions_used_total{how="as_is"} 1.0' in after
    assert 'jieli_suggestions_used_total{how="edited"} 1.0' in after
    assert 'jieli_suggestions_used_total{how="none"} 1.0' in after
    assert metric(after, "jieli_suggestions_shown_total") > 0


@pytest.mark.bridge_settings(auto_assign=False)
async def test_bad_usage_gets_a_clear_400_or_404(harness):
    agent = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    cases = [
        ({"how": "maybe", "sent_text": "x"}, 400, "invalid_usage"),
        ({"how": "as_is", "suggestion_id": "policy:return_exchange.return_address"}, 400, "invalid_usage"),
        ({"how": "as_is", "sent_text": "x"}, 400, "invalid_usage"),
        (
            {"how": "none", "suggestion_id": "policy:return_exchange.return_address", "sent_text": "x"},
            400,
            "invalid_usage",
        ),
        ({"how": "edited", "suggestion_id": "policy:no.such", "sent_text": "x"}, 404, "unknown_suggestion"),
        ({"how": "none", "sent_text": 5}, 400, "invalid_usage"),
        ({"how": "none", "sent_text": "x" * 5000}, 400, "invalid_usage"),
    ]
    for body, status, code in cases:
        assert (await use(harness, agent, customer, expect=status, **body))["error"]["code"] == code, body
    response = await harness.http.post(
        f"/api/agent/conversations/{customer.conversation_id}/suggestions/usage",
        headers=agent.headers,
        content=b"[1, 2]",
    )
    assert response.status_code == 400


@pytest.mark.bridge_settings(auto_assign=False, assist_refresh_seconds=0)
async def test_well_rated_and_accepted_answers_of_past_chats_are_suggested(harness):
    agent = await harness.agent()
    question = "你们的会员积分怎么兑换成礼品"
    answer = "积分可以在「我的 → 积分商城」兑换礼品，100 积分抵 1 元，每月 1 号更新可兑换的礼品。"
    past = await chat_with(harness, agent, question)
    await send(harness, agent, past, answer)
    closed = await close(harness, agent, past, intent="product_info", reusable=True, answer=answer)
    assert closed["review_candidate"]
    # not rated yet, not reviewed: not a suggestion
    now = await chat_with(harness, agent, "积分能换礼品吗 怎么兑换")
    assert all(i["source"] not in ("colleague", "reviewed") for i in (await suggestions(harness, agent, now))["items"])
    # the customer rates the past chat 5: the agent's answer becomes a colleague's answer
    rated = await harness.http.post(f"{past.base}/rating", headers=past.headers, json={"score": 5})
    assert rated.status_code in (200, 201), rated.text
    items = (await suggestions(harness, agent, now))["items"]
    colleague = [i for i in items if i["source"] == "colleague"]
    assert colleague and colleague[0]["text"] == answer and colleague[0]["source_label"] == "同事回答"
    assert items[0]["source"] == "colleague"
    # a designer accepts it: now it is 审核通过
    lead = await designer(harness)
    await review(harness, lead, "POST", f"/candidates/{closed['review_candidate']}/accept", json={})
    items = (await suggestions(harness, agent, now))["items"]
    assert items[0]["source"] == "reviewed" and items[0]["source_label"] == "审核通过"
    assert items[0]["id"] == f"reviewed:{closed['review_candidate']}"


@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_shop_edits_its_policy_and_the_next_suggestion_says_so(harness, tmp_path):
    policy = tmp_path / "policy.yml"
    shutil.copy(ROOT / "shop/policy.yml", policy)
    ctx = harness.bridge.ctx
    ctx.settings = replace(ctx.settings, policy_path=str(policy))
    harness.bridge.assist.files.policy_path = policy
    agent = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    first = (await suggestions(harness, agent, customer))["items"][0]
    assert "文一西路" in first["text"]
    text = policy.read_text(encoding="utf-8").replace("文一西路 1888 号", "文二路 99 号")
    policy.write_text(text, encoding="utf-8")
    stat = policy.stat()
    os.utime(policy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    first = (await suggestions(harness, agent, customer))["items"][0]
    assert "文二路 99 号" in first["text"] and "文一西路" not in first["text"]


@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_wrapup_prefills_intent_and_summary_and_the_close_stores_them(harness):
    agent = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    path = f"/conversations/{customer.conversation_id}"
    # before any reply: the last topic the bot recognised (the fake's context says refund), and the
    # topic of the customer's words
    early = (await harness.agent_call(agent, "GET", f"{path}/wrapup")).json()
    assert (early["intent"], early["basis"]) == ("refund", "bot")
    assert "「退货地址」" in early["resolution"] and "客服尚未答复" in early["resolution"]
    first = (await suggestions(harness, agent, customer))["items"][0]
    reply = "退货请寄到杭州售后仓，收件人接力小铺售后组，包裹里放张写订单号的纸条就好。"
    await send(harness, agent, customer, reply)
    await use(harness, agent, customer, suggestion_id=first["id"], how="edited", sent_text=reply)
    data = (await harness.agent_call(agent, "GET", f"{path}/wrapup")).json()
    assert data["intent"] == "return_exchange" and data["intent_label"] == "退换货"
    assert data["basis"] == "suggestion"
    assert data["resolution"].startswith("顾客咨询「退货地址」（顾客要求人工）。客服答复：退货请寄到杭州售后仓")
    assert "退货请寄到杭州售后仓" in data["resolution"]
    assert len(data["resolution"]) < 160
    result = await close(harness, agent, customer, resolution=data["resolution"], intent=data["intent"])
    assert result["state"] == "bot"
    # without a bot intent or a suggestion used, the customer's words decide
    harness.fake.handover_body = {**harness.fake.handover_body, "context": {"version": 1, "intents": []}}
    other = await chat_with(harness, agent, "发票抬头写错了 能改成公司的吗")
    guess = (await harness.agent_call(agent, "GET", f"/conversations/{other.conversation_id}/wrapup")).json()
    assert (guess["intent"], guess["basis"]) == ("invoice", "customer_words")
    assert result["state"] == "bot"
    async with harness.bridge.ctx.db.read() as session:
        from handover_bridge.models import Handover

        handover = await session.scalar(select(Handover).where(Handover.conversation_id == customer.conversation_id))
    assert handover.resolution == data["resolution"] and handover.intent == "return_exchange"
    # the chat is closed: no more wrap-up for it
    await harness.agent_call(agent, "GET", f"{path}/wrapup", expect=403)


@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_review_queue_and_the_dashboard_show_suggestion_use(harness):
    agent = await harness.agent()
    customer = await chat_with(harness, agent, RETURN_QUESTION)
    first = (await suggestions(harness, agent, customer))["items"][0]
    edited = first["text"] + " 寄出后告诉我单号就好。"
    await send(harness, agent, customer, edited)
    await use(harness, agent, customer, suggestion_id=first["id"], how="edited", sent_text=edited)
    await send(harness, agent, customer, "不客气～")
    await use(harness, agent, customer, how="none", sent_text="不客气～")
    closed = await close(harness, agent, customer, intent="return_exchange")
    lead = await designer(harness, "lead-1")
    item = (await review(harness, lead, "GET", f"/candidates/{closed['review_candidate']}"))["candidate"]
    assert item["suggestions_used"] == [
        {
            "how": "edited",
            "suggestion_id": first["id"],
            "source": "policy",
            "source_label": "政策",
            "title": "退货地址",
        },
        {"how": "none", "suggestion_id": None, "source": None, "source_label": None, "title": None},
    ]
    listing = await review(harness, lead, "GET", "/candidates?status=pending")
    [row] = [c for c in listing["items"] if c["id"] == closed["review_candidate"]]
    assert [u["how"] for u in row["suggestions_used"]] == ["edited", "none"]

    figures = harness.bridge.analytics
    summary = await figures.summary(figures.period(days=1))
    assert summary["suggestions"] == {
        "replies": 2,
        "as_is": 0,
        "edited": 1,
        "none": 1,
        "use_rate": 0.5,
        "as_is_rate": 0.0,
        "by_source": {"policy": 1, "manual": 0, "reviewed": 0, "colleague": 0},
    }
