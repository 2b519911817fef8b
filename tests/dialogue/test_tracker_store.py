"""RollingSQLTrackerStore against real databases: SQLite always; PostgreSQL when one is reachable at
JIELI_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test) — skipped when not, except
with CI=true, where an unreachable PostgreSQL fails the run. Rasa's own store code does the SQL;
the trackers are real Rasa trackers built from convo.Convo's events and domain.yml."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from convo import Convo, handed_over, order
from jieli_dialogue.signals import CARRY_KEY, CARRY_TURNS, compute_signals, continued
from jieli_dialogue.tracker_store import RollingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("JIELI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def run(coroutine):
    return asyncio.new_event_loop().run_until_complete(coroutine)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_args(request, tmp_path):
    if request.param == "sqlite":
        yield {"dialect": "sqlite", "db": str(tmp_path / "trackers.db")}
        return
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        engine.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but {PG_URL} is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"jieli_rasa_test_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(PG_URL)
    yield {
        "dialect": "postgresql",
        "host": parts.hostname,
        "port": parts.port or 5432,
        "db": name,
        "username": parts.username,
        "password": parts.password,
        "login_db": parts.path.lstrip("/") or "postgres",  # Rasa creates `db` from this one
    }
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def store(store_args: dict, roll_after: int = CARRY_TURNS) -> RollingSQLTrackerStore:
    return RollingSQLTrackerStore(domain=DOMAIN, roll_after=roll_after, **store_args)


def tracker_of(convo: Convo) -> DialogueStateTracker:
    return DialogueStateTracker.from_dict(convo.sender, convo.events, DOMAIN.slots)


def as_rasa(convo: Convo) -> list[dict]:
    """The conversation's events as Rasa writes them back."""
    return [e.as_dict() for e in tracker_of(convo).events]


def unrolled(convo: Convo) -> list[dict]:
    """What the SQL store reads back of a session it did not roll: from its session_started on."""
    return as_rasa(convo)[1:]


def conversation(messages: int) -> Convo:
    """An order looked up (slots order_id, order_topic) and then everyday questions."""
    convo = Convo(sender=f"c-{uuid.uuid4().hex[:10]}")
    convo.user("我的快递到哪了", "order_status").bot("action_order_status", "麻烦发一下订单号", clarify=True)
    convo.bot(
        "action_order_status", listen=False, events=[{"event": "slot", "name": "order_topic", "value": "order_status"}]
    )
    convo.user("2024111800045604", "inform_order_id", entities=[order("2024111800045604")])
    convo.bot("action_continue_order", "已发货，快递单号 SF123")
    for number in range(messages - 2):
        convo.user(f"第{number}个问题 发票抬头写错了", "invoice").bot("action_invoice", "可以申请换开。")
    return convo


def test_a_long_session_is_rolled_when_saved_and_read_back_short(store_args):
    rolling = store(store_args)
    convo = conversation(CARRY_TURNS + 3)
    run(rolling.save(tracker_of(convo)))
    tracker = run(rolling.retrieve(convo.sender))
    # what Rasa reads back is the new session: its session_started, the slots, action_listen
    assert isinstance(tracker.events[0], SessionStarted) and CARRY_KEY in tracker.events[0].metadata
    assert not any(isinstance(e, UserUttered) for e in tracker.events)
    assert tracker.get_slot("order_id") == "2024111800045604"
    assert tracker.latest_action_name == "action_listen" and not tracker.is_paused()
    # nothing is lost: the whole conversation is still in the store, and the signals see it whole
    full = run(rolling.retrieve_full_tracker(convo.sender))
    assert [e.as_dict() for e in full.events][: len(convo.events)] == as_rasa(convo)
    events = [e.as_dict() for e in tracker.events]
    assert compute_signals(events) == compute_signals(convo.events)
    assert continued(events)[1].turns == 3


def test_the_next_turn_goes_into_the_rolled_session(store_args):
    rolling = store(store_args)
    convo = conversation(CARRY_TURNS)
    run(rolling.save(tracker_of(convo)))
    tracker = run(rolling.retrieve(convo.sender))
    before = len(tracker.events)
    turn = Convo().user("这个订单什么时候能到", "order_status").bot("action_order_status", "预计明天送达").events[3:]
    for offset, event in enumerate(turn):  # the next turn happens now, as Rasa stamps its events
        tracker.update(Event.from_parameters({**event, "timestamp": time.time() + offset / 1000}), DOMAIN)
    run(rolling.save(tracker))
    again = run(rolling.retrieve(convo.sender))
    assert len(again.events) == len(tracker.events) > before
    assert again.latest_message.text == "这个订单什么时候能到"
    assert again.get_slot("order_id") == "2024111800045604"


def test_no_roll_before_roll_after_messages_mid_turn_or_while_a_person_has_the_chat(store_args):
    rolling = store(store_args)
    short = conversation(CARRY_TURNS - 1)
    mid_turn = conversation(CARRY_TURNS + 2).user("退货运费谁出", "return_exchange")
    paused = handed_over(conversation(CARRY_TURNS + 2).user("转人工", "request_human"))
    for convo in (short, mid_turn, paused):
        run(rolling.save(tracker_of(convo)))
        tracker = run(rolling.retrieve(convo.sender))
        assert [e.as_dict() for e in tracker.events] == unrolled(convo)
    assert run(rolling.retrieve(paused.sender)).is_paused()


def test_roll_after_zero_never_rolls_and_too_small_a_value_is_refused(store_args):
    never = store(store_args, roll_after=0)
    convo = conversation(3 * CARRY_TURNS)
    run(never.save(tracker_of(convo)))
    assert [e.as_dict() for e in run(never.retrieve(convo.sender)).events] == unrolled(convo)
    with pytest.raises(ValueError, match="roll_after"):
        store(store_args, roll_after=CARRY_TURNS - 1)


def test_the_latest_session_start_is_found_by_an_index(store_args):
    rolling = store(store_args)
    indexes = sa.inspect(rolling.engine).get_indexes("events")
    assert any(i["column_names"] == ["sender_id", "type_name", "timestamp"] for i in indexes)
    store(store_args)  # a second node on the same store starts as well
