"""The bridge's side of Rasa's --auth-token: JIELI_RASA_TOKEN is a secret like the others, and the
bridge sends it on every call to Rasa's HTTP API (the real Rasa refusing without it is checked in
tests/e2e/test_trust.py)."""

from __future__ import annotations

import pytest

from handover_bridge.config import ConfigError, Settings

GOOD = {
    "JIELI_SECRET_KEY": "Wk3ZqT9vLr2nXc7HbP4mJd8sYf1gQa6u",
    "JIELI_ACTION_TOKEN": "Ne5Rt8KyUw2Ip0OzLx3Cv7Bm4Hj9Gs6d",
}


@pytest.mark.parametrize("weak", ["changeme-changeme", "rasa-token-rasa-token-rasa-token-1", "x" * 40])
def test_a_weak_rasa_token_is_refused_outside_demo_mode(weak):
    with pytest.raises(ConfigError, match="JIELI_RASA_TOKEN") as caught:
        Settings.from_env({**GOOD, "JIELI_RASA_TOKEN": weak})
    assert weak not in str(caught.value)


def test_a_strong_rasa_token_is_accepted_and_demo_mode_takes_any():
    strong = "Qp4Zx8Lm2Vn6Rt0Ws3Yk7Hc1Jd5Gf9Ba"
    assert Settings.from_env({**GOOD, "JIELI_RASA_TOKEN": strong}).rasa_token == strong
    assert Settings.from_env({"JIELI_DEMO_MODE": "true", "JIELI_RASA_TOKEN": "short"}).rasa_token == "short"
