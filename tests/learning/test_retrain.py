"""The whole loop: a question the bot misses → a real handover through the bridge → the agent
answers and closes (intent + 「答复可复用」) → the designer edits and accepts → export into a copy
of the project → `rasa data validate` → `rasa train` → the bot now answers the question (and a
paraphrase it never saw) with the agent's words.

About five minutes: one full `rasa train` of the copy (the repository's data and model are never
touched). Needs the trained model of the repository for the "before" (make test-learning trains it).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bridge.conftest import PASSWORD, AgentClient, Store, start_harness, stop_harness

from .rasa_project import KNOWN_NOTICE, MODEL, ROOT, Project, bot_replies, need_rasa

pytestmark = pytest.mark.asyncio

QUESTION = "你们有实体店吗"
PARAPHRASES = ["请问你们有实体店吗？", "你们家有没有线下店"]
ANSWER = "我们目前只有线上店铺，暂时没有线下实体店，也不支持到店自提 🙏 下单后从杭州仓发货，江浙沪一般 1–2 天就能收到。"
CONTEXT = {
    "version": 1,
    "problem": {"text": QUESTION, "messages": [{"turn": 1, "text": QUESTION}]},
    "intents": [
        {"turn": 1, "intent": "product_info", "confidence": 0.98},
        {"turn": 2, "intent": "request_human", "confidence": 1.0},
    ],
}


def about_stores(reply: dict) -> bool:
    return any(word in reply["said"] for word in ("实体店", "线下", "门店"))


async def login(harness, username: str, roles: list[str]) -> AgentClient:
    created = await harness.bridge.agents.create(username, PASSWORD, display_name=username, skills=["*"], roles=roles)
    response = await harness.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return AgentClient(username, response.json()["token"], created.id)


async def teach(tmp_path: Path, project: Project) -> int:
    """The bridge part, through its HTTP API: returns the accepted candidate's id."""
    store = Store("sqlite", f"sqlite:///{tmp_path / 'bridge.db'}")
    harness = await start_harness(store, auto_assign=False, training_data_dir=str(project.nlu_dir))
    try:
        harness.fake.handover_body = {
            "category": "其他",
            "reason": "request_human",
            "summary": f"客户诉求：{QUESTION}",
            "context": CONTEXT,
        }
        agent = await login(harness, "li", ["agent"])
        designer = await login(harness, "chen", ["agent", "designer"])
        await harness.presence(agent, "online")

        customer = await harness.customer({"customer_id": "u-store"})
        await harness.say(customer, QUESTION)
        assert (await harness.say(customer, "转人工"))["state"] == "queued"
        cid = customer.conversation_id
        await harness.agent_call(agent, "POST", f"/conversations/{cid}/accept")
        await harness.agent_call(
            agent, "POST", f"/conversations/{cid}/messages", json={"text": "您好，我是客服小李", "client_msg_id": "a1"}
        )
        await harness.say(customer, "想去店里看看实物，有线下门店吗")
        await harness.agent_call(
            agent, "POST", f"/conversations/{cid}/messages", json={"text": ANSWER, "client_msg_id": "a2"}
        )
        closed = (
            await harness.agent_call(
                agent,
                "POST",
                f"/conversations/{cid}/close",
                json={"return_to_bot": True, "resolution": "已解决", "intent": "product_info", "reusable": True},
            )
        ).json()
        candidate_id = closed["review_candidate"]

        queue = (await harness.agent_call(designer, "GET", "/review/candidates")).json()["items"]
        [item] = [i for i in queue if i["id"] == candidate_id]
        assert item["examples"] == [QUESTION, "想去店里看看实物，有线下门店吗"] and item["answer"] == ANSWER
        # the designer adds two phrasings of their own and accepts
        await harness.agent_call(
            designer,
            "POST",
            f"/review/candidates/{candidate_id}/accept",
            json={"examples": [*item["examples"], "有没有线下门店", "可以去你们店里买吗"]},
        )
        preview = (await harness.agent_call(designer, "POST", "/review/export", json={"dry_run": True})).json()
        assert preview["faqs"] == 1 and not project.learned.exists()
    finally:
        await stop_harness(harness)
    return candidate_id


async def test_after_export_and_retraining_the_bot_answers_what_it_missed(tmp_path):
    need_rasa()
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test-learning does)")

    # before: the bot does not know (it gives the product overview, nothing about shops)
    before = await asyncio.to_thread(bot_replies, MODEL, QUESTION, *PARAPHRASES)
    assert not any(about_stores(r) for r in before), before

    project = Project.copy(tmp_path / "project")
    candidate_id = await teach(tmp_path, project)

    # `make export-training` = python -m handover_bridge export-training, on the same store
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIELI_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "JIELI_DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.db'}",
            "JIELI_TRAINING_DATA_DIR": str(project.nlu_dir),
            "JIELI_LOG_LEVEL": "WARNING",
        }
    )
    export = subprocess.run(
        [sys.executable, "-m", "handover_bridge", "export-training"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert export.returncode == 0, export.stderr
    assert "1 FAQ answers; 1 candidates newly exported" in export.stdout, export.stdout
    text = project.learned.read_text(encoding="utf-8")
    assert f"candidate: {candidate_id}" in text and ANSWER in text

    validated = await asyncio.to_thread(project.validate)
    output = validated.stdout + validated.stderr
    assert validated.returncode == 0, output[-4000:]
    assert all(KNOWN_NOTICE in line for line in output.splitlines() if "UserWarning" in line)

    model = await asyncio.to_thread(project.train)
    after = await asyncio.to_thread(bot_replies, model, QUESTION, *PARAPHRASES, "客服几点上班", "我要退款")
    for reply in after[:3]:
        assert reply["intent"] == "faq" and reply["actions"] == ["utter_faq"], reply
        assert reply["said"] == ANSWER, reply
    # what the bot knew still works: a seed FAQ, and a topic answered by its action
    assert after[3]["response_key"] == "faq/service_hours" and "9:00–22:00" in after[3]["said"]
    assert after[4]["intent"] == "refund" and after[4]["actions"] == ["action_refund"], after[4]
