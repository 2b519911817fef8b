"""What the browser tests of the widget and the console do again and again: open the demo shop and the
widget, talk as the customer, log in to the console, find a queue item."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import PASSWORD

ORDER = "2024111500034503"
W = "#jieli-widget "  # the widget's host; CSS locators pierce its (open) shadow root
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
