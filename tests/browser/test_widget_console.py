"""The widget and the agent console in a real browser (Debian's Chromium through Playwright), against
the real bridge process and a fake Rasa. Screenshots go to docs/screenshots/."""
from __future__ import annotations

import re
import time

import httpx

from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PASSWORD, PHONE, PageWatch, shot

ORDER = "2024111500034503"
W = "#jieli-widget "              # the widget's host; CSS locators pierce its (open) shadow root
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


# ---- helpers -------------------------------------------------------------------------------------

def open_shop(page: Page, bridge) -> None:
    page.goto(f"{bridge.url}/shop/")
    expect(page.locator(W + ".jl-launcher")).to_be_visible()


def open_widget(page: Page) -> None:
    if not page.locator(W + ".jl-panel").is_visible():
        page.locator(W + ".jl-launcher").click()
    expect(page.locator(W + ".jl-panel")).to_be_visible()


def say(page: Page, text: str, reply: str | re.Pattern | None = None) -> None:
    """Type as the customer and press Enter; wait for the message (and a reply containing `reply`)."""
    before = page.locator(W + ".jl-msg[data-seq]").count()
    box = page.locator(W + ".jl-input")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    expect(page.locator(W + ".jl-msg--customer[data-seq]").last).to_contain_text(text[:20])
    if reply is not None:
        expect(page.locator(W + ".jl-msg[data-seq]").nth(before + 1)).to_be_attached()
        expect(page.locator(W + ".jl-log")).to_contain_text(reply)


def widget_seqs(page: Page) -> list[int]:
    return [int(s) for s in page.locator(W + ".jl-msg[data-seq]").evaluate_all("ns => ns.map(n => n.dataset.seq)")]


def login_console(page: Page, bridge, username: str = "agent1") -> None:
    page.goto(f"{bridge.url}/console/")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-online", "true")
    expect(page.locator("#presence")).to_have_value("online")


def queue_item(page: Page, conversation_id: str):
    return page.locator(f'.q-item[data-conversation-id="{conversation_id}"]')


def conversation_id(page: Page) -> str:
    cid = page.evaluate("() => window.Jieli.conversationId")
    assert cid, "the widget has no conversation yet"
    return cid


# ---- 1. the news-report case, end to end ------------------------------------------------------------

def test_news_case_end_to_end(bridge, contexts):
    """An unshipped medicine order, a refund rejected automatically, "人工客服": the agent sees the
    order number and the summary before the first word, answers, hands back; the customer rates
    and the bot answers again."""
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    agent = contexts(DESKTOP).new_page()
    console_watch = PageWatch(agent, "console page")

    # the agent starts the shift: logged in, online; three shoppers are already waiting
    login_console(agent, bridge, "agent1")
    bridge.fake.priority = "urgent"       # as urgent as ours will be, and earlier: they stay ahead
    others = [bridge.customer("我要退货", "转人工", metadata={"customer_id": f"u-other-{n}"}) for n in range(3)]
    bridge.fake.priority = None
    expect(agent.locator(".q-item")).to_have_count(3)
    expect(agent.locator("body")).to_have_attribute("data-alerts", re.compile(r"[1-9]"))   # sound + title
    assert "新会话" in agent.title()

    # the customer on the shop page
    events = []
    open_shop(shopper, bridge)
    shopper.evaluate("""() => ["open", "message", "state", "handover", "queue"].forEach(t =>
        window.addEventListener("jieli:" + t, e => (window.__jieli = window.__jieli || []).push([t, e.detail])))""")
    open_widget(shopper)
    say(shopper, "我买的药一直没发货", "订单号")
    say(shopper, ORDER, "还没有发货")
    expect(shopper.locator(W + ".jl-msg--bot .jl-qr", has_text="申请退款")).to_be_visible()
    say(shopper, "退款申请被系统自动驳回了", "自动驳回")
    shot(shopper, "widget-bot-desktop")
    say(shopper, "你们这个破机器人根本解决不了问题！", "抱歉")
    say(shopper, "人工客服")

    # queued: the live notice with the real position and wait
    banner = shopper.locator(W + ".jl-queue")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"正在为您转接人工客服，前面还有 3 位，预计等待 \d+ 分钟"))
    expect(shopper.locator(W + ".jl")).to_have_attribute("data-state", "queued")
    shot(shopper, "widget-queued-desktop")
    cid = conversation_id(shopper)

    # the agent sees the chat in the queue, with the order number and the summary
    item = queue_item(agent, cid)
    expect(item).to_be_visible()
    expect(item.locator(".order-no")).to_have_text(ORDER)
    expect(item.locator(".q-summary")).to_contain_text("转人工原因：客户要求转人工")
    expect(item.locator(".q-summary")).to_contain_text("退款")
    expect(item).to_contain_text("已等待")
    expect(item.locator(".badge.cat")).to_have_text("售后")
    expect(item.locator(".badge.reason")).to_have_text("顾客要求人工")
    expect(item.locator(".badge.prio")).to_have_text(re.compile(r"^P\d (低|普通|高|紧急)$"))
    # Jieli.init's customer {id, tier: "vip"} is only what the page claims: no tier badge, shown as 顾客自述
    expect(item.locator(".badge.tier")).to_have_count(0)
    expect(item.locator(".q-identity.claimed")).to_have_text("顾客自述 u20241115")
    shot(agent, "console-queue")

    # someone ahead is taken: the customer's notice moves, live
    queue_item(agent, others[0]["conversation_id"]).locator(".q-accept").click()
    expect(agent.locator("#chat-list .chat-item")).to_have_count(1)
    expect(banner).to_contain_text("前面还有 2 位")

    # our customer: accept, and the handover card comes first
    agent.locator(".tab[data-view=queue]").click()
    queue_item(agent, cid).locator(".q-accept").click()
    card = agent.locator("#handover-card .handover-card")
    expect(card).to_be_visible()
    expect(card.locator(".order-no").first).to_have_text(ORDER)
    expect(card.locator(".summary")).to_contain_text("退款")
    expect(card).to_contain_text("挫败感")
    expect(card.locator(".summary")).to_contain_text("自动驳回")   # the customer's words: 客户诉求
    expect(card).to_contain_text("u20241115")                        # shop metadata from Jieli.init …
    expect(card.locator(".row", has_text="顾客自述")).to_contain_text("u20241115")   # … as a claim
    expect(card).to_contain_text("未验证")
    bot_part = agent.locator("#bot-messages")
    expect(bot_part).to_contain_text("我买的药一直没发货")
    expect(bot_part).to_contain_text("自动驳回")
    # agent protection: the turn the bot flagged abusive is masked until clicked
    masked = bot_part.locator(".masked")
    expect(masked).to_have_count(1)
    expect(masked).to_have_text("该消息可能含有不当言辞，点击查看")
    expect(bot_part).not_to_contain_text("破机器人")
    expect(agent.locator("#abuse-count")).to_have_attribute("data-count", "1")
    expect(agent.locator("#chat-list .chat-item")).to_have_count(2)   # two chats at once
    shot(agent, "console-chat")
    masked.click()
    expect(bot_part).to_contain_text("破机器人")

    # the customer sees that an agent joined
    expect(shopper.locator(W + ".jl-msg--joined")).to_contain_text("已接入")
    expect(shopper.locator(W + ".jl")).to_have_attribute("data-state", "assigned")

    # the agent replies: Shift+Enter is a new line, Enter sends
    reply = agent.locator("#reply")
    reply.fill("您好，我是小一，您的情况我都看到了。")
    expect(shopper.locator(W + ".jl-typing")).to_contain_text("客服 小一 正在输入")
    reply.press("Shift+Enter")
    reply.type("已为您加急发货，并提交退款人工复核。")
    reply.press("Enter")
    expect(agent.locator("#live-messages .msg-agent[data-seq]")).to_contain_text("已为您加急发货")
    agent_message = shopper.locator(W + ".jl-msg--agent")
    expect(agent_message).to_contain_text("您好，我是小一，您的情况我都看到了。\n已为您加急发货")
    expect(agent_message.locator(".jl-who")).to_contain_text("客服 小一")

    # the customer types: the agent sees it; the customer answers
    shopper.locator(W + ".jl-input").type("好")
    expect(agent.locator("#typing")).to_have_text("顾客正在输入…")
    shopper.locator(W + ".jl-input").type("的，谢谢")
    shopper.locator(W + ".jl-input").press("Enter")
    expect(agent.locator("#live-messages .msg-customer")).to_contain_text("好的，谢谢")
    shot(shopper, "widget-agent-desktop")

    # several chats at once: the other one gets an unread count, and can be transferred
    bridge.say(others[0], "还在吗？")
    other_id = others[0]["conversation_id"]
    other = agent.locator(f'#chat-list .chat-item[data-conversation-id="{other_id}"]')
    expect(other.locator(".unread")).to_have_text("1")
    other.locator(".chat-open").click()
    expect(other.locator(".unread")).to_have_count(0)
    expect(agent.locator("#live-messages")).to_contain_text("还在吗？")
    agent.locator("#transfer-open").click()
    agent.locator("#transfer-category").select_option("物流")
    agent.locator("#transfer-confirm").click()
    expect(other).to_have_count(0)
    expect(queue_item(agent, other_id)).to_contain_text("物流")
    agent.locator(f'#chat-list .chat-item[data-conversation-id="{cid}"] .chat-open').click()

    # close with "return to bot"
    agent.locator("#close-open").click()
    expect(agent.locator("#close-return")).to_be_checked()
    agent.locator("#close-confirm").click()
    expect(agent.locator(f'#chat-list .chat-item[data-conversation-id="{cid}"]')).to_have_count(0)

    # the customer is asked for a rating, rates, and the bot answers again
    rating = shopper.locator(W + ".jl-rating")
    expect(rating).to_be_visible()
    expect(shopper.locator(W + ".jl")).to_have_attribute("data-state", "bot")
    rating.locator('.jl-star[data-score="5"]').click()
    expect(shopper.locator(W + ".jl-log")).to_contain_text("感谢您的评价")
    say(shopper, "对了，发票怎么开？", "申请开票")
    transcript = bridge.agent_call(bridge.agent_token("agent1"), "GET", f"/conversations/{cid}")
    assert transcript["handover"]["rating"] == 5
    assert transcript["state"] == "bot"

    # typed CustomEvents reached the page
    kinds = {kind for kind, _ in shopper.evaluate("() => window.__jieli")}
    assert {"open", "message", "state", "handover", "queue"} <= kinds
    phases = [d["phase"] for k, d in shopper.evaluate("() => window.__jieli") if k == "handover"]
    assert "queued" in phases and "agent_joined" in phases and "ended" in phases

    shop_watch.assert_clean()
    console_watch.assert_clean()


# ---- 1b. a verified customer (the demo shop's 模拟登录) -----------------------------------------------

def test_demo_login_shows_the_agent_a_verified_customer(bridge, contexts):
    """A customer chats, then logs in on the shop page: the same conversation is verified, and the
    agent sees 已验证身份 (id, tier, name) apart from what the page claimed (顾客自述). Logging out
    starts a new, anonymous conversation."""
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    agent = contexts(DESKTOP).new_page()
    login_console(agent, bridge, "agent1")
    open_shop(shopper, bridge)
    expect(shopper.locator("#login-state")).to_contain_text("未登录")
    open_widget(shopper)
    say(shopper, "你好")
    cid = conversation_id(shopper)
    shopper.locator("#demo-login-btn").click()
    expect(shopper.locator("#login-state")).to_contain_text("已登录：王女士（C1001 · VIP）")
    shopper.wait_for_function("() => window.Jieli.identity && window.Jieli.identity.customer_id === 'C1001'")
    assert conversation_id(shopper) == cid                           # the running chat was logged in
    say(shopper, "人工客服")

    item = queue_item(agent, cid)
    expect(item.locator(".q-identity.verified")).to_contain_text("C1001")
    expect(item.locator(".badge.tier")).to_have_text("VIP")           # the verified tier
    item.locator(".q-accept").click()
    card = agent.locator("#handover-card .handover-card")
    verified = card.locator(".row", has_text="已验证身份")
    expect(verified).to_contain_text("C1001")
    expect(verified).to_contain_text("王女士")
    expect(verified).to_contain_text("VIP")
    expect(card.locator(".row", has_text="顾客自述")).to_contain_text("u20241115")
    expect(agent.locator("#chat-head .chat-title strong")).to_have_text("王女士 ✓")

    shopper.locator("#demo-logout-btn").click()
    expect(shopper.locator("#login-state")).to_contain_text("未登录")
    assert shopper.evaluate("() => window.Jieli.conversationId") is None
    shop_watch.assert_clean()


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
    expect(phone.locator(W + ".jl-panel")).to_be_visible()           # it stays open across the reload
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
    bridge.agent_call(token, "POST", f"/conversations/{cid}/messages",
                      json={"text": "查到了，仓库今天下午发货。", "client_msg_id": "agent-2"})
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
        "ns => ns.map(n => [n.dataset.sender, (n.querySelector('.jl-bubble, .jl-note') || {}).textContent || ''])")
    for (sender, text), message in zip(shown, stored):
        assert sender == message["sender"]
        if message["sender"] in ("customer", "agent") and message["text"] != "/request_human":
            assert text == message["text"]
    assert phone.locator(W + ".jl-msg--pending, " + W + ".jl-msg--failed").count() == 0
    expect(agent.locator("#view-chat .msg[data-seq]")).to_have_count(len(stored))
    console_seqs = agent.locator("#view-chat .msg[data-seq]").evaluate_all("ns => ns.map(n => Number(n.dataset.seq))")
    assert sorted(console_seqs) == [m["seq"] for m in stored]
    assert agent.locator("#view-chat .msg.pending").count() == 0


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
    time.sleep(0.3)                   # an onerror handler would have fired by now

    # this time the bot asks for the rating with its own buttons: they are a rating too
    bridge.fake.known_intents.add("request_rating")
    agent.locator("#close-open").click()
    agent.locator("#close-confirm").click()
    rating = shopper.locator(W + ".jl-msg--bot .jl-rating")
    expect(rating).to_be_visible()
    rating.locator('.jl-star[data-score="4"]').click()
    expect(shopper.locator(W + ".jl-msg--bot").last).to_contain_text("感谢您的评价！还有什么可以帮您？")
    expect(shopper.locator(W + ".jl-msg--customer .jl-bubble").last).to_have_text("4")
    assert bridge.transcript(cid) and bridge.agent_call(
        bridge.agent_token("agent1"), "GET", f"/conversations/{cid}")["handover"]["rating"] == 4
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
    left = httpx.post(f"{bridge.url}/api/conversations/{other['conversation_id']}/ticket",
                      headers={"Authorization": f"Bearer {other['token']}"},
                      json={"message": "能开发票吗", "contact": "13900139000"})
    assert left.status_code == 201, left.text
    expect(agent.locator(".ticket")).to_have_count(2)
    expect(ticket.locator(".ticket-reply")).to_have_value("已安排今天发货。")
    ticket.locator(".ticket-answer-btn").click()
    expect(agent.locator(".ticket")).to_have_count(1)                # gone from "open"
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
    expect(agent.locator("#app")).to_be_visible()                    # the session survives a reload
    expect(agent.locator("#canned-list .canned", has_text="运费")).to_have_count(1)

    shop_watch.assert_clean()
    console_watch.assert_clean()


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
        db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                   (idle.strftime("%Y-%m-%d %H:%M:%S.%f"), old))
    bridge.start()

    banner = shopper.locator(W + ".jl-ended")
    expect(banner).to_be_visible(timeout=20000)
    expect(banner).to_contain_text("会话已过期，为了您的信息安全，请重新开始对话～")
    expect(shopper.locator(W + ".jl-input")).to_be_disabled()
    expect(shopper.locator(W + ".jl-input")).to_have_attribute("placeholder", re.compile("开始新的咨询"))
    expect(shopper.locator(W + ".jl-offline")).to_be_hidden()
    assert widget_seqs(shopper) == shown_before                 # what was shown stays shown
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
