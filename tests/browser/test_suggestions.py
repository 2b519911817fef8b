"""Suggested replies and the one-click wrap-up in the agent console, in a real browser against the real
bridge process: the agent opens a handed-over chat, sees three suggestions with their source, clicks
one (it lands in the reply box, nothing is sent), edits it and sends; the customer's widget gets the
edited text; the bridge recorded the reply as "edited"; the close dialog is pre-filled with the intent
and a summary. Screenshot: docs/screenshots/console-suggestions.png."""

from __future__ import annotations

import re
import sqlite3
import time

import httpx
from playwright.sync_api import expect

from .conftest import DESKTOP, PageWatch, shot
from .pages import XSS, W, conversation_id, login_console, open_shop, open_widget, queue_item, say
from .test_review import login

QUESTION = "东西不想要了 退货要寄到哪个地址 收件人写谁"


def test_an_agent_edits_a_suggested_reply_and_the_close_is_prefilled(bridge, contexts):
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    agent = contexts(DESKTOP).new_page()
    console_watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent1")

    open_shop(shopper, bridge)
    open_widget(shopper)
    say(shopper, QUESTION)
    say(shopper, "人工客服")
    expect(shopper.locator(W + ".jl")).to_have_attribute("data-state", "queued")
    cid = conversation_id(shopper)
    queue_item(agent, cid).locator(".q-accept").click()

    # the strip: three suggestions, each with its source and topic, best first
    strip = agent.locator("#suggestions")
    expect(strip).to_be_visible()
    cards = strip.locator(".suggestion")
    expect(cards).to_have_count(3)
    first = cards.first
    expect(first).to_have_attribute("data-suggestion-id", "policy:return_exchange.return_address")
    expect(first.locator(".badge")).to_have_text("政策")
    expect(first.locator(".suggestion-title")).to_have_text("退货地址")
    expect(first.locator(".suggestion-text")).to_contain_text("文一西路 1888 号")
    shot(agent, "console-suggestions")

    # one click puts it in the reply box; nothing is sent
    reply = agent.locator("#reply")
    first.click()
    expect(reply).to_have_value(re.compile(r"^退货请寄：.*文一西路 1888 号"))
    expect(first).to_have_class(re.compile(r"\bpicked\b"))
    expect(agent.locator("#live-messages .msg-agent")).to_have_count(0)
    expect(shopper.locator(W + ".jl-msg--agent")).to_have_count(0)

    # the agent edits it (text stays text: markup typed by the agent is shown literally) and sends
    reply.press("End")
    reply.type(" 寄出后把快递单号发我，我帮您盯着。")
    reply.press("Enter")
    sent = shopper.locator(W + ".jl-msg--agent")
    expect(sent).to_contain_text("文一西路 1888 号")
    expect(sent).to_contain_text("寄出后把快递单号发我，我帮您盯着。")

    # the bridge stored what the reply did with the suggestion
    def uses():
        with sqlite3.connect(bridge.db_path) as db:
            return db.execute(
                "SELECT how, suggestion_id, source FROM suggestion_uses WHERE conversation_id = ? ORDER BY id", (cid,)
            ).fetchall()

    expect(agent.locator("#live-messages .msg-agent[data-seq]")).to_have_count(1)
    deadline = time.monotonic() + 10
    while not uses() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert uses() == [("edited", "policy:return_exchange.return_address", "policy")]
    metrics = httpx.get(f"{bridge.url}/metrics", timeout=5).text
    assert 'jieli_suggestions_used_total{how="edited"} 1.0' in metrics

    # a new customer message asks the bridge again; a customer's markup stays text in the strip's source
    say(shopper, "另外小夜灯怎么恢复出厂设置 " + XSS)
    expect(cards.first).to_have_attribute("data-suggestion-id", "manual:nightlight_reset")
    expect(cards.first.locator(".badge")).to_have_text("说明书")

    # a reply written without a suggestion is "none"
    reply.fill("好的，小夜灯同时按住模式键和亮度键 5 秒就能恢复。")
    reply.press("Enter")
    expect(agent.locator("#live-messages .msg-agent[data-seq]")).to_have_count(2)
    deadline = time.monotonic() + 10
    while len(uses()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [u[0] for u in uses()] == ["edited", "none"]

    # wrap-up: the close dialog comes pre-filled with the intent and a short summary
    agent.locator("#close-open").click()
    expect(agent.locator("#close-prefill")).to_have_text("已根据对话预填意图和小结，请确认或修改。")
    expect(agent.locator("#close-intent")).to_have_value("return_exchange")
    note = agent.locator("#close-note")
    expect(note).to_have_value(re.compile(r"^顾客咨询「退货地址」（顾客要求人工）。客服答复：好的，小夜灯"))
    shot(agent, "console-wrapup")
    summary = note.input_value()
    agent.locator("#close-confirm").click()
    expect(agent.locator(f'#chat-list .chat-item[data-conversation-id="{cid}"]')).to_have_count(0)
    with sqlite3.connect(bridge.db_path) as db:
        resolution, intent = db.execute(
            "SELECT resolution, intent FROM handovers WHERE conversation_id = ? ORDER BY id DESC", (cid,)
        ).fetchone()
    assert resolution == f"已解决：{summary}" and intent == "return_exchange"

    # the review queue says which suggestion the replies used; the dashboard shows the use rate
    lead = contexts(DESKTOP).new_page()
    lead_watch = PageWatch(lead, "review and dashboard pages")
    login(lead, f"{bridge.url}/console/review.html", "agent1")
    with sqlite3.connect(bridge.db_path) as db:
        [(candidate_id,)] = db.execute("SELECT id FROM review_candidates WHERE conversation_id = ?", (cid,)).fetchall()
    candidate = lead.locator(f'.candidate[data-id="{candidate_id}"]')
    expect(candidate.locator(".suggestion-used")).to_have_text("用到的建议回复：政策「退货地址」（修改后发送）")
    lead.goto(f"{bridge.url}/console/dashboard.html")
    expect(lead.locator("#k-suggest")).to_have_text("50.0%")
    expect(lead.locator("#k-suggest-sub")).to_have_text("2 条回复：原样发送 0，修改后发送 1，未用 1")

    shop_watch.assert_clean()
    console_watch.assert_clean()
    lead_watch.assert_clean()
