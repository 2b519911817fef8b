"""Two real bridge processes on one PostgreSQL and Redis, 企业微信's callbacks landing on either:
one process syncs an account at a time (the lease), an agent on the other bridge answers and the
reply still reaches WeChat — every message stored once and answered once."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from bridge.conftest import PASSWORD, REDIS_URL, need_postgres, need_redis
from bridge.processes import BridgeProcess
from bridge.test_processes import create_agents

from .conftest import free_port, wait_for
from .test_wechat_crash import sim_and_rasa, stored_customer_messages  # noqa: F401 - the fixture

CUSTOMERS = 30


@pytest.mark.asyncio
async def test_callbacks_on_either_bridge_nothing_lost_or_doubled(store, sim_and_rasa, tmp_path):  # noqa: F811
    if store.kind != "postgresql":
        pytest.skip("two bridge processes share PostgreSQL")
    need_postgres()
    need_redis()
    sim, fake, values = sim_and_rasa
    env = {
        **store.env(),
        "JIELI_REDIS_URL": REDIS_URL,
        "JIELI_RASA_URL": fake.url,
        "JIELI_ACTION_SERVER_URL": fake.url,
        "JIELI_AUTO_ASSIGN": "false",
        "JIELI_WECHAT_CORP_ID": values["corp_id"],
        "JIELI_WECHAT_SECRET": values["secret"],
        "JIELI_WECHAT_TOKEN": values["token"],
        "JIELI_WECHAT_AES_KEY": values["aes_key"],
        "JIELI_WECHAT_API_BASE": sim.url,
        "JIELI_WECHAT_LEASE_SECONDS": "3",
    }
    first = BridgeProcess("bridge-a", free_port(), env, tmp_path)
    second = BridgeProcess("bridge-b", free_port(), env, tmp_path)
    await asyncio.gather(asyncio.to_thread(first.start), asyncio.to_thread(second.start))
    fake.bridge_url = first.url
    bridges = itertools.cycle([first, second])
    users = [f"wmTWO{n:03d}" for n in range(CUSTOMERS)]
    try:

        async def say(user: str, text: str) -> int:
            sim.callback_url = f"{next(bridges).url}/channels/wechat/callback"
            return await sim.say(user, text)

        for round_ in (1, 2):
            for user in users:
                sim.add_message(user, "text", content=f"{user} 第{round_}句")
            statuses = await asyncio.gather(*(say(u, f"{u} 又一句{round_}") for u in users[:10]))
            assert set(statuses) == {200}
        await wait_for(
            lambda: all(len(sim.sent[u]) >= (4 if u in users[:10] else 2) for u in users),
            timeout=90,
            interval=0.2,
            message="every answer",
        )

        # a handover answered by an agent logged in on the *other* bridge
        await say("wmTWO000", "转人工")
        [name] = await create_agents(store, 1)
        async with httpx.AsyncClient(base_url=second.url, timeout=20) as http:
            token = (await http.post("/api/agent/login", json={"username": name, "password": PASSWORD})).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            await http.post("/api/agent/presence", json={"presence": "online"}, headers=headers)

            async def queued():
                items = (await http.get("/api/agent/queue", headers=headers)).json()["items"]
                return items[0]["conversation_id"] if items else None

            cid = await wait_for(queued, timeout=15, message="the handover in the queue")
            assert (await http.post(f"/api/agent/conversations/{cid}/accept", headers=headers)).status_code == 200
            sent = await http.post(
                f"/api/agent/conversations/{cid}/messages",
                json={"text": "另一台服务器上的客服回复您", "client_msg_id": "x1"},
                headers=headers,
            )
            assert sent.status_code == 200, sent.text
        await wait_for(
            lambda: "另一台服务器上的客服回复您" in sim.texts_to("wmTWO000"), timeout=15, message="the agent's reply"
        )
        await asyncio.sleep(1.0)
        for user in users:
            answers = [t for t in sim.texts_to(user) if t.startswith("收到:")]
            assert len(answers) == len(set(answers)), f"{user} got an answer twice: {answers}"
        stored = await stored_customer_messages(store)
        assert len(stored) == 2 * CUSTOMERS + 2 * 10 + 1 and all(count == 1 for _, count in stored)
    finally:
        first.stop()
        second.stop()
