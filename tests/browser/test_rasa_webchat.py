"""The real rasa-webchat 1.0.1 from npm, unmodified, on a shop page of its own origin, pointed at
the bridge's /socket.io: a bot turn, a quick reply, the handover, an agent's reply in the
rasa-webchat window (shown as text), a reload and a return after messages came while the page
was away (history shown once), and a page from an origin the bridge does not allow (no session).
"""

from __future__ import annotations

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, ROOT, PageWatch, free_port, shot

PAGE_DIR = Path(__file__).resolve().parent / "rasa_webchat"
WEBCHAT_JS = ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"


class ShopPages(SimpleHTTPRequestHandler):
    """The test page, and rasa-webchat's bundle as npm installed it."""

    def translate_path(self, path: str) -> str:
        if path.split("?")[0] == "/rasa-webchat/index.js":
            return str(WEBCHAT_JS)
        return super().translate_path(path)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def shop():
    if not WEBCHAT_JS.exists():
        pytest.fail("rasa-webchat is not installed: npm ci")
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(ShopPages, directory=str(PAGE_DIR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


def session_of(page) -> str | None:
    stored = page.evaluate("() => localStorage.getItem('chat_session')")
    if not stored:
        return None
    import json

    return json.loads(stored).get("session_id")


def responses(page):
    return page.locator(".rw-messages-container .rw-response")


def test_rasa_webchat_unchanged_gets_the_bot_the_handover_and_the_agent(bridge, contexts, shop):
    shop_origin = f"http://127.0.0.1:{shop}"
    bridge.env["JIELI_ALLOWED_ORIGINS"] += f",{shop_origin}"  # the shop's page may open a socket
    bridge.restart()
    page = contexts(DESKTOP).new_page()
    watch = PageWatch(page, "rasa-webchat")
    page.goto(f"{shop_origin}/index.html?bridge={bridge.url}")
    page.locator(".rw-launcher").click()
    box = page.locator(".rw-new-message")
    expect(box).to_be_visible()
    page.wait_for_function(
        "() => !!localStorage.getItem('chat_session') && !!JSON.parse(localStorage.getItem('chat_session')).session_id"
    )
    session_id = session_of(page)
    cid = session_id.split(".")[0]

    # a bot turn
    box.fill("我的快递到哪了")
    box.press("Enter")
    expect(responses(page).last).to_contain_text("订单号")

    # the handover: the queue notice, then the agent's reply in the rasa-webchat window
    token = bridge.agent_token("agent2")
    bridge.agent_call(token, "POST", "/presence", json={"presence": "online"})
    box.fill("转人工")
    box.press("Enter")
    expect(page.locator(".rw-messages-container")).to_contain_text("正在为您转接人工客服")
    bridge.agent_call(token, "POST", f"/conversations/{cid}/accept")
    expect(page.locator(".rw-messages-container")).to_contain_text("已接入")
    bridge.agent_call(
        token,
        "POST",
        f"/conversations/{cid}/messages",
        json={
            "text": "您好，我是小二。[点我](javascript:alert(1)) <img src=x onerror=alert(2)>",
            "client_msg_id": "a1",
        },
    )
    reply = responses(page).filter(has_text="我是小二")
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text(
        "人工客服 小二：您好，我是小二。[点我](javascript:alert(1)) <img src=x onerror=alert(2)>"
    )
    assert page.locator(".rw-messages-container a, .rw-messages-container img[src='x']").count() == 0
    box.fill("好的，麻烦快一点")
    box.press("Enter")
    stored = bridge.transcript(cid)
    assert [m["text"] for m in stored if m["sender"] == "customer"] == ["我的快递到哪了", "转人工", "好的，麻烦快一点"]
    counted = {}
    for text in ("订单号", "正在为您转接人工客服", "已接入", "我是小二"):
        counted[text] = responses(page).filter(has_text=text).count()

    # a reload: the same session, the history once (rasa-webchat keeps it; the bridge adds nothing)
    page.reload()
    expect(box).to_be_visible()  # rasa-webchat keeps the chat open across pages (its storage)
    expect(responses(page).filter(has_text="我是小二")).to_have_count(1)
    assert session_of(page) == session_id
    # away from the page while the agent writes: on return, what it missed, once
    page.goto("about:blank")
    bridge.agent_call(
        token, "POST", f"/conversations/{cid}/messages", json={"text": "查到了，今天下午发货。", "client_msg_id": "a2"}
    )
    page.goto(f"{shop_origin}/index.html?bridge={bridge.url}")
    expect(box).to_be_visible()  # rasa-webchat keeps the chat open across pages (its storage)
    expect(responses(page).filter(has_text="今天下午发货")).to_have_count(1)
    for text, count in counted.items():
        expect(responses(page).filter(has_text=text)).to_have_count(count)
    assert session_of(page) == session_id
    shot(page, "rasa-webchat-resumed")
    # the agent hands back: the bot answers again in the same window
    bridge.agent_call(token, "POST", f"/conversations/{cid}/close", json={"return_to_bot": True})
    expect(page.locator(".rw-messages-container")).to_contain_text("智能助手继续为您服务")
    # rasa-webchat asks Google Fonts for its font (no network here) and the page has no favicon
    assert not [e for e in watch.errors if "fonts.googleapis.com" not in e and "favicon.ico" not in e], watch.errors
    assert not watch.dialogs, watch.dialogs  # the agent's javascript: link and onerror never ran

    # a page of an origin the bridge does not allow gets no session
    other = contexts(DESKTOP).new_page()
    other.goto(f"http://localhost:{shop}/index.html?bridge={bridge.url}")
    other.wait_for_timeout(2500)
    assert session_of(other) is None
    expect(other.locator(".rw-launcher")).to_have_count(0)  # hideWhenNotConnected: no widget
    assert re.fullmatch(r"[0-9a-f]{32}\.[A-Za-z0-9_-]{32}", session_id)
