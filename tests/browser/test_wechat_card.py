"""A WeChat customer in the real console (Chromium): the queue item and the handover card say 微信
(a web customer's say 网页), and what the WeChat customer sent — a link with markup in its title —
is shown as text. The bridge runs in demo mode with the 微信客服 channel pointed at the simulator
(tests/wechat/simulator.py), which POSTs the encrypted, signed callbacks."""

from __future__ import annotations

import asyncio
import base64
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from handover_bridge.config import DEMO_WECHAT_AES_KEY, DEMO_WECHAT_SECRET, DEMO_WECHAT_TOKEN

from .conftest import DESKTOP, PageWatch, free_port, running_bridge
from .pages import login_console, queue_item

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from wechat.simulator import Simulator  # noqa: E402

CORP = "wwjielidemo"
# a 1×1 PNG: what 企业微信's media/get would answer for the customer's picture
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class SimThread:
    """The simulator on its own event loop in a thread (the browser tests are synchronous)."""

    def __init__(self, port: int):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sim = Simulator(CORP, DEMO_WECHAT_SECRET, DEMO_WECHAT_TOKEN, DEMO_WECHAT_AES_KEY, port=port)
        self.run(self.sim.start())

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def stop(self) -> None:
        self.run(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def wechat_bridge(tmp_path):
    port = free_port()
    sim = SimThread(port)
    extra = {"JIELI_WECHAT_CORP_ID": CORP, "JIELI_WECHAT_API_BASE": f"http://127.0.0.1:{port}"}
    try:
        with running_bridge(tmp_path, extra) as bridge:
            sim.sim.callback_url = f"{bridge.url}/channels/wechat/callback"
            yield bridge, sim
    finally:
        sim.stop()


def test_a_wechat_customer_is_marked_wechat_on_the_queue_and_the_card(wechat_bridge, contexts):
    bridge, sim = wechat_bridge
    web = bridge.customer("我要退款", "转人工")
    sim.sim.media["MEDIA_PIC_1"] = ("image/png", PNG)
    sim.sim.add_message("wmBROWSER1", "image", media_id="MEDIA_PIC_1")
    sim.sim.add_message(
        "wmBROWSER1", "link", title="<img src=x onerror=alert(1)>订单截图", url="https://shop.example/o/9"
    )
    assert sim.run(sim.sim.say("wmBROWSER1", "转人工")) == 200

    agent = contexts(DESKTOP).new_page()
    watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent1")
    expect(agent.locator(".q-item")).to_have_count(2)
    expect(queue_item(agent, web["conversation_id"]).locator(".badge.channel")).to_have_text("网页")
    wechat_item = agent.locator(".q-item", has=agent.locator(".badge.channel-wechat"))
    expect(wechat_item.locator(".badge.channel")).to_have_text("微信")

    wechat_item.locator(".q-accept").click()
    card = agent.locator("#handover-card .handover-card")
    expect(card.locator(".badge.channel")).to_have_text("微信")
    expect(agent.locator("#chat-scroll")).to_contain_text("<img src=x onerror=alert(1)>订单截图")
    assert agent.locator("#chat-scroll img").count() == 0  # the customer's markup is text, never HTML
    # the picture: a button, then a thumbnail from a blob: URL fetched with the agent's token
    expect(agent.locator("#chat-scroll")).to_contain_text("[图片] 顾客发来一张图片")
    agent.locator(".msg .media button").click()
    thumb = agent.locator(".msg .media img.thumb")
    expect(thumb).to_be_visible()
    assert thumb.get_attribute("src").startswith("blob:")
    assert agent.evaluate("() => document.querySelector('.msg .media img.thumb').naturalWidth") == 1
    watch.assert_clean()
