"""The callback URL: GET verification, and forged, replayed, stale, foreign or malformed
callbacks refused with a 4xx JSON error before anything is done (no sync, nothing stored)."""

from __future__ import annotations

import time

import httpx
import pytest

from handover_bridge.services.channels.wechat.crypto import MsgCrypt, signature

PATH = "/channels/wechat/callback"


async def post(h, query, body):
    return await h.http.post(PATH, params=query, content=body)


@pytest.mark.asyncio
async def test_url_verification_answers_the_decrypted_echostr(wechat):
    sim, h = wechat.sim, wechat.harness
    stamp, nonce = str(int(time.time())), "12345"
    echo = sim.crypt.encrypt("8675309-echo")
    query = {
        "msg_signature": signature(sim.token, stamp, nonce, echo),
        "timestamp": stamp,
        "nonce": nonce,
        "echostr": echo,
    }
    response = await h.http.get(PATH, params=query)
    assert response.status_code == 200 and response.text == "8675309-echo"
    query["msg_signature"] = "f" * 40
    refused = await h.http.get(PATH, params=query)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "wechat_bad_signature"
    missing = await h.http.get(PATH, params={"timestamp": stamp})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "wechat_bad_request"


@pytest.mark.asyncio
async def test_a_good_callback_once_then_its_replay_refused(wechat):
    sim, h = wechat.sim, wechat.harness
    sim.add_message("wmREPLAY", "text", content="你好")
    query, body = sim.callback_request()
    first = await post(h, query, body)
    assert first.status_code == 200 and first.text == "success"
    replay = await post(h, query, body)
    assert replay.status_code == 403 and replay.json()["error"] == {
        "code": "wechat_replayed",
        "message": "this callback was received before",
    }


@pytest.mark.asyncio
async def test_forged_stale_foreign_and_malformed_callbacks_are_refused(wechat):
    sim, h = wechat.sim, wechat.harness
    query, body = sim.callback_request()
    forged = await post(h, {**query, "msg_signature": "0" * 40}, body)
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "wechat_bad_signature"

    old = int(time.time()) - 3600
    stale_query, stale_body = sim.callback_request(timestamp=old)
    stale = await post(h, stale_query, stale_body)
    assert stale.status_code == 403 and stale.json()["error"]["code"] == "wechat_expired"

    # signed with the right token and key, but for another CorpID
    other = MsgCrypt(sim.token, sim.aes_key, "wwanothercorp")
    encrypted = other.encrypt("<xml><Event>kf_msg_or_event</Event><OpenKfId>wkX</OpenKfId></xml>")
    stamp, nonce = str(int(time.time())), "99"
    foreign = await post(
        h,
        {"msg_signature": signature(sim.token, stamp, nonce, encrypted), "timestamp": stamp, "nonce": nonce},
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode(),
    )
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "wechat_bad_receiver"

    for bad in [
        b"not xml",
        b"<xml><Nothing/></xml>",
        b'<!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>',
    ]:
        response = await post(h, query, bad)
        assert response.status_code == 400 and response.json()["error"]["code"] == "wechat_bad_request"
    response = await post(h, {**query, "timestamp": "soon"}, body)
    assert response.status_code == 400

    # none of them made the bridge sync
    assert sim.calls["sync_msg"] == 0


@pytest.mark.asyncio
async def test_the_callback_route_exists_only_when_the_channel_is_on(harness):
    response = await harness.http.post(PATH, content=b"<xml/>")
    assert response.status_code == 404
    assert isinstance(response, httpx.Response)
