"""The widget and the agent console in a real browser (Debian's Chromium through Playwright), against
the real bridge process and a fake Rasa: the news-report case end to end, and a verified customer.
Screenshots go to docs/screenshots/. (Reload, restart and expiry: test_widget_resilience.py; text
safety, console errors and tickets: test_widget_text_and_tickets.py.)"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PageWatch, shot
from .pages import ORDER, W, conversation_id, login_console, open_shop, open_widget, queue_item, say

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
    bridge.fake.priority = "urgent"  # as urgent as ours will be, and earlier: they stay ahead
    others = [bridge.customer("我要退货", "转人工", metadata={"customer_id": f"u-other-{n}"}) for n in range(3)]
    bridge.fake.priority = None
    expect(agent.locator(".q-item")).to_have_count(3)
    expect(agent.locator("body")).to_have_attribute("data-alerts", re.compile(r"[1-9]"))  # sound + title
    assert "新会话" in agent.title()

    # the customer on the shop page
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
    expect(card.locator(".summary")).to_contain_text("自动驳回")  # the customer's words: 客户诉求
    expect(card).to_contain_text("u20241115")  # shop metadata from Jieli.init …
    expect(card.locator(".row", has_text="顾客自述")).to_contain_text("u20241115")  # … as a claim
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
    expect(agent.locator("#chat-list .chat-item")).to_have_count(2)  # two chats at once
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
    assert conversation_id(shopper) == cid  # the running chat was logged in
    say(shopper, "人工客服")

    item = queue_item(agent, cid)
    expect(item.locator(".q-identity.verified")).to_contain_text("C1001")
    expect(item.locator(".badge.tier")).to_have_text("VIP")  # the verified tier
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
