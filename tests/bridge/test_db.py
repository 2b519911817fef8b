"""The store's hot path on SQLite: statements run in the event loop's thread, but a write lock
held by another process is waited for without blocking the loop; the WAL is checkpointed."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
import pytest_asyncio

from handover_bridge.config import Settings
from handover_bridge.db import Database
from handover_bridge.migrate import migrate
from handover_bridge.models import Conversation
from handover_bridge.repositories.append import append

from .conftest import ACTION_TOKEN, SECRET


@pytest_asyncio.fixture
async def sqlite_db(tmp_path):
    path = tmp_path / "bridge.db"
    db = Database(
        Settings.from_env(
            {"JIELI_DATABASE_URL": f"sqlite:///{path}", "JIELI_SECRET_KEY": SECRET, "JIELI_ACTION_TOKEN": ACTION_TOKEN}
        )
    )
    await migrate(db)
    async with db.write() as session:
        session.add(Conversation(id="c" * 32, token_hash="h", state="bot", meta={}, next_seq=0))
    yield db, path
    await db.dispose()


async def _store(db: Database, text: str) -> int:
    async with db.raw() as tx:
        counter, _stored = await append(tx, "c" * 32, [{"sender": "customer", "text": text}])
    return counter.next_seq


@pytest.mark.asyncio
async def test_a_lock_held_by_another_process_is_waited_for_without_blocking_the_loop(sqlite_db):
    db, path = sqlite_db
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    store = asyncio.create_task(_store(db, "等锁"))
    await asyncio.sleep(0.3)
    assert not store.done()  # it waits for the lock …
    assert ticks >= 10  # … while the loop keeps running
    other.execute("COMMIT")
    assert await asyncio.wait_for(store, 5) == 1
    task.cancel()
    other.close()
    assert await _store(db, "不用等") == 2  # and the next one takes the free lock at once


@pytest.mark.asyncio
async def test_a_failed_transaction_leaves_nothing_and_the_wal_is_checkpointed(sqlite_db):
    db, path = sqlite_db
    with pytest.raises(RuntimeError):
        async with db.raw() as tx:
            await append(tx, "c" * 32, [{"sender": "customer", "text": "回滚"}])
            raise RuntimeError("boom")
    for n in range(200):
        await _store(db, f"消息{n}")
    wal = path.with_name(path.name + "-wal")
    started = time.monotonic()
    await db.checkpoint()
    assert time.monotonic() - started < 5
    check = sqlite3.connect(path)
    assert check.execute("SELECT max(seq), count(*) FROM messages").fetchone() == (200, 200)
    busy, log_frames, checkpointed = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and checkpointed == log_frames
    check.close()
    assert wal.exists()
