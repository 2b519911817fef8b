"""Learning from agents in a real browser: the agent tags the real intent and marks a reusable answer
in the close dialog; the designer's review page lists the candidates (customer text as text, never
HTML), accepts one with edits, rejects one, previews and runs the export (into a temp copy of
data/nlu, never the repository's). Screenshot: docs/screenshots/review.png."""

from __future__ import annotations

import re
import shutil

import httpx
import yaml
from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PASSWORD, ROOT, PageWatch, shot

XSS = "<img src=x onerror=alert(1)>你们有实体店吗"
STORE_ANSWER = "您好，我们目前只有线上店铺，暂时没有线下实体店，也不支持到店自提 🙏 下单后从杭州仓发货，江浙沪一般 1–2 天就能收到。"


def login(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#app")).to_be_visible()


def handed_over(bridge, token: str, *texts: str, replies: tuple[str, ...] = ()) -> str:
    """A customer asks, asks for a person; an agent accepts and answers. The conversation id."""
    customer = bridge.customer(*texts, "人工客服", metadata={"customer_id": "u-review"})
    cid = customer["conversation_id"]
    bridge.agent_call(token, "POST", f"/conversations/{cid}/accept")
    for number, text in enumerate(replies):
        bridge.agent_call(
            token, "POST", f"/conversations/{cid}/messages", json={"text": text, "client_msg_id": f"r{number}"}
        )
    return cid


def test_close_dialog_and_review_page(bridge, contexts, tmp_path):
    # exports go to a copy of data/nlu: restart the bridge pointed at it
    nlu = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", nlu, ignore=shutil.ignore_patterns("learned_from_agents.yml"))
    bridge.env["JIELI_TRAINING_DATA_DIR"] = str(nlu)
    bridge.restart()

    # ---- the agent (agent2: no designer role) closes a chat and teaches the bot ----------------------
    agent = contexts(DESKTOP).new_page()
    agent_watch = PageWatch(agent, "console page")
    login(agent, f"{bridge.url}/console/", "agent2")
    expect(agent.locator("#review-link")).to_be_hidden()
    expect(agent.locator("#dashboard-link")).to_be_hidden()
    token2 = bridge.agent_token("agent2")
    cid = handed_over(
        bridge, token2, "你们有实体店吗", "我想去店里看看实物", replies=("您好，我是小二，马上帮您看看", STORE_ANSWER)
    )
    item = agent.locator(f'#chat-list .chat-item[data-conversation-id="{cid}"]')
    expect(item).to_be_visible()
    item.locator(".chat-open").click()
    expect(agent.locator("#live-messages")).to_contain_text("线上店铺")
    agent.locator("#close-open").click()
    expect(agent.locator("#close-intent option[value=product_info]")).to_have_count(1)
    expect(agent.locator("#close-intent option[value=faq]")).to_have_count(0)
    agent.locator("#close-intent").select_option("product_info")
    expect(agent.locator("#close-answer-box")).to_be_hidden()
    agent.locator("#close-reusable").check()
    expect(agent.locator("#close-answer")).to_have_value(STORE_ANSWER)  # the longest reply, editable
    agent.locator("#close-confirm").click()
    expect(item).to_have_count(0)
    agent_watch.assert_clean()

    # two more closed chats through the API: one tagged refund, one with customer text that looks like HTML
    cid2 = handed_over(bridge, token2, "退款退到哪张卡上了", replies=("原路退回您付款的那张卡，1–3 个工作日到账。",))
    bridge.agent_call(token2, "POST", f"/conversations/{cid2}/close", json={"return_to_bot": True, "intent": "refund"})
    cid3 = handed_over(bridge, token2, XSS, replies=("好的",))
    bridge.agent_call(token2, "POST", f"/conversations/{cid3}/close", json={"return_to_bot": False})

    # ---- the designer (agent1) reviews ---------------------------------------------------------------------
    page = contexts(DESKTOP).new_page()
    watch = PageWatch(page, "review page")
    login(page, f"{bridge.url}/console/", "agent1")
    link = page.locator("#review-link")
    expect(link).to_be_visible()
    expect(page.locator("#dashboard-link")).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"/console/review\.html$"))
    expect(page.locator("#app")).to_be_visible()  # same tab: still logged in
    cards = page.locator(".candidate")
    expect(cards).to_have_count(3)
    expect(page.locator('.count[data-count="pending"]')).to_have_text("3")
    ids = {
        i["conversation_id"]: i["id"]
        for i in bridge.agent_call(bridge.agent_token("agent1"), "GET", "/review/candidates")["items"]
    }
    store = page.locator(f'.candidate[data-id="{ids[cid]}"]')
    expect(store.locator(".c-example")).to_have_count(2)
    expect(store.locator(".c-example").nth(1)).to_have_value("我想去店里看看实物")
    expect(store.locator(".c-intent")).to_have_value("product_info")
    expect(store.locator(".c-reusable")).to_be_checked()
    expect(store.locator(".c-answer")).to_have_value(STORE_ANSWER)
    expect(store.locator(".c-export-as")).to_contain_text("新的常见问答")
    expect(store.locator(".bot-intent")).to_contain_text("超出范围（out_of_scope）")  # what the (fake) bot thought
    expect(store).to_contain_text("客服 小二")

    # the customer's HTML-looking text is a value, not markup
    xss = page.locator(f'.candidate[data-id="{ids[cid3]}"]')
    expect(xss.locator(".c-example")).to_have_value(XSS)
    assert page.locator(".candidate img").count() == 0
    expect(xss.locator(".c-export-as")).to_contain_text("请选择意图")

    # the whole conversation on demand
    store.locator(".transcript summary").click()
    expect(store.locator(".transcript-body")).to_contain_text("马上帮您看看")
    store.locator(".transcript summary").click()
    shot(page, "review")

    # edit: one more phrasing, then accept
    store.get_by_role("button", name="＋ 添加问法").click()
    store.locator(".c-example").last.fill("有没有线下门店可以逛逛")
    store.locator(".c-accept").click()
    expect(page.locator(".toast")).to_contain_text("已采纳")
    expect(page.locator('.count[data-count="accepted"]')).to_have_text("1")
    expect(cards).to_have_count(2)

    # the XSS one: rejected; accepting it without an intent is refused in Chinese
    xss.locator(".c-accept").click()
    expect(xss.locator(".c-error")).to_have_text("请选择意图，或勾选「答复可复用」")
    xss.locator(".c-note").fill("不是问题")
    xss.locator(".c-reject").click()
    expect(page.locator('.count[data-count="rejected"]')).to_have_text("1")
    expect(cards).to_have_count(1)

    # preview, then export
    page.locator("#export-preview").click()
    result = page.locator("#export-result")
    expect(result).to_contain_text("导出预览")
    expect(result.locator(".yaml")).to_contain_text("utter_faq/learned_")
    assert not (nlu / "learned_from_agents.yml").exists()
    page.locator("#export-run").click()
    expect(result).to_contain_text("已导出训练数据")
    expect(result).to_contain_text("make train")
    expect(page.locator('.count[data-count="exported"]')).to_have_text("1")
    data = yaml.safe_load((nlu / "learned_from_agents.yml").read_text(encoding="utf-8"))
    [faq] = data["nlu"]
    assert faq["intent"].startswith("faq/learned_")
    assert faq["examples"].split("\n")[:3] == ["- 你们有实体店吗", "- 我想去店里看看实物", "- 有没有线下门店可以逛逛"]
    assert data["responses"][f"utter_{faq['intent']}"] == [{"text": STORE_ANSWER}]
    page.locator('.filter[data-status="exported"]').click()
    expect(cards).to_have_count(1)
    expect(cards.first.locator(".badge.status")).to_have_text("已导出")
    watch.assert_clean()

    # agent2 on the review page: told it needs the designer role, and the API says 403
    other = contexts(DESKTOP).new_page()
    login(other, f"{bridge.url}/console/review.html", "agent2")
    expect(other.locator("#no-role")).to_be_visible()
    expect(other.locator("#review")).to_be_hidden()
    response = httpx.get(f"{bridge.url}/api/agent/review/candidates", headers={"Authorization": f"Bearer {token2}"})
    assert response.status_code == 403
