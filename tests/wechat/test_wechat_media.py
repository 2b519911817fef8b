"""A WeChat customer's picture, for agents: only to an agent who may read the conversation, only
images, with nosniff and a sandbox CSP; WeChat's errors are a 503 JSON error, never a 500."""

from __future__ import annotations

import pytest

from .conftest import wait_for
from .test_wechat_flow import conversation_of

USER = "wmMEDIA0001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.asyncio
@pytest.mark.bridge_settings(auto_assign=False)
async def test_an_agent_sees_the_picture_and_nobody_else(wechat):
    sim, h = wechat.sim, wechat.harness
    sim.media["MEDIA_OK"] = ("image/png", PNG)
    sim.media["MEDIA_HTML"] = ("text/html", b"<script>alert(1)</script>")
    sim.add_message(USER, "image", media_id="MEDIA_OK")
    sim.add_message(USER, "image", media_id="MEDIA_HTML")
    sim.add_message(USER, "image", media_id="MEDIA_GONE")
    await sim.say(USER, "转人工")
    cid = await conversation_of(wechat, USER)
    agent = await h.agent("wx-pics")
    await wait_for(lambda: _queued(h, agent, cid), timeout=10, message="queued")
    messages = (await h.agent_call(agent, "GET", f"/conversations/{cid}")).json()["messages"]
    pictures = [m["seq"] for m in messages if m["sender"] == "customer" and m["text"].startswith("[图片]")]
    said = next(m["seq"] for m in messages if m["text"] == "转人工")
    assert len(pictures) == 3
    ok = await h.agent_call(agent, "GET", f"/conversations/{cid}/media/{pictures[0]}")
    assert ok.content == PNG and ok.headers["content-type"] == "image/png"
    assert ok.headers["x-content-type-options"] == "nosniff" and "sandbox" in ok.headers["content-security-policy"]
    html = await h.agent_call(agent, "GET", f"/conversations/{cid}/media/{pictures[1]}", expect=503)
    assert html.json()["error"]["code"] == "media_unavailable"
    gone = await h.agent_call(agent, "GET", f"/conversations/{cid}/media/{pictures[2]}", expect=503)
    assert gone.json()["error"]["code"] == "media_unavailable"
    text_message = await h.agent_call(agent, "GET", f"/conversations/{cid}/media/{said}", expect=404)
    assert text_message.json()["error"]["code"] == "no_media"
    anonymous = await h.http.get(f"/api/agent/conversations/{cid}/media/{pictures[0]}")
    assert anonymous.status_code == 401

    # another agent, once a colleague has the chat: not theirs to read
    await h.agent_call(agent, "POST", f"/conversations/{cid}/accept")
    other = await h.agent("wx-other")
    refused = await h.agent_call(other, "GET", f"/conversations/{cid}/media/{pictures[0]}", expect=403)
    assert refused.json()["error"]["code"] == "not_your_conversation"


async def _queued(h, agent, cid):
    return any(i["conversation_id"] == cid for i in (await h.agent_call(agent, "GET", "/queue")).json()["items"])
