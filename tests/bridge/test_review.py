"""Learning from agents: a review candidate from every closed handover (what the customer asked
before and during it, what the agent answered, the intent the agent tagged), the designer's review
queue (role, accept with edits, reject), and the export to Rasa training data (valid YAML, no
duplicates, deterministic, merge-safe). On SQLite and PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from handover_bridge.models import Handover, ReviewCandidate
from handover_bridge.services.learning import training_export as tx

from .conftest import PASSWORD, ROOT, AgentClient

pytestmark = pytest.mark.asyncio

STORE_ANSWER = "您好，我们目前只有线上店铺，暂时没有线下实体店，也不支持到店自提 🙏 下单后从杭州仓发货，江浙沪一般 1–2 天就能收到。"
CONTEXT = {
    "version": 1,
    "problem": {"text": "你们有实体店吗", "messages": [{"turn": 1, "text": "你们有实体店吗"}]},
    "intents": [
        {"turn": 1, "intent": "product_info", "confidence": 0.98},
        {"turn": 2, "intent": "product_info", "confidence": 0.71},
        {"turn": 3, "intent": "request_human", "confidence": 1.0},
    ],
    "transcript": [
        {"turn": 1, "sender": "customer", "text": "你们有实体店吗", "intent": "product_info"},
        {"sender": "bot", "text": "收到:你们有实体店吗"},
        {"turn": 2, "sender": "customer", "text": "我想去店里看看实物", "intent": "product_info"},
        {"turn": 3, "sender": "customer", "text": "转人工", "intent": "request_human"},
    ],
}


# ---- helpers ---------------------------------------------------------------------------------------


async def designer(harness, username: str = "designer-1") -> AgentClient:
    created = await harness.bridge.agents.create(
        username, PASSWORD, display_name="设计师", skills=["*"], roles=["agent", "designer"]
    )
    response = await harness.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return AgentClient(username, response.json()["token"], created.id)


async def handed_over_chat(harness, agent: AgentClient, before: list[str], during: list[str], replies: list[str]):
    """A customer asks the bot, is handed over (转人工), the agent accepts and answers, the
    customer says more: everything through the HTTP API."""
    harness.fake.handover_body = {
        "category": "其他",
        "reason": "request_human",
        "summary": "客户诉求：你们有实体店吗",
        "context": CONTEXT,
    }
    customer = await harness.customer()
    for text in before:
        await harness.say(customer, text)
    answer = await harness.say(customer, "转人工")
    assert answer["state"] == "queued", answer
    await harness.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept")
    for text in replies[:1]:
        await harness.agent_call(
            agent,
            "POST",
            f"/conversations/{customer.conversation_id}/messages",
            json={"text": text, "client_msg_id": f"r-{text[:4]}"},
        )
    for text in during:
        await harness.say(customer, text)
    for text in replies[1:]:
        await harness.agent_call(
            agent,
            "POST",
            f"/conversations/{customer.conversation_id}/messages",
            json={"text": text, "client_msg_id": f"r-{len(text)}"},
        )
    return customer


async def close(harness, agent, customer, expect: int = 200, **body):
    response = await harness.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/close",
        expect=expect,
        json={"return_to_bot": True, "resolution": "已解决", **body},
    )
    return response.json()


async def review(harness, who, method: str, path: str, expect: int = 200, **kwargs):
    return (await harness.agent_call(who, method, f"/review{path}", expect=expect, **kwargs)).json()


def training_copy(tmp_path: Path) -> Path:
    """The project's data/nlu in a temp folder: exports never touch the repository."""
    target = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", target, ignore=shutil.ignore_patterns(tx.GENERATED_FILE))
    return target


def export_into(harness, folder: Path) -> None:
    ctx = harness.bridge.ctx
    ctx.settings = replace(ctx.settings, training_data_dir=str(folder))


# ---- candidates from closed handovers ------------------------------------------------------------------


@pytest.mark.bridge_settings(auto_assign=False)
async def test_a_closed_handover_becomes_a_candidate(harness):
    agent = await harness.agent()
    customer = await handed_over_chat(
        harness,
        agent,
        before=["你好", "你们有实体店吗", "我想去店里看看实物", "/order_status"],
        during=["那可以到仓库自提吗？", "我的电话是13812345678", "好的 谢谢"],
        replies=["您好，我是客服，马上帮您看", STORE_ANSWER],
    )
    result = await close(harness, agent, customer, intent="product_info", reusable=True)
    assert result["state"] == "bot"
    candidate_id = result["review_candidate"]
    assert isinstance(candidate_id, int)

    boss = await designer(harness)
    listing = await review(harness, boss, "GET", "/candidates")
    assert listing["counts"]["pending"] == 1
    [item] = listing["items"]
    assert item["id"] == candidate_id
    assert item["conversation_id"] == customer.conversation_id
    # what the customer asked, before and during the handover; greetings, buttons, the request for
    # a person, personal data and pleasantries left out
    assert item["examples"] == ["你们有实体店吗", "我想去店里看看实物", "那可以到仓库自提吗？"]
    assert item["answer"] == STORE_ANSWER  # the agent's longest message
    assert item["reusable"] is True
    assert item["intent"] == "product_info" and item["intent_label"] == "商品咨询"
    assert item["bot_intent"] == "product_info"  # what the bot took it for
    assert item["status"] == "pending" and item["export_as"] == "faq"
    assert item["agent"] == {"id": agent.id, "display_name": f"客服{agent.username[-2:]}"}
    assert item["handover"]["reason"] == "request_human" and item["handover"]["closed_at"]

    async with harness.bridge.ctx.db.read() as session:
        stored = await session.get(ReviewCandidate, candidate_id)
        handover = await session.get(Handover, stored.handover_id)
    assert handover.intent == "product_info"  # tagged at close, on the handover too
    assert stored.agent_id == agent.id and stored.demo is False

    # idempotent: asking again for the same handover gives the same candidate
    again = await harness.bridge.review.create_for_handover(stored.handover_id)
    assert again.id == candidate_id


@pytest.mark.bridge_settings(auto_assign=False)
async def test_the_agent_may_choose_the_answer_and_may_tag_nothing(harness):
    agent = await harness.agent()
    customer = await handed_over_chat(
        harness,
        agent,
        before=["你们有实体店吗"],
        during=[],
        replies=["没有哦", "很长的一句寒暄，您好您好，请稍等，我这边马上帮您查询一下情况"],
    )
    result = await close(harness, agent, customer, reusable=True, answer="  我们只有网店，没有线下门店。 ")
    [item] = (await review(harness, await designer(harness), "GET", "/candidates"))["items"]
    assert item["id"] == result["review_candidate"]
    assert item["answer"] == "我们只有网店，没有线下门店。"
    assert item["intent"] is None and item["export_as"] == "faq"

    # a closed chat without a single question worth learning makes no candidate
    other = await handed_over_chat(harness, agent, before=["在吗"], during=["好的"], replies=["您好"])
    assert (await close(harness, agent, other, reusable=False))["review_candidate"] is None
    # a close that tags nothing answers as it always did, and still makes a candidate
    third = await handed_over_chat(harness, agent, before=["你们支持开箱验货吗"], during=[], replies=["支持"])
    assert await close(harness, agent, third) == {"state": "bot"}
    listing = await review(harness, await designer(harness, "designer-2"), "GET", "/candidates")
    assert [i["examples"] for i in listing["items"]][-1] == ["你们支持开箱验货吗"]


@pytest.mark.bridge_settings(auto_assign=False)
async def test_close_refuses_an_intent_the_domain_does_not_have(harness):
    agent = await harness.agent()
    customer = await handed_over_chat(harness, agent, before=["你们有实体店吗"], during=[], replies=["没有"])
    for body, code in (
        ({"intent": "shop_location"}, "unknown_intent"),
        ({"intent": "faq"}, "invalid_intent"),
        ({"intent": "nlu_fallback"}, "invalid_intent"),
        ({"intent": 3}, "invalid_intent"),
        ({"reusable": "yes"}, "invalid_close"),
        ({"answer": ["x"]}, "invalid_close"),
        ({"answer": "长" * 1001, "reusable": True}, "invalid_close"),
    ):
        error = (await close(harness, agent, customer, expect=400, **body))["error"]
        assert error["code"] == code, (body, error)
        assert error["message"]
    assert (
        "shop_location"
        in (await close(harness, agent, customer, expect=400, intent="shop_location"))["error"]["message"]
    )
    assert await harness.state(customer) == "assigned"  # nothing happened
    result = await close(harness, agent, customer, intent="refund")
    assert result["state"] == "bot" and result["review_candidate"]


async def test_intents_for_the_close_dialog(harness):
    agent = await harness.agent()
    items = (await review(harness, agent, "GET", "/intents"))["items"]  # any agent
    names = [i["name"] for i in items]
    assert names[:3] == ["order_status", "cancel_order", "change_address"]
    assert {"refund", "product_info", "out_of_scope", "request_human"} <= set(names)
    assert not {"faq", "nlu_fallback", "request_rating", "rate"} & set(names)
    assert {"name": "refund", "label": "退款"} in items


async def test_the_review_queue_needs_the_designer_role(harness):
    agent = await harness.agent()
    for method, path in (
        ("GET", "/candidates"),
        ("GET", "/candidates/1"),
        ("POST", "/candidates/1/accept"),
        ("POST", "/candidates/1/reject"),
        ("POST", "/export"),
    ):
        response = await harness.agent_call(agent, method, f"/review{path}", expect=403)
        assert response.json()["error"]["code"] == "needs_designer"
    response = await harness.http.get("/api/agent/review/candidates")
    assert response.status_code == 401
    response = await harness.http.get("/api/agent/review/intents")
    assert response.status_code == 401


# ---- review and export ------------------------------------------------------------------------------


@pytest.mark.bridge_settings(auto_assign=False)
async def test_accept_edit_reject_and_export(harness, tmp_path):
    folder = training_copy(tmp_path)
    export_into(harness, folder)
    agent = await harness.agent()
    boss = await designer(harness)

    store = await handed_over_chat(
        harness, agent, before=["你们有实体店吗", "我想去店里看看实物"], during=["客服几点上班"], replies=[STORE_ANSWER]
    )
    store_id = (await close(harness, agent, store, intent="product_info", reusable=True))["review_candidate"]
    parcel = await handed_over_chat(
        harness,
        agent,
        before=["订单2024112300012399的快递停在中转站不动了"],
        during=["快递停在中转站三天了还没动"],
        replies=["我帮您催一下快递"],
    )
    parcel_id = (await close(harness, agent, parcel, intent="order_status"))["review_candidate"]
    noise = await handed_over_chat(harness, agent, before=["随便问问你们店怎么样"], during=[], replies=["好的"])
    noise_id = (await close(harness, agent, noise, reusable=False))["review_candidate"]

    # bad input: 4xx with a message, never a 500
    for body, code in (
        ({"examples": "你们有实体店吗"}, "invalid_examples"),
        ({"examples": []}, "examples_required"),
        ({"examples": ["!"]}, "invalid_examples"),
        ({"intent": "nope"}, "unknown_intent"),
        ({"reusable": True, "answer": ""}, "answer_required"),
        ({"color": "red"}, "invalid_candidate"),
    ):
        error = (await review(harness, boss, "POST", f"/candidates/{store_id}/accept", expect=400, json=body))["error"]
        assert error["code"] == code, (body, error)
    assert (await review(harness, boss, "POST", f"/candidates/{noise_id}/accept", expect=400))["error"][
        "code"
    ] == "intent_required"
    await review(harness, boss, "POST", "/candidates/999999/accept", expect=404, json={})
    await review(harness, boss, "GET", "/candidates?status=maybe", expect=400)

    # the designer edits the phrasings and the answer, accepts; rejects the small talk
    edited = (
        await review(
            harness,
            boss,
            "POST",
            f"/candidates/{store_id}/accept",
            json={
                "examples": ["你们有实体店吗", "有没有线下门店可以逛逛", "客服几点上班", "有没有线下门店可以逛逛！"],
                "answer": STORE_ANSWER + "\n有问题随时找我们。",
                "note": "好答复",
            },
        )
    )["candidate"]
    assert edited["status"] == "accepted" and edited["reviewed_by"]["id"] == boss.id
    assert edited["examples"] == ["你们有实体店吗", "有没有线下门店可以逛逛", "客服几点上班"]  # deduplicated
    await review(harness, boss, "POST", f"/candidates/{parcel_id}/accept", json={})
    rejected = (await review(harness, boss, "POST", f"/candidates/{noise_id}/reject", json={"note": "闲聊，不用学"}))[
        "candidate"
    ]
    assert rejected["status"] == "rejected" and rejected["note"] == "闲聊，不用学"

    preview = await review(harness, boss, "POST", "/export", json={"dry_run": True})
    assert preview["dry_run"] and "faq/learned_" in preview["text"]
    assert not (folder / tx.GENERATED_FILE).exists()

    result = await review(harness, boss, "POST", "/export", json={})
    assert result["entries"] == 2 and result["faqs"] == 1 and result["marked_exported"] == 2
    # 客服几点上班 is a seed FAQ example already: skipped, not duplicated
    assert {"candidate": store_id, "example": "客服几点上班", "reason": "duplicate"}.items() <= next(
        s for s in result["skipped"] if s["example"] == "客服几点上班"
    ).items()
    text = (folder / tx.GENERATED_FILE).read_text(encoding="utf-8")
    assert text.startswith("# GENERATED by `make export-training`")
    data = yaml.safe_load(text)
    blocks = {item["intent"]: item for item in data["nlu"]}
    [faq] = [name for name in blocks if name.startswith("faq/learned_")]
    assert faq.isascii()
    assert blocks[faq]["examples"].split("\n")[:2] == ["- 你们有实体店吗", "- 有没有线下门店可以逛逛"]
    assert blocks[faq]["metadata"]["candidate"] == store_id
    assert data["responses"][f"utter_{faq}"] == [{"text": STORE_ANSWER + "\n有问题随时找我们。"}]
    assert "[2024112300012399](order_id)" in blocks["order_status"]["examples"]
    # nothing in the export is an example the training data already has
    existing = tx.existing_examples(folder)
    for item in data["nlu"]:
        for line in item["examples"].strip().split("\n"):
            assert tx.dedupe_key(line[2:]) not in existing

    listing = await review(harness, boss, "GET", "/candidates?status=exported")
    assert sorted(i["id"] for i in listing["items"]) == sorted([store_id, parcel_id])
    assert all(i["exported_at"] for i in listing["items"])

    # exporting again writes the very same file
    await review(harness, boss, "POST", "/export", json={})
    assert (folder / tx.GENERATED_FILE).read_text(encoding="utf-8") == text

    # rejecting an exported candidate takes it out of the next export
    await review(harness, boss, "POST", f"/candidates/{parcel_id}/reject", json={})
    result = await review(harness, boss, "POST", "/export", json={})
    data = yaml.safe_load((folder / tx.GENERATED_FILE).read_text(encoding="utf-8"))
    assert [item["intent"] for item in data["nlu"]] == [faq] and result["entries"] == 1


@pytest.mark.bridge_settings(auto_assign=False)
async def test_export_keeps_what_another_store_exported(harness, tmp_path):
    """A fresh database (a new demo, say) must not wipe what was learned before."""
    folder = training_copy(tmp_path)
    (folder / tx.GENERATED_FILE).write_text(
        tx.render(
            [
                tx.Entry(
                    "0123456789abcdef:7",
                    "faq/learned_01234567_7",
                    ["你们支持开箱验货吗"],
                    "支持开箱验货。",
                    {
                        "source": tx.SOURCE,
                        "candidate": 3,
                        "handover": 7,
                        "conversation": "0123456789abcdef",
                        "accepted_at": "2026-01-01T00:00:00+00:00",
                    },
                )
            ]
        ),
        encoding="utf-8",
    )
    export_into(harness, folder)
    agent = await harness.agent()
    boss = await designer(harness)
    chat = await handed_over_chat(harness, agent, before=["你们有实体店吗"], during=[], replies=[STORE_ANSWER])
    candidate = (await close(harness, agent, chat, reusable=True))["review_candidate"]
    await review(harness, boss, "POST", f"/candidates/{candidate}/accept", json={})
    result = await review(harness, boss, "POST", "/export", json={})
    data = yaml.safe_load((folder / tx.GENERATED_FILE).read_text(encoding="utf-8"))
    intents = [item["intent"] for item in data["nlu"]]
    assert intents[0] == "faq/learned_01234567_7" and len(intents) == 2 and result["faqs"] == 2
    assert data["responses"]["utter_faq/learned_01234567_7"] == [{"text": "支持开箱验货。"}]


async def test_export_without_the_training_folder_is_a_clear_error(harness, tmp_path):
    export_into(harness, tmp_path / "missing")
    boss = await designer(harness)
    error = (await review(harness, boss, "POST", "/export", expect=503, json={}))["error"]
    assert error["code"] == "training_data_unavailable" and "JIELI_TRAINING_DATA_DIR" in error["message"]
