"""JIELI_WECHAT_*: off without a corp id; outside demo mode placeholder or sample secrets are
refused (naming the setting, never the value); demo mode fills demo values."""

from __future__ import annotations

import pytest

from handover_bridge.config import DEMO_WECHAT_AES_KEY, ConfigError, Settings

from .conftest import wechat_secrets

BASE = {
    "JIELI_SECRET_KEY": "test-key-0be46cKA7kBpbkF_ZeC63P8j0-jSBtPw",
    "JIELI_ACTION_TOKEN": "test-action-dFVeQJPLPjNMCXgoLcQV9ohF81URfgbR",
}


def env(**wechat: str) -> dict[str, str]:
    return {**BASE, **{f"JIELI_WECHAT_{k.upper()}": v for k, v in wechat.items()}}


def test_off_without_a_corp_id_and_on_with_good_values():
    assert not Settings.from_env(BASE).wechat_enabled
    values = wechat_secrets()
    settings = Settings.from_env(env(**values, mode="wecom_agents", servicer="zhangsan"))
    assert settings.wechat_enabled and settings.wechat_mode == "wecom_agents" and settings.wechat_servicer == "zhangsan"


@pytest.mark.parametrize(
    "override, named",
    [
        ({"secret": "your-wechat-secret-here"}, "JIELI_WECHAT_SECRET"),
        ({"aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"}, "sample key"),
        ({"aes_key": "a" * 43}, "JIELI_WECHAT_AES_KEY"),
        ({"token": "QDG6eK"}, "JIELI_WECHAT_TOKEN"),
        ({"token": "x" * 32}, "JIELI_WECHAT_TOKEN"),
        ({"mode": "robots"}, "JIELI_WECHAT_MODE"),
        ({"aes_key": "short"}, "JIELI_WECHAT_AES_KEY"),
    ],
)
def test_weak_or_sample_values_are_refused(override, named):
    values = {**wechat_secrets(), **override}
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env(**values))
    assert named in str(raised.value)
    for secret in ("secret", "aes_key"):
        if len(values[secret]) > 8:
            assert values[secret] not in str(raised.value)


def test_demo_mode_fills_demo_values():
    settings = Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_WECHAT_CORP_ID": "wwjielidemo"})
    assert settings.wechat_aes_key == DEMO_WECHAT_AES_KEY and len(settings.wechat_token) == 32
