"""The lead's dashboard API (GET /api/agent/analytics) against a small fixture whose every figure is
computed by hand (analytics_fixture.py: the rows and the table of their figures), on SQLite and
PostgreSQL; auth and bad parameters; the period arithmetic; the /metrics gauges of the last 24
hours. The abusive flag on stored messages and the lexicon endpoint are in test_profanity.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from handover_bridge.services.learning.analytics import parse_period

from .analytics_fixture import PERIOD, build_fixture
from .conftest import PASSWORD


async def login(h, username: str, roles: list[str]) -> dict[str, str]:
    await h.bridge.agents.create(username, PASSWORD, display_name=username.upper(), skills=["*"], roles=roles)
    response = await h.http.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


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
