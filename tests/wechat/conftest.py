"""WeChat channel tests: the real bridge (create_app() on a real port, SQLite and PostgreSQL, the
bridge tests' fake Rasa) with the channel on, pointed at the 企业微信 simulator (simulator.py)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

import pytest_asyncio

from bridge.conftest import (  # noqa: F401 - fixtures and helpers shared with the bridge tests
    ACTION_TOKEN,
    Harness,
    free_port,
    harness,
    recv_until,
    start_harness,
    stop_harness,
    store,
    wait_for,
)
from bridge.fake_rasa import FakeRasa

from .simulator import Simulator

FAQ = {"退货": "支持 7 天无理由退货，在订单页点「申请售后」即可，运费由我们承担。"}


class FaqRasa(FakeRasa):
    """The bridge tests' fake Rasa, answering a FAQ as well (and echoing anything else)."""

    async def answer(self, body: dict[str, Any]):
        from sanic.response import json as json_response

        for word, answer in FAQ.items():
            if word in body["message"] and "转人工" not in body["message"]:
                return json_response([{"recipient_id": body["sender"], "text": answer}])
        return await super().answer(body)


def wechat_secrets() -> dict[str, str]:
    alnum = string.ascii_letters + string.digits
    return {
        "corp_id": "ww" + secrets.token_hex(8),
        "secret": secrets.token_urlsafe(32),
        "token": "".join(secrets.choice(alnum) for _ in range(32)),
        "aes_key": "".join(secrets.choice(alnum) for _ in range(43)),
    }


@dataclass
class WeChatSetup:
    harness: Harness
    sim: Simulator

    @property
    def bridge(self):
        return self.harness.bridge


async def start_wechat(store, **overrides: Any) -> WeChatSetup:  # noqa: F811
    values = wechat_secrets()
    sim = Simulator(values["corp_id"], values["secret"], values["token"], values["aes_key"])
    await sim.start()
    fake = FaqRasa(free_port(), ACTION_TOKEN)
    await fake.start()
    bridge_harness = await start_harness(
        store,
        fake,
        wechat_corp_id=values["corp_id"],
        wechat_secret=values["secret"],
        wechat_token=values["token"],
        wechat_aes_key=values["aes_key"],
        wechat_api_base=sim.url,
        **overrides,
    )
    bridge_harness.own_fake = True
    sim.callback_url = f"{bridge_harness.url}/channels/wechat/callback"
    return WeChatSetup(bridge_harness, sim)


async def stop_wechat(setup: WeChatSetup) -> None:
    await stop_harness(setup.harness)
    await setup.sim.stop()


@pytest_asyncio.fixture
async def wechat(store, request):  # noqa: F811
    """The bridge with the WeChat channel on `store`. Settings: @pytest.mark.bridge_settings(…)."""
    marker = request.node.get_closest_marker("bridge_settings")
    setup = await start_wechat(store, **(marker.kwargs if marker else {}))
    try:
        yield setup
    finally:
        await stop_wechat(setup)


def pytest_configure(config):
    config.addinivalue_line("markers", "bridge_settings(**kw): JIELI_* settings for the harness bridge")
