"""The bridge's profanity flag and the console's list follow the one matcher (jieli_contract.profanity):
every case of tests/cases/profanity.json, the same file the signals' tests (tests/nlu) and the
console's (tests/js/profanity.test.mjs) read. Customer messages are flagged when stored, and the
console gets the list from /api/lexicon/profanity (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from handover_bridge.domain import abuse
from handover_bridge.models import Message

CASES = json.loads((Path(__file__).resolve().parents[1] / "cases" / "profanity.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_the_bridge_flags_and_masks_every_case(case):
    lexicon = abuse.Lexicon.load()
    assert lexicon.is_abusive(case["text"]) is case["abusive"]
    assert lexicon.mask(case["text"]) == case["masked"]


def test_the_console_gets_the_folding_table_with_the_list():
    data = abuse.Lexicon.load().as_json()
    assert data["fold"]["媽"] == "妈" and data["fold"]["妳"] == "你"
    assert {"version", "words", "allow", "fold", "etag"} <= set(data)


@pytest.mark.asyncio
async def test_customer_messages_are_flagged_abusive_when_stored(harness):
    h = harness
    customer = await h.customer()
    await h.say(customer, "你们这些 垃圾·客服！")
    await h.say(customer, "我想查一下快递")
    await h.say(customer, "给我妈的生日礼物什么时候到")
    async with h.bridge.ctx.db.read() as session:
        rows = (
            await session.execute(
                select(Message.text, Message.abusive)
                .where(Message.conversation_id == customer.conversation_id, Message.sender == "customer")
                .order_by(Message.seq)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("你们这些 垃圾·客服！", True),
        ("我想查一下快递", False),
        ("给我妈的生日礼物什么时候到", False),
    ]
    # the console gets the same list, with an ETag
    response = await h.http.get("/api/lexicon/profanity")
    assert response.status_code == 200
    data = response.json()
    assert "垃圾客服" in data["words"] and "我妈的" in data["allow"]
    assert data["words"] == list(abuse.lexicon().words)
    again = await h.http.get("/api/lexicon/profanity", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_lexicon_matching_rules(tmp_path):
    lexicon = abuse.Lexicon.load()
    assert lexicon.matches("ＳＢ客服") == ["sb"]  # full width, upper case
    assert lexicon.is_abusive("傻 - 逼")  # spaces and punctuation between
    for innocent in (
        "滚筒洗衣机怎么用",
        "垃圾袋有货吗",
        "去死皮膏好用吗",
        "今日你们发货吗",
        "他妈妈的手机坏了",
        "usb接口松了",
    ):
        assert not lexicon.is_abusive(innocent), innocent
    bad = tmp_path / "bad.yml"
    bad.write_text("words: []\n", encoding="utf-8")
    with pytest.raises(abuse.LexiconError):
        abuse.Lexicon.load(bad)
    with pytest.raises(abuse.LexiconError):
        abuse.Lexicon.load(tmp_path / "missing.yml")
