"""The order beside the chat, in the browser: the real action server (.venv-rasa) on the demo shop
answers the bridge's order panel. A customer signed in on the shop page gets their order in full on
the agent's card; an anonymous one naming the same number gets 未验证 and nothing else. The agent
cancels an order with a confirmation; the customer reads the system note."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.bridge.action_server import RASA_PY, ActionServer

from .conftest import ACTION_TOKEN, DESKTOP, IN_CI, PageWatch, shot
from .pages import ORDER, W, conversation_id, login_console, open_shop, open_widget, queue_item, say


@pytest.fixture
def shop_bridge(bridge, tmp_path):
    """The browser tests' bridge, asking a real action server for orders."""
    if not RASA_PY.exists():
        if IN_CI:
            pytest.fail(".venv-rasa is missing (make setup)")
        pytest.skip(".venv-rasa is missing (make setup)")
    server = ActionServer(tmp_path / "actions", ACTION_TOKEN)
    (tmp_path / "actions").mkdir()
    server.start()
    bridge.env["JIELI_ACTION_SERVER_URL"] = server.url
    bridge.restart()
    try:
        yield bridge
    finally:
        server.stop()


def test_the_order_panel_shows_a_verified_customers_order_and_nothing_for_an_unverified_one(shop_bridge, contexts):
    bridge = shop_bridge
    agent = contexts(DESKTOP).new_page()
    console_watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent1")

    # an anonymous customer names the news case's order: 未验证, no details
    anonymous = bridge.customer("我要退货", ORDER, "转人工")
    queue_item(agent, anonymous["conversation_id"]).locator(".q-accept").click()
    panel = agent.locator("#order-panel .order-panel")
    expect(panel.locator(f'.order[data-order-id="{ORDER}"] .badge.unverified')).to_have_text("未验证")
    expect(panel.locator(".order.verified")).to_have_count(0)
    expect(panel).not_to_contain_text("感冒灵颗粒")
    expect(panel).not_to_contain_text("78.30")
    expect(panel.locator(".order-cancel")).to_have_count(0)

    # the same order for the customer who placed it, signed in on the shop page (C1001)
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    open_shop(shopper, bridge)
    open_widget(shopper)
    say(shopper, ORDER)
    shopper.locator("#demo-login-btn").click()
    expect(shopper.locator("#login-state")).to_contain_text("C1001")
    shopper.wait_for_function("() => window.Jieli.identity && window.Jieli.identity.customer_id === 'C1001'")
    say(shopper, "人工客服")
    cid = conversation_id(shopper)
    agent.locator('.tab[data-view="queue"]').click()
    queue_item(agent, cid).locator(".q-accept").click()
    expect(agent.locator("#chat-head")).to_contain_text(cid)
    order = agent.locator(f'#order-panel .order.verified[data-order-id="{ORDER}"]')
    expect(order.locator(".badge.verified")).to_have_text("已验证 · 顾客本人订单")
    expect(order.locator(".order-items")).to_contain_text("感冒灵颗粒")
    expect(order.locator(".order-items")).to_contain_text("维生素C泡腾片")
    expect(order.locator(".order-total")).to_have_text("¥78.30")
    expect(order.locator(".order-logistics")).to_have_text("尚未发货")
    expect(order.locator(".order-refund")).to_contain_text("系统自动驳回")
    shot(agent, "console-order-panel")

    # cancel, confirmed in the panel: the shop cancels it, the customer reads the note
    order.locator(".order-cancel").click()
    order.locator(".order-cancel-confirm").click()
    expect(shopper.locator(W + ".jl-log")).to_contain_text(f"已为您取消订单 {ORDER}")
    expect(order.locator(".badge.order-status")).to_have_text("已取消")
    expect(order.locator(".order-cancel")).to_have_count(0)
    expect(agent.locator("#live-messages .msg-system", has_text=f"已为您取消订单 {ORDER}")).to_have_count(1)
    console_watch.assert_clean()
    shop_watch.assert_clean()
