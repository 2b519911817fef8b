"""The set-ups of scripts/topology.py, started for real under supervisord: the trained model, the
action servers on a freshly seeded shop database, the bridges, and for the scaled set-up HAProxy,
PostgreSQL (databases of the test's own, dropped afterwards) and Redis. Everything on free ports on
127.0.0.1. Each set-up is started once per test module (Rasa takes a while to load)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import topology  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_SERVER = os.environ.get("JIELI_TEST_PG_SERVER", topology.LOCAL_POSTGRES)
REDIS_URL = os.environ.get("JIELI_TEST_REDIS_URL", topology.DEFAULT_REDIS_URL)
ORDERS = yaml.safe_load((ROOT / "shop" / "demo_orders.yml").read_text(encoding="utf-8"))["orders"]
BOT_DOWN = "暂时开小差"


def shipped_order() -> dict:
    """A shipped demo order with a tracking number: asking about it needs the order number, then
    the phone's last four digits (the bot's pending question), then the shop's action."""
    return next(o for o in ORDERS if o["status"] == "shipped" and o.get("tracking_no"))


def unavailable(what: str) -> None:
    """A missing service fails in CI (make test must cover the set-up) and skips elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: the set-up tests must run)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def shop_env(tmp_path_factory) -> dict[str, str]:
    if not topology.MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    db_url = f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}"
    subprocess.run(
        [str(ROOT / ".venv-rasa" / "bin" / "python"), "-m", "actions.shop.seed", "--db", db_url, "--reset"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return {"JIELI_SHOP_DB_URL": db_url, "JIELI_SHOP_ADAPTER": "sql"}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, shop_env):
    running = topology.start("embedded", state_dir=tmp_path_factory.mktemp("embedded"), env=shop_env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, shop_env):
    try:
        topology.haproxy_binary()
    except topology.TopologyError as error:
        unavailable(str(error))
    tag = secrets.token_hex(4)
    database_url = f"{PG_SERVER}/jieli_topology_{tag}"
    tracker_store = f"{PG_SERVER}/jieli_rasa_topology_{tag}"
    try:
        topology.ensure_database(database_url)
    except topology.TopologyError as error:
        unavailable(str(error))
    try:
        topology.check_redis(REDIS_URL)
    except topology.TopologyError as error:
        topology.drop_database(database_url)
        unavailable(str(error))
    state_dir = tmp_path_factory.mktemp("scaled")
    try:
        running = topology.start(
            "scaled",
            state_dir=state_dir,
            env=shop_env,
            database_url=database_url,
            tracker_store=tracker_store,
            redis_url=REDIS_URL,
            demo=False,  # production secrets: every bridge must share them for customers to move
        )
        yield running
        running.stop()
    finally:
        for url in (database_url, tracker_store):
            topology.drop_database(url)
        shutil.rmtree(state_dir, ignore_errors=True)
