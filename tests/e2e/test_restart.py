"""Rasa that remembers: killed with SIGKILL in the middle of a conversation and started again, the
bot still knows the order number the customer gave and the question it was answering — on the
SQLite tracker store (the embedded default) and on PostgreSQL (several Rasa nodes share one).

The real Rasa and action server, started as every start script starts them (scripts/supervise.py),
on a tracker store that rolls the session every 8 customer messages (jieli_dialogue/tracker_store.py:
the order is asked for right at a roll). PostgreSQL at JIELI_TEST_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test; Rasa creates a database of its own there, dropped at the
end): skipped when not reachable, except with CI=true, where that fails the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from conftest import MODEL, Bot  # noqa: E402
from ports import free_port  # noqa: E402
from supervise import rasa_services, start_all, stop_all  # noqa: E402

PG_URL = os.environ.get("JIELI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
ORDERS = {o["order_id"]: o for o in yaml.safe_load((ROOT / "shop" / "demo_orders.yml").read_text("utf-8"))["orders"]}
ORDER = "2024111800045604"  # shipped: the answer names its tracking number
ROLL_AFTER = 8  # jieli_dialogue.signals.CARRY_TURNS, the smallest roll the store accepts

# seven everyday questions, then the order question as the eighth message: the session rolls
# while the bot waits for the order number
WARM_UP = [
    "你好",
    "退货运费谁出",
    "怎么开增值税专用发票",
    "支持哪些付款方式",
    "优惠券怎么用",
    "七天无理由退货吗",
    "可以用花呗吗",
]


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def postgres_store() -> tuple[str, sa.engine.Engine]:
    """A PostgreSQL tracker store URL of its own, and an engine on the server's login database."""
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but {PG_URL} is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    parts = urlsplit(PG_URL)
    name = f"jieli_rasa_test_{uuid.uuid4().hex[:10]}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), engine


class Node:
    """One Rasa node and its action server; Rasa can be killed and started again."""

    def __init__(self, tmp: Path, store_url: str) -> None:
        self.store_url = store_url
        db_url = f"sqlite:///{tmp / 'shop.db'}"
        subprocess.run(
            [sys.executable, "-m", "actions.shop.seed", "--db", db_url, "--reset"],
            cwd=ROOT,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.rasa_port, action_port = free_port(), free_port()
        self.services = rasa_services(
            self.rasa_port, action_port, MODEL, tmp / "log", tracker_store=store_url, roll_after=ROLL_AFTER
        )
        for service in self.services:
            service.env.update({"JIELI_SHOP_DB_URL": db_url, "JIELI_SHOP_ADAPTER": "sql", "JIELI_BRIDGE_URL": ""})
        start_all(self.services)
        self.bot = Bot(f"http://127.0.0.1:{self.rasa_port}", self.services[1].token)

    @property
    def rasa(self):
        return self.services[1]

    def kill_and_restart_rasa(self) -> None:
        old = self.rasa.process
        os.killpg(old.pid, signal.SIGKILL)  # its own process group (start_new_session): Rasa and its children
        old.wait(timeout=30)
        assert old.returncode == -signal.SIGKILL
        start_all([self.rasa])  # the same command, endpoints file and tracker store
        assert self.rasa.process.pid != old.pid

    def age(self, sender: str, seconds: float) -> None:
        """Make the conversation `seconds` older in the tracker store (the column Rasa's query reads
        and the timestamp inside each stored event), as if the customer had been away that long."""
        url = self.store_url.replace("postgresql://", "postgresql+psycopg2://", 1)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT id, data FROM events WHERE sender_id = :s"), {"s": sender}).fetchall()
            for row_id, data in rows:
                event = json.loads(data)
                event["timestamp"] -= seconds
                conn.execute(
                    sa.text("UPDATE events SET timestamp = :t, data = :d WHERE id = :i"),
                    {"t": event["timestamp"], "d": json.dumps(event), "i": row_id},
                )
        engine.dispose()

    def stop(self) -> None:
        stop_all(self.services)


@pytest.fixture(params=["sqlite", "postgresql"])
def node(request, tmp_path):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    engine = None
    if request.param == "sqlite":
        store_url = f"sqlite:///{tmp_path / 'rasa' / 'trackers.db'}"
    else:
        store_url, engine = postgres_store()
    running = Node(tmp_path, store_url)
    yield running
    running.stop()
    if engine is not None:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{urlsplit(store_url).path.lstrip("/")}" WITH (FORCE)'))
        engine.dispose()


def test_rasa_killed_mid_conversation_still_knows_the_order_and_the_pending_question(node):
    bot, sender, order = node.bot, f"restart-{uuid.uuid4().hex[:10]}", ORDERS[ORDER]
    for text in WARM_UP:
        assert bot.say(text, sender)
    assert "订单号" in text_of(bot.say("我的快递到哪了", sender))  # the bot asks for the number …
    asked = text_of(bot.say(ORDER, sender))
    assert "手机号的后四位" in asked and order["tracking_no"] not in asked  # … then for the phone's digits

    node.kill_and_restart_rasa()

    # the pending question (which order, what for) survived: the digits alone finish the lookup
    answer = text_of(bot.say(f"尾号{order['phone'][-4:]}", sender))
    assert order["tracking_no"] in answer
    # a follow-up uses the order the customer gave before the crash: no question for the number
    later = text_of(bot.say("这个订单什么时候能到", sender))
    assert order["tracking_no"] in later and "订单号" not in later
    events = bot.tracker(sender)["events"]
    assert sum(1 for e in events if e["event"] == "session_started") >= 2  # rolled on the way
    assert [e["text"] for e in events if e["event"] == "user"][-3:] == [
        ORDER,
        f"尾号{order['phone'][-4:]}",
        "这个订单什么时候能到",
    ]


def test_a_session_that_expires_keeps_the_order(node):
    """domain.yml session_config: sessions expire after 60 idle minutes and carry the slots over."""
    bot, sender, order = node.bot, f"expiry-{uuid.uuid4().hex[:10]}", ORDERS[ORDER]
    bot.say("我的快递到哪了", sender)
    bot.say(ORDER, sender)
    assert order["tracking_no"] in text_of(bot.say(f"尾号{order['phone'][-4:]}", sender))
    starts = sum(1 for e in bot.tracker(sender)["events"] if e["event"] == "session_started")

    node.age(sender, 2 * 3600)  # the customer comes back two hours later

    later = text_of(bot.say("这个订单什么时候能到", sender))
    assert order["tracking_no"] in later and "订单号" not in later
    events = bot.tracker(sender)["events"]
    assert sum(1 for e in events if e["event"] == "session_started") == starts + 1  # a new session …
    assert time.time() - events[-1]["timestamp"] < 600  # … started now, with the slots carried over
