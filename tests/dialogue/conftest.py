"""What the whole-conversation tests share: the trained bot in one process (tests/dialogue/harness.py)
with the real actions, on a freshly seeded shop database and a fake bridge client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[2] / "models" / "jieli.tar.gz"


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    from actions import handover_actions
    from actions.settings import get_settings
    from actions.shop.factory import reset_adapters
    from actions.shop.seed import seed
    from harness import ACTION_TOKEN, FakeBridge, InProcessBot

    db = tmp_path_factory.mktemp("shop") / "shop.db"
    seed(f"sqlite:///{db}", reset=True)
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("JIELI_")]:
            patch.delenv(name)
        patch.setenv("JIELI_SHOP_ADAPTER", "sql")
        patch.setenv("JIELI_SHOP_DB_URL", f"sqlite:///{db}")
        patch.setenv("JIELI_BRIDGE_URL", "http://bridge.invalid")  # configured; the client is faked below
        patch.setenv("JIELI_ACTION_TOKEN", ACTION_TOKEN)  # verifies the customers the "bridge" signs
        get_settings.cache_clear()
        reset_adapters()
        bridge = FakeBridge()
        patch.setattr(handover_actions, "get_bridge_client", lambda: bridge)
        instance = InProcessBot(str(MODEL), bridge)
        yield instance
        instance.close()
        reset_adapters()
    get_settings.cache_clear()
