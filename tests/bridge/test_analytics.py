"""The lead's dashboard API (GET /api/agent/analytics) against a small fixture whose every figure is
computed by hand below, on SQLite and PostgreSQL; auth and bad parameters; the abusive flag on
stored customer messages and the profanity lexicon endpoint; the /metrics gauges.

The fixture (times are local, Asia/Shanghai = UTC+8; the period is 2024-03-04 … 2024-03-05, i.e.
[2024-03-03T16:00Z, 2024-03-05T16:00Z)):

 conv  created (local)    customer spoke  handover                         ticket        note
 c1    03-04 10:00        yes             —                                —             demo: true
 c11   03-04 07:30        yes             —                                —             = 03-03 23:30 UTC: in
 c2    03-04 11:00        yes             h2 request_human 物流 agent A     —             metadata demo: "yes" (not demo)
 c3    03-04 12:00        yes             h3 frustration   售后 agent B     —
 c4    03-05 09:00        yes             h4 request_human 物流 agent A     —
 c5    03-05 10:00        yes             h5 request_human 账单, cancelled  —
 c6    03-05 20:00        yes             h6 bot_unavailable 其他 → ticket  t6 (answered 21:00)
 c7    03-05 21:00        yes             —                                t7 (open)
 c8    03-05 22:00        no              —                                —             widget opened only
 c9    03-03 23:59:59     yes             h9 complaint 产品 agent B (queued 03-04 00:00:05: in)
 c10   03-06 00:00:00     yes             h10 request_human 物流 (queued 03-06 00:00:00: out)  t10
 t0 (on c9): opened 03-03 12:00, answered 03-04 13:00

 handover  queued     accepted   first reply  closed     rating
 h2        11:01:00   11:01:30   11:01:40     11:06:40   5     (accept 30 s, reply 40 s, handling 310 s)
 h3        12:00:10   12:01:10   12:01:30     12:11:10   2     (60, 80, 600)
 h4        09:00:30   09:02:30   09:04:30     09:14:30   4     (120, 240, 720)
 h5        10:00:20   —          —            10:05:20   —     cancelled_by_customer
 h6        20:00:05   —          —            20:01:00   —     ticket
 h9        00:00:05   00:00:25   00:00:35     00:10:25   —     (20, 30, 600)
 h10       03-06 00:00:00 …                              1     outside the period
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from handover_bridge.domain import abuse
from handover_bridge.models import Conversation, Handover, Message, Ticket
from handover_bridge.services.learning.analytics import parse_period

from .conftest import PASSWORD

CST = timezone(timedelta(hours=8))
PERIOD = {"from": "2024-03-04", "to": "2024-03-05"}


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """Local (UTC+8) time on 2024-03-`day`."""
    return datetime(2024, 3, day, hh, mm, ss, tzinfo=CST)


async def login(h, username: str, roles: list[str]) -> dict[str, str]:
    await h.bridge.agents.create(username, PASSWORD, display_name=username.upper(), skills=["*"], roles=roles)
    response = await h.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def build_fixture(h) -> dict[str, int]:
    agent_a = await h.bridge.agents.create("ana", PASSWORD, display_name="安娜", skills=["*"])
    agent_b = await h.bridge.agents.create("bo", PASSWORD, display_name="小博", skills=["*"])
    A, B = agent_a.id, agent_b.id
    rows: list = []
    seqs: dict[str, int] = {}

    def conv(name: str, created: datetime, meta: dict | None = None) -> str:
        cid = (name.encode().hex() + "0" * 32)[:32]
        rows.append(
            Conversation(
                id=cid,
                token_hash=secrets.token_hex(32),
                state="bot",
                meta=meta or {},
                next_seq=0,
                created_at=created,
                updated_at=created,
            )
        )
        seqs[cid] = 0
        return cid

    def msg(cid: str, when: datetime, text: str = "你好", sender: str = "customer", abusive: bool = False) -> None:
        seqs[cid] += 1
        rows.append(
            Message(conversation_id=cid, seq=seqs[cid], sender=sender, text=text, abusive=abusive, created_at=when)
        )

    def handover(cid: str, reason: str, category: str, queued: datetime, **fields) -> None:
        rows.append(
            Handover(
                conversation_id=cid,
                reason=reason,
                category=category,
                queued_at=queued,
                rank=0.0,
                context={},
                tags=[],
                **fields,
            )
        )

    c1 = conv("c1", at(4, 10), {"demo": True})
    msg(c1, at(4, 10, 0, 5))
    c11 = conv("c11", at(4, 7, 30))
    msg(c11, at(4, 7, 30, 5))
    c2 = conv("c2", at(4, 11), {"demo": "yes"})
    msg(c2, at(4, 11, 0, 5))
    msg(c2, at(4, 11, 0, 30), "傻逼机器人", abusive=True)  # bot part: total only
    msg(c2, at(4, 11, 3), "你们这些垃圾客服", abusive=True)  # while A holds it: A +1
    msg(c2, at(4, 11, 4), "（客服消息）", sender="agent", abusive=True)  # not a customer: never counted
    handover(
        c2,
        "request_human",
        "物流",
        at(4, 11, 1),
        accepted_at=at(4, 11, 1, 30),
        first_reply_at=at(4, 11, 1, 40),
        closed_at=at(4, 11, 6, 40),
        agent_id=A,
        rating=5,
    )
    c3 = conv("c3", at(4, 12))
    msg(c3, at(4, 12, 0, 5))
    msg(c3, at(4, 12, 5), "滚蛋", abusive=True)  # while B holds it: B +1
    msg(c3, at(4, 12, 11, 10), "去死", abusive=True)  # at closed_at: no longer B's
    handover(
        c3,
        "frustration",
        "售后",
        at(4, 12, 0, 10),
        accepted_at=at(4, 12, 1, 10),
        first_reply_at=at(4, 12, 1, 30),
        closed_at=at(4, 12, 11, 10),
        agent_id=B,
        rating=2,
    )
    c4 = conv("c4", at(5, 9))
    msg(c4, at(5, 9, 0, 5))
    msg(c4, at(5, 9, 2, 30), "废物", abusive=True)  # at accepted_at: A +1
    msg(c4, at(5, 9, 6), "白痴", abusive=True)  # A +1
    handover(
        c4,
        "request_human",
        "物流",
        at(5, 9, 0, 30),
        accepted_at=at(5, 9, 2, 30),
        first_reply_at=at(5, 9, 4, 30),
        closed_at=at(5, 9, 14, 30),
        agent_id=A,
        rating=4,
    )
    c5 = conv("c5", at(5, 10))
    msg(c5, at(5, 10, 0, 5))
    handover(
        c5, "request_human", "账单", at(5, 10, 0, 20), closed_at=at(5, 10, 5, 20), resolution="cancelled_by_customer"
    )
    c6 = conv("c6", at(5, 20))
    msg(c6, at(5, 20, 0, 1))
    handover(c6, "bot_unavailable", "其他", at(5, 20, 0, 5), closed_at=at(5, 20, 1), resolution="ticket")
    rows.append(
        Ticket(
            conversation_id=c6,
            message="请回电",
            contact="13800000000",
            status="answered",
            created_at=at(5, 20, 1),
            answered_at=at(5, 21),
        )
    )
    c7 = conv("c7", at(5, 21))
    msg(c7, at(5, 21, 0, 5))
    rows.append(
        Ticket(conversation_id=c7, message="请回电", contact="13800000001", status="open", created_at=at(5, 21, 5))
    )
    conv("c8", at(5, 22))  # nobody spoke
    c9 = conv("c9", at(3, 23, 59, 59))
    msg(c9, at(3, 23, 59, 59))
    handover(
        c9,
        "complaint",
        "产品",
        at(4, 0, 0, 5),
        accepted_at=at(4, 0, 0, 25),
        first_reply_at=at(4, 0, 0, 35),
        closed_at=at(4, 0, 10, 25),
        agent_id=B,
    )
    rows.append(
        Ticket(
            conversation_id=c9,
            message="旧工单",
            contact="x",
            status="answered",
            created_at=at(3, 12),
            answered_at=at(4, 13),
        )
    )
    c10 = conv("c10", at(6, 0), {"demo": True})
    msg(c10, at(6, 0), "傻逼", abusive=True)  # after the period
    handover(
        c10,
        "request_human",
        "物流",
        at(6, 0),
        accepted_at=at(6, 0, 1),
        first_reply_at=at(6, 0, 2),
        closed_at=at(6, 0, 3),
        agent_id=A,
        rating=1,
    )
    rows.append(Ticket(conversation_id=c10, message="新工单", contact="y", status="open", created_at=at(6, 0)))
    for conversation in [r for r in rows if isinstance(r, Conversation)]:
        conversation.next_seq = seqs[conversation.id]
    async with h.bridge.ctx.db.write() as session:
        session.add_all([r for r in rows if isinstance(r, Conversation)])
        await session.flush()
        session.add_all([r for r in rows if not isinstance(r, Conversation)])
    return {"A": A, "B": B}


async def get(h, headers, **params):
    return await h.http.get("/api/agent/analytics", params=params, headers=headers)


@pytest.mark.asyncio
async def test_every_figure_matches_the_hand_computed_fixture(harness):
    h = harness
    ids = await build_fixture(h)
    lead = await login(h, "lead", ["agent", "lead"])
    response = await get(h, lead, **PERIOD)
    assert response.status_code == 200, response.text
    data = response.json()

    assert data["period"] == {
        "from": "2024-03-04",
        "to": "2024-03-05",
        "days": 2,
        "timezone": "Asia/Shanghai",
        "start": "2024-03-04T00:00:00+08:00",
        "end": "2024-03-06T00:00:00+08:00",
    }
    # demo: c1 only (c10 is outside; c2's "yes" is not true)
    assert data["demo"] == {"present": True, "conversations": 1}
    # opened: c1 c11 c2 c3 c4 c5 c6 c7 c8 = 9; the customer spoke in all but c8 = 8;
    # contained (no handover, no ticket): c1, c11 = 2 → 2/8 = 0.25; handed over: c2–c6 = 5;
    # ticket without handover: c7 = 1
    assert data["conversations"] == {
        "opened": 9,
        "total": 8,
        "contained": 2,
        "containment_rate": 0.25,
        "handed_over": 5,
        "ticket_only": 1,
    }
    # handovers queued in the period: h9 (00:00:05 on the 4th), h2, h3, h4, h5, h6 = 6 (h10 at the end: out)
    handovers = data["handovers"]
    assert handovers["total"] == 6
    assert handovers["by_reason"] == [
        {"reason": "request_human", "count": 3},  # h2 h4 h5
        {"reason": "bot_unavailable", "count": 1},
        {"reason": "complaint", "count": 1},
        {"reason": "frustration", "count": 1},
    ]
    assert handovers["by_category"] == [
        {"category": "物流", "count": 2},  # h2 h4
        {"category": "产品", "count": 1},
        {"category": "其他", "count": 1},
        {"category": "售后", "count": 1},
        {"category": "账单", "count": 1},
    ]
    # answered (accepted): h2 h3 h4 h9; cancelled: h5; ticket: h6
    assert handovers["outcomes"] == {"answered": 4, "cancelled": 1, "ticket": 1, "waiting": 0, "other": 0}
    # wait to the first agent reply: h9 30, h2 40, h3 80, h4 240 → sorted 30 40 80 240, n = 4;
    # p50 = rank ⌈0.5·4⌉ = 2 → 40; p90 = rank ⌈0.9·4⌉ = ⌈3.6⌉ = 4 → 240; mean 390/4 = 97.5
    assert data["first_reply_wait"] == {"count": 4, "mean": 97.5, "p50": 40.0, "p90": 240.0, "max": 240.0}
    # wait to accept: 20 30 60 120 → p50 30, p90 120, mean 230/4 = 57.5
    assert data["accept_wait"] == {"count": 4, "mean": 57.5, "p50": 30.0, "p90": 120.0, "max": 120.0}
    # handling (closed − accepted): h2 310, h3 600, h9 600, h4 720 → p50 rank 2 = 600, p90 rank 4 = 720,
    # mean 2230/4 = 557.5
    assert data["handling"] == {"count": 4, "mean": 557.5, "p50": 600.0, "p90": 720.0, "max": 720.0}
    # tickets opened in the period: t6, t7 (t10 at the end: out; t0 before); answered in it: t0, t6;
    # open right now: t7, t10
    assert data["tickets"] == {"opened": 2, "answered": 2, "open_now": 2}
    # ratings of handovers queued in the period: 5 (h2), 2 (h3), 4 (h4) → mean 11/3 = 3.67 (h10's 1 is out)
    assert data["ratings"] == {"count": 3, "average": 3.67, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}}
    # abusive customer messages in the period: c2 ×2, c3 ×2, c4 ×2 = 6 (the agent's and c10's are not);
    # masked while an agent held the chat: A = c2 11:03 + c4 09:02:30 + c4 09:06 = 3; B = c3 12:05 = 1
    assert data["abuse"] == {"messages": 6, "masked_by_agents": 4}
    assert data["agents"] == [
        # A: h2 (310 s, ★5), h4 (720 s, ★4) → mean handling 515, mean rating 4.5
        {
            "agent_id": ids["A"],
            "username": "ana",
            "display_name": "安娜",
            "handovers": 2,
            "closed": 2,
            "handling_mean": 515.0,
            "ratings": 2,
            "rating_mean": 4.5,
            "abusive_masked": 3,
        },
        # B: h3 (600 s, ★2), h9 (600 s, unrated)
        {
            "agent_id": ids["B"],
            "username": "bo",
            "display_name": "小博",
            "handovers": 2,
            "closed": 2,
            "handling_mean": 600.0,
            "ratings": 1,
            "rating_mean": 2.0,
            "abusive_masked": 1,
        },
    ]
    # per local day: the 4th: c11 c1 c2 c3 (contained c1 c11), handovers h9 h2 h3;
    # the 5th: c4 c5 c6 c7 (none contained), handovers h4 h5 h6, tickets t6 t7
    assert data["daily"] == [
        {
            "date": "2024-03-04",
            "conversations": 4,
            "contained": 2,
            "containment_rate": 0.5,
            "handovers": 3,
            "tickets_opened": 0,
        },
        {
            "date": "2024-03-05",
            "conversations": 4,
            "contained": 0,
            "containment_rate": 0.0,
            "handovers": 3,
            "tickets_opened": 2,
        },
    ]


@pytest.mark.asyncio
async def test_one_day_and_another_time_zone(harness):
    h = harness
    await build_fixture(h)
    lead = await login(h, "lead", ["lead"])
    # one day (the 5th, local): c4 c5 c6 c7 spoke, none contained; h4 h5 h6; first reply only h4 (240)
    data = (await get(h, lead, **{"from": "2024-03-05", "to": "2024-03-05"})).json()
    assert data["conversations"]["total"] == 4 and data["conversations"]["contained"] == 0
    assert data["handovers"]["total"] == 3
    assert data["first_reply_wait"] == {"count": 1, "mean": 240.0, "p50": 240.0, "p90": 240.0, "max": 240.0}
    assert data["daily"] == [
        {
            "date": "2024-03-05",
            "conversations": 4,
            "contained": 0,
            "containment_rate": 0.0,
            "handovers": 3,
            "tickets_opened": 2,
        }
    ]
    assert data["demo"] == {"present": False, "conversations": 0}
    # the same dates in UTC: [03-04T00:00Z, 03-06T00:00Z) — c11 (03-03 23:30Z) drops out, c10
    # (03-05 16:00Z, handed over as h10) comes in: spoke 8, contained c1 only
    data = (await get(h, lead, tz="UTC", **PERIOD)).json()
    assert data["period"]["timezone"] == "UTC"
    assert data["conversations"]["total"] == 8 and data["conversations"]["contained"] == 1
    assert data["demo"]["conversations"] == 2  # c1 and c10
    # an empty period: zeros and no percentiles, never an error
    data = (await get(h, lead, **{"from": "2023-01-01", "to": "2023-01-31"})).json()
    assert data["conversations"]["total"] == 0 and data["conversations"]["containment_rate"] is None
    assert data["first_reply_wait"] == {"count": 0, "mean": None, "p50": None, "p90": None, "max": None}
    assert data["ratings"]["average"] is None and len(data["daily"]) == 31


@pytest.mark.asyncio
async def test_auth_and_bad_parameters(harness):
    h = harness
    assert (await h.http.get("/api/agent/analytics")).status_code == 401
    bad_token = await h.http.get("/api/agent/analytics", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    agent = await login(h, "plain", ["agent"])
    forbidden = await get(h, agent)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "needs_lead"
    lead = await login(h, "lead", ["lead"])
    assert (await get(h, lead)).json()["period"]["days"] == 7  # the default: the last 7 days
    assert (await get(h, lead, days="1")).json()["period"]["days"] == 1
    for params, code in [
        ({"from": "2024-13-01", "to": "2024-12-31"}, "invalid_date"),
        ({"from": "2024-02-30", "to": "2024-03-01"}, "invalid_date"),
        ({"from": "yesterday"}, "invalid_date"),
        ({"from": "2024-03-05", "to": "2024-03-04"}, "invalid_period"),
        ({"to": "2024-03-04"}, "invalid_period"),
        ({"from": "2023-01-01", "to": "2024-01-02"}, "period_too_long"),  # 367 days
        ({"days": "0"}, "invalid_days"),
        ({"days": "367"}, "invalid_days"),
        ({"days": "abc"}, "invalid_days"),
        ({"days": "7", "from": "2024-03-01"}, "invalid_period"),
        ({"tz": "Mars/Olympus"}, "invalid_tz"),
    ]:
        response = await get(h, lead, **params)
        assert response.status_code == 400, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == code and error["message"], (params, error)
    assert (await get(h, lead, **{"from": "2023-01-01", "to": "2023-12-31"})).status_code == 200  # 365 days


def test_nearest_rank_percentiles_and_periods():
    """The period arithmetic alone (no database)."""
    now = datetime(2024, 3, 5, 17, 0, tzinfo=timezone.utc)  # 03-06 01:00 in Shanghai
    period = parse_period(None, None, None, None, default_tz="Asia/Shanghai", now=now)
    assert (period.first.isoformat(), period.last.isoformat(), period.days) == ("2024-02-29", "2024-03-06", 7)
    period = parse_period("2024-03-10", "2024-03-10", None, "Europe/Berlin", default_tz="Asia/Shanghai", now=now)
    assert period.end - period.start == timedelta(days=1)
    # a daylight-saving day is 23 hours long, and the buckets follow it
    period = parse_period("2024-03-31", "2024-04-01", None, "Europe/Berlin", default_tz="Asia/Shanghai", now=now)
    assert period.bounds[0] - period.start == timedelta(hours=23)


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


@pytest.mark.asyncio
async def test_metrics_expose_abuse_and_the_last_24_hours(harness):
    h = harness
    agent = await h.agent("ana")
    handed = await h.customer()
    await h.say(handed, "我要投诉")
    await h.handover(handed, reason="request_human", category="售后")
    assert await h.state(handed) == "assigned"  # auto-assigned to ana
    await h.say(handed, "傻逼客服")  # abusive, while ana holds it
    await h.agent_call(
        agent,
        "POST",
        f"/conversations/{handed.conversation_id}/messages",
        json={"text": "您好，请说", "client_msg_id": "a1"},
    )
    await h.say(await h.customer(), "你好")  # bot only: contained
    await h.say(await h.customer(), "去死")  # abusive, bot part
    text = (await h.http.get("/metrics")).text
    assert f'jieli_abusive_messages_total{{agent_id="{agent.id}",state="assigned"}} 1.0' in text
    assert 'jieli_abusive_messages_total{agent_id="",state="bot"} 1.0' in text
    # 3 conversations where the customer spoke, 2 contained (the last two)
    assert "jieli_containment_ratio_24h 0.6667" in text
    assert 'jieli_conversations_24h{outcome="contained"} 2.0' in text
    assert 'jieli_first_reply_wait_24h_seconds{quantile="0.5"}' in text
    assert 'jieli_handling_24h_seconds{quantile="0.9"} NaN' in text  # nothing closed yet
    assert 'jieli_ratings_24h{score="5"} 0.0' in text
    assert "jieli_tickets_open 0.0" in text
