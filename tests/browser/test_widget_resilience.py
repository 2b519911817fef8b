"""The widget in a real browser across a reload, a bridge restart and an expired conversation: nothing
is lost, nothing doubled, and the customer can always start again."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, PageWatch, shot
from .pages import ORDER, W, conversation_id, login_console, open_shop, open_widget, queue_item, say, widget_seqs

# ---- 2. reload and restart ------------------------------------------------------------------------


def test_reload_and_bridge_restart_lose_nothing(bridge, contexts):
    """On a 360 px phone: a reload keeps the history; a bridge restart mid-chat is survived with
    every message exactly once (counted by seq), including one sent while the widget was away."""
    phone = contexts(PHONE).new_page()
    open_shop(phone, bridge)
    open_widget(phone)
    box = phone.locator(W + ".jl-panel").bounding_box()
    assert box and box["width"] <= PHONE["width"] + 0.5, "the open widget fits a 360 px screen"
    say(phone, "我的快递到哪了", "订单号")
    say(phone, ORDER, "还没有发货")
    shot(phone, "widget-bot-phone")
    before = widget_seqs(phone)

    phone.reload()
    expect(phone.locator(W + ".jl-panel")).to_be_visible()  # it stays open across the reload
    expect(phone.locator(W + ".jl-msg[data-seq]")).to_have_count(len(before))
    assert widget_seqs(phone) == before
    expect(phone.locator(W + ".jl-log")).to_contain_text("还没有发货")

    # an agent in the console; the customer presses 转人工 and is next in line
    agent = contexts(DESKTOP).new_page()
    login_console(agent, bridge, "agent2")
    token = bridge.agent_token("agent2")
    phone.locator(W + ".jl-human").click()
    expect(phone.locator(W + ".jl-queue")).to_contain_text("正在为您转接人工客服，您是下一位")
    expect(phone.locator(W + ".jl-human")).to_be_disabled()
    shot(phone, "widget-queued-phone")
    cid = conversation_id(phone)
    queue_item(agent, cid).locator(".q-accept").click()
    agent.locator("#reply").fill("您好，我是小二，马上帮您查。")
    agent.locator("#send").click()
    expect(phone.locator(W + ".jl-msg--joined")).to_contain_text("客服 小二 已接入")
    expect(phone.locator(W + ".jl-msg--agent")).to_contain_text("马上帮您查")
    say(phone, "好的，麻烦快一点")
    expect(agent.locator("#live-messages")).to_contain_text("好的，麻烦快一点")
    shot(phone, "widget-agent-phone")

    # the bridge goes away: offline shown, input disabled (widget and console)
    bridge.stop()
    expect(phone.locator(W + ".jl")).to_have_attribute("data-online", "false")
    expect(phone.locator(W + ".jl-offline")).to_be_visible()
    expect(phone.locator(W + ".jl-input")).to_be_disabled()
    expect(agent.locator("#conn")).to_have_attribute("data-online", "false")

    # a new bridge on the same port and store; the agent writes before the widget is back
    bridge.start()
    bridge.agent_call(
        token,
        "POST",
        f"/conversations/{cid}/messages",
        json={"text": "查到了，仓库今天下午发货。", "client_msg_id": "agent-2"},
    )
    expect(phone.locator(W + ".jl")).to_have_attribute("data-online", "true", timeout=20000)
    expect(phone.locator(W + ".jl-msg--agent").last).to_contain_text("仓库今天下午发货")
    expect(agent.locator("#conn")).to_have_attribute("data-online", "true", timeout=20000)
    expect(agent.locator("#live-messages")).to_contain_text("仓库今天下午发货")
    say(phone, "收到，谢谢")
    agent.locator("#reply").fill("不客气～")
    agent.locator("#reply").press("Enter")
    expect(phone.locator(W + ".jl-msg--agent").last).to_contain_text("不客气")

    # nothing lost, nothing doubled: the widget shows exactly the stored messages, by seq
    stored = bridge.transcript(cid)
    seqs = widget_seqs(phone)
    assert seqs == [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
    shown = phone.locator(W + ".jl-msg[data-seq]").evaluate_all(
        "ns => ns.map(n => [n.dataset.sender, (n.querySelector('.jl-bubble, .jl-note') || {}).textContent || ''])"
    )
    for (sender, text), message in zip(shown, stored):
        assert sender == message["sender"]
        if message["sender"] in ("customer", "agent") and message["text"] != "/request_human":
            assert text == message["text"]
    assert phone.locator(W + ".jl-msg--pending, " + W + ".jl-msg--failed").count() == 0
    expect(agent.locator("#view-chat .msg[data-seq]")).to_have_count(len(stored))
    console_seqs = agent.locator("#view-chat .msg[data-seq]").evaluate_all("ns => ns.map(n => Number(n.dataset.seq))")
    assert sorted(console_seqs) == [m["seq"] for m in stored]
    assert agent.locator("#view-chat .msg.pending").count() == 0


# ---- 5. an expired conversation: a kind line and a way to start again ----------------------------


def test_an_expired_conversation_offers_a_new_one_and_loses_nothing(bridge, contexts):
    import sqlite3
    from datetime import datetime, timedelta, timezone

    shopper = contexts(PHONE).new_page()
    watch = PageWatch(shopper, "shop page")
    open_shop(shopper, bridge)
    open_widget(shopper)
    say(shopper, "你好", reply=re.compile(r"\S"))
    old = conversation_id(shopper)
    shown_before = widget_seqs(shopper)

    # the conversation sat idle longer than JIELI_CUSTOMER_IDLE_HOURS (72 h): its last activity is
    # moved back in the store while the bridge is down (a restart also forgets any cached token)
    bridge.stop()
    idle = (datetime.now(timezone.utc) - timedelta(hours=80)).replace(tzinfo=None)
    with sqlite3.connect(bridge.db_path) as db:
        db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (idle.strftime("%Y-%m-%d %H:%M:%S.%f"), old))
    bridge.start()

    banner = shopper.locator(W + ".jl-ended")
    expect(banner).to_be_visible(timeout=20000)
    expect(banner).to_contain_text("会话已过期，为了您的信息安全，请重新开始对话～")
    expect(shopper.locator(W + ".jl-input")).to_be_disabled()
    expect(shopper.locator(W + ".jl-input")).to_have_attribute("placeholder", re.compile("开始新的咨询"))
    expect(shopper.locator(W + ".jl-offline")).to_be_hidden()
    assert widget_seqs(shopper) == shown_before  # what was shown stays shown
    shot(shopper, "widget-expired")

    banner.locator(".jl-restart").click()
    expect(banner).to_be_hidden()
    say(shopper, "我想问一下发票", reply=re.compile(r"\S"))
    assert conversation_id(shopper) != old
    # nothing stored was lost: the old conversation is still there for the lead
    assert [m["seq"] for m in bridge.transcript(old)] == shown_before
    # Chromium's own lines about the refused handshake and the 401 are expected; nothing else
    expected = ("WebSocket connection", "status of 401", "ERR_CONNECTION_REFUSED")
    assert not [e for e in watch.errors if not any(x in e for x in expected)], watch.errors
    assert not watch.dialogs
