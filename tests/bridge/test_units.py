"""Pure units: settings, the ETA formula, business hours, priorities, rate-limit buckets."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from handover_bridge.config import ConfigError, Settings, async_database_url
from handover_bridge.domain.hours import BusinessHours
from handover_bridge.domain.priority import category_of, priority_of
from handover_bridge.domain.texts import queue_notice
from handover_bridge.services.infra.ratelimit import MemoryRateLimiter
from handover_bridge.services.queue.queue import Snapshot

GOOD = {
    "JIELI_SECRET_KEY": "Wk3ZqT9vLr2nXc7HbP4mJd8sYf1gQa6u",
    "JIELI_ACTION_TOKEN": "Ne5Rt8KyUw2Ip0OzLx3Cv7Bm4Hj9Gs6d",
}


def test_eta_formula():
    def agent(i, skills=("*",), cap=2):
        return SimpleNamespace(id=i, skills=list(skills), max_concurrent=cap)

    handovers = [SimpleNamespace(id=n, skill="general") for n in range(1, 7)]
    snap = Snapshot(
        queued=[(h, None) for h in handovers],
        online=[agent(1), agent(2), agent(3, ["billing"])],
        loads={1: 2, 2: 1},
        median_handle=120.0,
        open_now=True,
    )
    # capable agents 1 and 2: slots S = 4, free F = 1; ETA = (p − F) × H / S
    assert [(e.position, e.eta_seconds, e.agents_online) for e in map(snap.estimate, handovers[:3])] == [
        (1, 0, 2),
        (2, 30, 2),
        (3, 60, 2),
    ]
    closed = Snapshot(queued=[(handovers[0], None)], online=[agent(1)], loads={}, median_handle=120.0, open_now=False)
    assert closed.estimate(handovers[0]).eta_seconds is None
    nobody = Snapshot(
        queued=[(handovers[0], None)], online=[agent(3, ["billing"])], loads={}, median_handle=120.0, open_now=True
    )
    assert nobody.estimate(handovers[0]).agents_online == 0


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short"])
def test_placeholder_secrets_are_refused_outside_demo_mode(secret):
    with pytest.raises(ConfigError, match="JIELI_SECRET_KEY"):
        Settings.from_env({**GOOD, "JIELI_SECRET_KEY": secret})
    with pytest.raises(ConfigError, match="JIELI_ACTION_TOKEN"):
        Settings.from_env({**GOOD, "JIELI_ACTION_TOKEN": secret})


def test_demo_mode_fills_demo_values():
    settings = Settings.from_env({"JIELI_DEMO_MODE": "true"})
    assert settings.secret_key and settings.action_token and settings.demo_password == "jieli-demo"
    assert settings.allowed_origins == ("http://127.0.0.1:8080", "http://localhost:8080")
    assert Settings.from_env({"JIELI_DEMO_MODE": "1", "JIELI_DEMO_PASSWORD": "pw-123456"}).demo_password == "pw-123456"
    # the demo values are refused outside demo mode
    with pytest.raises(ConfigError, match="JIELI_SECRET_KEY"):
        Settings.from_env({**GOOD, "JIELI_SECRET_KEY": settings.secret_key})


def test_settings_defaults_and_parsing():
    settings = Settings.from_env(
        {
            **GOOD,
            "JIELI_ALLOWED_ORIGINS": "https://a.example, https://b.example/",
            "JIELI_CATEGORY_SKILLS": "物流:wuliu",
            "JIELI_AUTO_ASSIGN": "false",
        }
    )
    assert settings.database_url == "sqlite+aiosqlite:///var/bridge.db"
    assert (settings.host, settings.port, settings.rasa_timeout, settings.max_message_chars) == (
        "127.0.0.1",
        8080,
        8.0,
        2000,
    )
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.skill_for("物流") == "wuliu" and settings.skill_for("账单") == "billing"
    assert settings.auto_assign is False
    with pytest.raises(ConfigError, match="JIELI_PORT"):
        Settings.from_env({**GOOD, "JIELI_PORT": "eighty"})
    with pytest.raises(ConfigError, match="BUSINESS_HOURS"):
        Settings.from_env({**GOOD, "JIELI_BUSINESS_HOURS": "9am-5pm"})


def test_database_urls():
    assert (
        async_database_url("postgresql://postgres@127.0.0.1:5432/test")
        == "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    assert async_database_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_database_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    with pytest.raises(ConfigError):
        async_database_url("mysql://u@h/db")


def test_business_hours():
    hours = BusinessHours.parse("09:00-22:00", "Asia/Shanghai")
    utc = lambda h, m=0: datetime(2026, 1, 5, h, m, tzinfo=timezone.utc)  # noqa: E731  (Shanghai = UTC+8)
    assert hours.is_open(utc(1)) and hours.is_open(utc(13, 59)) and not hours.is_open(utc(14))
    assert not hours.is_open(utc(0, 59))
    night = BusinessHours.parse("22:00-06:00", "Asia/Shanghai")
    assert night.is_open(utc(15)) and not night.is_open(utc(3))
    assert BusinessHours.parse("", "Asia/Shanghai").is_open(utc(3))


def test_priority_and_category():
    assert category_of("logistics") == "物流" and category_of("售后") == "售后" and category_of("??") == "其他"
    assert priority_of("urgent", {}, {}) == 3 and priority_of(7, {}, {}) == 7 and priority_of(99, {}, {}) == 9
    assert priority_of(None, {}, {}) == 1
    # tier and order value count only when the bridge can vouch for them (test_identity.py)
    verified_vip = {"tier": "svip", "identity": {"verified": True, "customer_id": "C1001", "tier": "VIP"}}
    angry = {"frustration": 0.9, "signals": {"human_requests": 3}}
    assert priority_of(None, angry, verified_vip) == 4
    assert priority_of(None, angry, {"tier": "VIP"}) == 3
    assert priority_of(None, {}, {"current_order": {"amount": 2999}}) == 1
    assert priority_of(None, {"order": {"total": "2999.00"}}, {}) == 1
    assert priority_of(None, {"order": {"total": "2999.00", "order_verified": True}}, {}) == 2
    # the action's own number, less what it may have counted for unverified claims
    assert priority_of(2, {}, {"tier": "svip"}) == 1 and priority_of(2, {}, verified_vip) == 2
    assert priority_of(3, angry, {"tier": "svip", "current_order": {"amount": 5000}}) == 3
    assert priority_of(4, angry, {"tier": "svip", "current_order": {"amount": 5000}}) == 3
    assert priority_of(1, {}, {"tier": "svip"}) == 1 and priority_of("low", {}, {"tier": "svip"}) == 0


def test_queue_notice_wording():
    assert queue_notice(3, 250) == "正在为您转接人工客服，前面还有 2 位，预计等待 5 分钟。"
    assert queue_notice(1, 10) == "正在为您转接人工客服，您是下一位，马上为您接入。"


def test_token_bucket():
    limiter = MemoryRateLimiter()
    assert [limiter.hit_now("k", 60, 2, 0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert limiter.hit_now("k", 60, 2, 1.0) == 0.0  # one token per second refills


def test_the_held_out_set_is_a_setting_with_the_old_default(tmp_path):
    from handover_bridge.config import PROJECT_ROOT

    default = Settings.from_env({"JIELI_DEMO_MODE": "true"})
    assert default.heldout_path == f"{PROJECT_ROOT}/tests/nlu/heldout.yml"
    other = Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_HELDOUT_PATH": str(tmp_path / "h.yml")})
    assert other.heldout_path == str(tmp_path / "h.yml")


def test_a_bad_time_zone_is_a_config_error():
    with pytest.raises(ConfigError, match="JIELI_TIMEZONE"):
        Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="JIELI_BUSINESS_HOURS"):
        Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_BUSINESS_HOURS": "nine to five"})
