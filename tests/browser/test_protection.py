"""Protection that acts, in the browser (docs/agents.md): an abusive chat gets the system's calm
warning then its boundary message in the widget, the agent ends it with one click and cools down (no
chat auto-assigned until the cool-down ends); a lead takes a live chat over from the console and the
chat moves with its transcript intact."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from handover_bridge.domain import texts

from .conftest import DESKTOP, PageWatch, shot
from .pages import W, conversation_id, login_console, open_shop, open_widget, say

INSULT = "你们这群傻逼客服"
NOTE = "辛苦了，喝口水歇一歇，这几分钟不会给你派新会话。"


def state_of(bridge, customer: dict[str, str]) -> str:
    response = httpx.get(
        f"{bridge.url}/api/conversations/{customer['conversation_id']}/messages",
        params={"after": 10**9},
        headers={"Authorization": f"Bearer {customer['token']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["state"]


def test_an_abusive_chat_gets_the_boundary_and_the_agent_a_cooldown(bridge, contexts):
    bridge.env.update({"JIELI_AUTO_ASSIGN": "true", "JIELI_ABUSE_COOLDOWN_SECONDS": "8"})
    bridge.restart()
    shopper = contexts(DESKTOP).new_page()
    shop_watch = PageWatch(shopper, "shop page")
    agent = contexts(DESKTOP).new_page()
    console_watch = PageWatch(agent, "console page")
    login_console(agent, bridge, "agent2")  # the only agent online: auto-assignment gives them the chat

    open_shop(shopper, bridge)
    open_widget(shopper)
    say(shopper, "我的快递一直不动")
    say(shopper, "人工客服")
    expect(shopper.locator(W + ".jl")).to_have_attribute("data-state", "assigned")
    cid = conversation_id(shopper)
    chat = agent.locator("#chat-list .chat-item")
    expect(chat).to_have_count(1)
    chat.locator(".chat-open").click()

    # the first insult: a calm warning from the system; the next: the boundary message
    say(shopper, INSULT)
    system = shopper.locator(W + '.jl-msg[data-sender="system"]')
    expect(system.filter(has_text=texts.ABUSE_WARNING)).to_have_count(1)
    say(shopper, "傻逼")
    expect(system.filter(has_text=texts.ABUSE_BOUNDARY)).to_have_count(1)
    say(shopper, "傻逼傻逼")
    expect(system.filter(has_text=texts.ABUSE_BOUNDARY)).to_have_count(2)
    live = agent.locator("#live-messages")
    expect(live.locator(".msg-system", has_text=texts.ABUSE_BOUNDARY)).to_have_count(2)
    expect(live.locator(".msg-agent")).to_have_count(0)  # the agent said none of it

    # one click ends the chat for abuse; the agent's cool-down starts with the lead's note
    agent.locator("#end-abusive").click()
    banner = agent.locator("#cooldown-banner")
    expect(banner).to_be_visible()
    expect(agent.locator("#cooldown-note")).to_have_text(NOTE)
    expect(agent.locator("#cooldown-left")).to_contain_text("暂停派单")
    expect(shopper.locator(W + ".jl-log")).to_contain_text(texts.CLOSED_FOR_ABUSE)
    shot(agent, "console-cooldown")

    # a new customer waits while the agent cools down, and is assigned once it ends
    agent.locator('.tab[data-view="queue"]').click()
    waiting = bridge.customer("我要退货", "转人工")
    expect(agent.locator(f'.q-item[data-conversation-id="{waiting["conversation_id"]}"]')).to_be_visible()
    assert state_of(bridge, waiting) == "queued"
    token = bridge.agent_token("agent2")
    assert bridge.agent_call(token, "GET", "/cooldown")["active"] is True  # still cooling after that check
    expect(banner).to_be_hidden(timeout=20000)
    expect(agent.locator("#chat-list .chat-item:not(.ended)")).to_have_count(1, timeout=10000)
    assert state_of(bridge, waiting) == "assigned"
    ended = [m for m in bridge.transcript(cid) if m["sender"] == "system"]
    assert ended[-1]["text"] == texts.CLOSED_FOR_ABUSE

    # the lead's dashboard: agent2's abuse load and cool-down today
    lead = contexts(DESKTOP).new_page()
    lead_watch = PageWatch(lead, "dashboard")
    login_console(lead, bridge, "agent1")
    lead.goto(f"{bridge.url}/console/dashboard.html")
    row = lead.locator('#protection-rows tr[data-agent="agent2"]')
    expect(row.locator("td")).to_have_text(["小二", "3", "1", "1 / 2", "1", "0", "1", "—"])
    metrics = httpx.get(f"{bridge.url}/metrics").text
    assert "jieli_agent_cooldowns_total 1.0" in metrics
    assert 'jieli_abuse_notices_total{kind="boundary"} 2.0' in metrics
    shop_watch.assert_clean()
    console_watch.assert_clean()
    lead_watch.assert_clean()


def test_a_lead_takes_over_a_live_chat_with_its_transcript(bridge, contexts):
    worker = contexts(DESKTOP).new_page()
    worker_watch = PageWatch(worker, "agent's console")
    boss = contexts(DESKTOP).new_page()
    boss_watch = PageWatch(boss, "lead's console")
    login_console(worker, bridge, "agent2")
    customer = bridge.customer("我要退货", "转人工")
    cid = customer["conversation_id"]
    worker.locator(f'.q-item[data-conversation-id="{cid}"] .q-accept').click()
    expect(worker.locator("#view-chat")).to_be_visible()
    worker.locator("#reply").fill("您好，我来帮您看退货")
    worker.locator("#send").click()
    expect(worker.locator("#live-messages .msg-agent[data-seq]")).to_have_count(1)
    bridge.say(customer, "快点处理，我很着急")
    expect(worker.locator("#live-messages")).to_contain_text("快点处理，我很着急")
    before = [(m["seq"], m["text"]) for m in bridge.transcript(cid)]

    login_console(boss, bridge, "agent1")  # the demo's lead
    item = boss.locator(f'.live-item[data-conversation-id="{cid}"]')
    expect(item).to_be_visible()
    expect(item.locator(".live-agent")).to_contain_text("接待中")
    shot(boss, "console-live-chats")
    item.locator(".live-takeover").click()

    # the lead has the chat open, every earlier message there, then the neutral note
    expect(boss.locator("#view-chat")).to_be_visible()
    seqs = boss.locator("#chat-scroll .msg[data-seq]")
    expect(seqs).to_have_count(len(before) + 1)
    shown = seqs.evaluate_all("ns => ns.map(n => Number(n.dataset.seq))")
    assert shown == [seq for seq, _ in before] + [before[-1][0] + 1]
    expect(boss.locator("#live-messages")).to_contain_text("您好，我来帮您看退货")
    expect(boss.locator("#live-messages")).to_contain_text("快点处理，我很着急")
    after = bridge.transcript(cid)
    assert [(m["seq"], m["text"]) for m in after[: len(before)]] == before
    assert after[-1]["sender"] == "system" and "继续为您服务" in after[-1]["text"]
    # the former agent's console drops it
    expect(worker.locator("#chat-list .chat-item.ended")).to_have_count(1)
    expect(worker.locator("#end-abusive")).to_be_disabled()
    # the lead answers; the customer sees it
    boss.locator("#reply").fill("您好，我是组长，退货我来跟进")
    boss.locator("#send").click()
    expect(boss.locator("#live-messages .msg-agent[data-seq]")).to_have_count(2)
    shot(boss, "console-takeover")
    assert bridge.transcript(cid)[-1]["text"] == "您好，我是组长，退货我来跟进"
    worker_watch.assert_clean()
    boss_watch.assert_clean()
