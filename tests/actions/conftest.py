"""Shared fixtures for the action tests.

* the clock is frozen at 2024-11-20 10:00 Beijing time (FROZEN_NOW), so relative dates in
  shop/demo_orders.yml and every date the bot says are exact;
* every test gets its own SQLite shop database, seeded from shop/demo_orders.yml, and the
  settings point to it (SQL adapter, no bridge);
* trackers are built from the JSON tracker dumps in fixtures/ (see jieli_testkit.load_tracker).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from actions import timeutil
from actions.lookup_guard import get_guard
from actions.settings import get_settings
from actions.shop.factory import reset_adapters
from actions.shop.seed import seed
from jieli_testkit import FROZEN_NOW, JIELI_ENV, TEST_ACTION_TOKEN, apply_env


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """One seeded database file; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "shop.db"
    seed(f"sqlite:///{path}", reset=True, now=FROZEN_NOW)
    return path


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timeutil, "now_utc", lambda: FROZEN_NOW)
    return FROZEN_NOW


@pytest.fixture(autouse=True)
def shop_db(tmp_path, seeded_template, monkeypatch, frozen_clock) -> str:
    """A fresh seeded SQLite shop database for this test; returns its URL."""
    path = tmp_path / "shop.db"
    shutil.copy(seeded_template, path)
    url = f"sqlite:///{path}"
    apply_env(
        monkeypatch,
        JIELI_SHOP_ADAPTER="sql",
        JIELI_SHOP_DB_URL=url,
        JIELI_BRIDGE_URL="",
        JIELI_ACTION_TOKEN=TEST_ACTION_TOKEN,
    )
    get_guard().reset()
    yield url
    get_guard().reset()
    reset_adapters()
    get_settings.cache_clear()


@pytest.fixture
def env(monkeypatch):
    """Change the configuration inside a test: env(JIELI_BRIDGE_URL=...)."""
    current = {name: os.environ[name] for name in JIELI_ENV if os.environ.get(name)}

    def setter(**values: str) -> None:
        apply_env(monkeypatch, **{**current, **values})

    return setter
