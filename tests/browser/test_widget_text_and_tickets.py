"""The widget and the console in a real browser: a script payload is shown as text everywhere; no
console errors on any page; tickets, canned replies and presence work."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import expect

from .conftest import DESKTOP, PageWatch, shot
from .pages import XSS, W, conversation_id, login_console, open_shop, open_widget, queue_item, say

# ---- 3. a script payload is text -----------------------------------------------------------------


def test_script_payload_is_shown_as_text(bridge, contexts):
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    agent = contexts(DESKTOP).new_page()
    console_watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent1")

    open_shop(shopper, bridge)
    open_widget(shopper)
    say(shopper, XSS, "没完全理解")
    say(shopper, "转人工")
    cid = conversation_id(shopper)
    queue_item(agent, cid).locator(".q-accept").click()
    expect(agent.locator("#bot-messages .msg-customer .text").first).to_have_text(XSS)
    say(shopper, XSS)
    expect(agent.locator("#live-messages .msg-customer .text").last).to_have_text(XSS)
    # the payload is text: no element was created from it, and no dialog fired
    assert agent.locator("#view-chat img, #view-chat script").count() == 0
    assert shopper.locator(W + ".jl-log img").count() == 0
    expect(shopper.locator(W + ".jl-msg--customer .jl-bubble").first).to_have_text(XSS)
    time.sleep(0.3)  # an onerror handler would have fired by now

    # this time the bot asks for the rating with its own buttons: they are a rating too
    bridge.fake.known_intents.add("request_rating")
    agent.locator("#close-open").click()
    agent.locator("#close-confirm").click()
    rating = shopper.locator(W + ".jl-msg--bot .jl-rating")
    expect(rating).to_be_visible()
    rating.locator('.jl-star[data-score="4"]').click()
    expect(shopper.locator(W + ".jl-msg--bot").last).to_contain_text("感谢您的评价！还有什么可以帮您？")
    expect(shopper.locator(W + ".jl-msg--customer .jl-bubble").last).to_have_text("4")
    assert (
        bridge.transcript(cid)
        and bridge.agent_call(bridge.agent_token("agent1"), "GET", f"/conversations/{cid}")["handover"]["rating"] == 4
    )
    shop_watch.assert_clean()
    console_watch.assert_clean()


# ---- 4. no console errors; tickets, canned replies, presence ----------------------------------------


def test_pages_have_no_console_errors_and_tickets_work(bridge, contexts):
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    open_shop(shopper, bridge)
    shopper.locator("#add-to-cart").click()
    expect(shopper.locator("#cart-count")).to_have_text("1")
    open_widget(shopper)
    shopper.locator(W + ".jl-close").click()
    expect(shopper.locator(W + ".jl-panel")).to_be_hidden()
    open_widget(shopper)
    say(shopper, "我的药什么时候发货", "订单号")
    # nobody online: 转人工 offers the leave-a-message form
    shopper.locator(W + ".jl-human").click()
    form = shopper.locator(W + ".jl-ticket")
    expect(form).to_be_visible()
    expect(shopper.locator(W + ".jl-queue")).to_contain_text("当前暂无客服在线")
    form.locator("input").fill("13800138000")
    form.locator("textarea").fill("药一直没发货，请尽快联系我")
    form.locator("button[type=submit]").click()
    expect(shopper.locator(W + ".jl-log")).to_contain_text("您的留言已收到")
    expect(shopper.locator(W + ".jl")).to_have_attribute("data-state", "ticket")

    agent = contexts(DESKTOP).new_page()
    console_watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent2")
    agent.locator(".tab[data-view=tickets]").click()
    ticket = agent.locator(".ticket", has_text="药一直没发货，请尽快联系我")
    expect(ticket).to_contain_text("13800138000")
    expect(ticket.locator(".badge")).to_have_text("待处理")
    ticket.locator(".ticket-reply").fill("已安排今天发货。")
    # another customer leaves a message while the agent is typing: the list is redrawn, the draft stays
    other = bridge.customer()
    left = httpx.post(
        f"{bridge.url}/api/conversations/{other['conversation_id']}/ticket",
        headers={"Authorization": f"Bearer {other['token']}"},
        json={"message": "能开发票吗", "contact": "13900139000"},
    )
    assert left.status_code == 201, left.text
    expect(agent.locator(".ticket")).to_have_count(2)
    expect(ticket.locator(".ticket-reply")).to_have_value("已安排今天发货。")
    ticket.locator(".ticket-answer-btn").click()
    expect(agent.locator(".ticket")).to_have_count(1)  # gone from "open"
    agent.locator("#ticket-filter").select_option("answered")
    expect(agent.locator(".ticket .badge").first).to_have_text("已回复")
    expect(shopper.locator(W + ".jl-log")).to_contain_text("已安排今天发货")
    shot(agent, "console-tickets")

    # presence switch and the canned replies editor (saved in localStorage)
    agent.locator("#presence").select_option("away")
    expect(agent.locator("#presence")).to_have_attribute("data-presence", "away")
    agent.locator("#presence").select_option("online")
    expect(agent.locator("#presence")).to_have_attribute("data-presence", "online")
    agent.locator(".tab[data-view=queue]").click()
    agent.locator("#canned-edit-top").click()
    dialog = agent.locator("#canned-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#canned-add").click()
    dialog.locator(".canned-row").last.locator(".canned-title").fill("运费")
    dialog.locator(".canned-row").last.locator(".canned-text").fill("退货运费由我们承担。")
    dialog.locator("#canned-save").click()
    expect(dialog).to_be_hidden()
    expect(agent.locator("#canned-list .canned", has_text="运费")).to_have_count(1)
    agent.reload()
    expect(agent.locator("#app")).to_be_visible()  # the session survives a reload
    expect(agent.locator("#canned-list .canned", has_text="运费")).to_have_count(1)

    shop_watch.assert_clean()
    console_watch.assert_clean()
