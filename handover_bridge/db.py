"""Engines and units of work.

`async with db.write() as session:` is one transaction that commits on exit; `db.read()` is a
read-only session. On SQLite, writes go through one pooled connection that starts with
`BEGIN IMMEDIATE` (SQLite has one writer: queueing in the pool beats "database is locked"),
and reads use a separate pool (WAL lets them run beside the writer). On PostgreSQL both use one
pool. Never hold a session across a network call or for the life of a WebSocket.

The hot path (`db.raw()`) on SQLite runs its few statements synchronously on the writer's own
sqlite3 connection, in the event loop's thread: each takes some microseconds, while a hop to
aiosqlite's worker thread and back costs a thread wake-up each — about ten per transaction, and
on a busy machine every wake-up waits for a CPU. Only `BEGIN IMMEDIATE` may wait (another process
holding the write lock); it is tried without waiting and otherwise waits in the worker thread.
So that a commit never stalls the loop with a checkpoint, the writer does not checkpoint the WAL
itself (`wal_autocheckpoint=0`): `Database.checkpoint()` does it in a worker thread, called by
the background sweeper.

Sessions always end through these context managers (commit, or rollback on error and on close),
so the pool's own reset-on-return — one more round trip per unit of work — is switched off.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from .config import Settings


class Database:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.database_url
        self.is_postgres = settings.is_postgres
        if self.is_postgres:
            connect_args = {"server_settings": {"search_path": settings.db_schema}} if settings.db_schema else {}
            engine = create_async_engine(
                self.url,
                pool_size=settings.db_pool_size,
                max_overflow=20,
                pool_reset_on_return=None,
                connect_args=connect_args,
            )
            self.writer = self.reader = engine
        else:
            _ensure_sqlite_dir(self.url)
            # check_same_thread=False: the hot path uses the connection from the loop's thread
            # while it holds it (pool of one), never at the same time as aiosqlite's thread
            self.writer = create_async_engine(
                self.url,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
                pool_reset_on_return=None,
                connect_args={"timeout": BUSY_SECONDS, "check_same_thread": False},
            )
            self.reader = create_async_engine(
                self.url, pool_size=4, max_overflow=4, pool_reset_on_return=None, connect_args={"timeout": BUSY_SECONDS}
            )
            _sqlite_setup(self.writer, begin="BEGIN IMMEDIATE", pragmas=("wal_autocheckpoint=0",))
            _sqlite_setup(self.reader, begin="BEGIN")
        self._write = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read = async_sessionmaker(self.reader, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._write() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def raw(self, *, single_statement: bool = False) -> AsyncIterator[RawTransaction]:
        """One write transaction on the driver's own connection (asyncpg or aiosqlite), taken
        from the same pool. Only for the few statements of the bot-turn hot path
        (repositories/turns.py): SQLAlchemy's per-statement machinery costs about three times
        what these statements cost themselves. `single_statement`: the caller sends exactly
        one statement, which PostgreSQL runs as its own transaction — no BEGIN and COMMIT
        round trips (SQLite: the same as without)."""
        async with self.writer.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            if self.is_postgres and single_statement:
                try:
                    yield _PostgresTransaction(driver)
                except Exception as error:
                    if _lost_connection(error):
                        await connection.invalidate()
                    raise
            elif self.is_postgres:
                try:
                    async with driver.transaction():
                        yield _PostgresTransaction(driver)
                except Exception as error:
                    if _lost_connection(error):  # don't hand a dead connection out again
                        await connection.invalidate()
                    raise
            else:
                sqlite = driver._conn  # aiosqlite's sqlite3.Connection (see the module docstring)
                await _begin_immediate(driver, sqlite)
                try:
                    yield _SqliteTransaction(sqlite)
                except BaseException:
                    sqlite.rollback()
                    raise
                else:
                    sqlite.commit()

    async def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database file (PASSIVE: never waits for, nor blocks,
        readers and writers), in a worker thread. PostgreSQL: nothing to do."""
        if self.is_postgres:
            return
        async with self.reader.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def ping(self) -> None:
        async with self.reader.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


BUSY_SECONDS = 30  # how long a SQLite statement waits for another process's lock


async def _begin_immediate(driver, sqlite) -> None:
    """Take SQLite's write lock: at once when it is free (the usual case, no thread hop), else
    wait for it in aiosqlite's thread so that the event loop never blocks."""
    import sqlite3

    sqlite.execute("PRAGMA busy_timeout=0")
    try:
        sqlite.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
    finally:
        sqlite.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    await driver.execute("BEGIN IMMEDIATE")


def _sqlite_setup(engine: AsyncEngine, begin: str, pragmas: tuple[str, ...] = ()) -> None:
    """WAL, a busy timeout, foreign keys, and transactions that we begin ourselves."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let us emit BEGIN (pysqlite's is broken)
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={BUSY_SECONDS * 1000}",
            *pragmas,
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql(begin)


def _lost_connection(error: BaseException) -> bool:
    import asyncpg

    return isinstance(error, (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError))


class DuplicateKey(Exception):
    """An INSERT hit a unique constraint (raw transactions)."""


class RawTransaction:
    """SQL with `$1, $2 …` placeholders (each used once, in order); JSON and timestamps are
    converted here so that the ORM reads back exactly what it would have written."""

    is_postgres = False

    async def fetchrow(self, sql: str, *args: Any) -> Sequence[Any] | None:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    @staticmethod
    def dumps(value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    @staticmethod
    def loads(value: Any) -> Any:
        return json.loads(value) if isinstance(value, (str, bytes)) else value


class _PostgresTransaction(RawTransaction):
    is_postgres = True

    def __init__(self, connection):
        self.connection = connection

    def timestamp(self, value: datetime) -> datetime:
        return value

    async def fetchrow(self, sql, *args):
        import asyncpg

        try:
            return await self.connection.fetchrow(sql, *args)
        except asyncpg.UniqueViolationError as error:
            raise DuplicateKey(str(error)) from None

    async def executemany(self, sql, rows):
        import asyncpg

        try:
            await self.connection.executemany(sql, rows)
        except asyncpg.UniqueViolationError as error:
            raise DuplicateKey(str(error)) from None


_PLACEHOLDER = re.compile(r"\$\d+")


class _SqliteTransaction(RawTransaction):
    """Statements run synchronously on the sqlite3 connection (see the module docstring)."""

    def __init__(self, connection):
        self.connection = connection

    def timestamp(self, value: datetime) -> str:
        return sqlite_timestamp(value)

    async def fetchrow(self, sql, *args):
        cursor = self.connection.execute(_sqlite_sql(sql), args)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    async def executemany(self, sql, rows):
        import sqlite3

        try:
            self.connection.executemany(_sqlite_sql(sql), rows)
        except sqlite3.IntegrityError as error:
            raise DuplicateKey(str(error)) from None


@functools.lru_cache(maxsize=64)
def _sqlite_sql(sql: str) -> str:
    return _PLACEHOLDER.sub("?", sql)


def sqlite_timestamp(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME storage format, in UTC (see models.UTCDateTime)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class SessionTransaction(RawTransaction):
    """The same `$1 …` statements inside an ORM unit of work (db.write()): its connection, its
    transaction (repositories/append.in_session)."""

    def __init__(self, session: AsyncSession):
        self.session = session
        self.is_postgres = session.bind.dialect.name == "postgresql"

    def timestamp(self, value: datetime) -> Any:
        return value if self.is_postgres else sqlite_timestamp(value)

    async def fetchrow(self, sql, *args):
        result = await self._run(sql, tuple(args))
        return result.first() if result.returns_rows else None

    async def executemany(self, sql, rows):
        await self._run(sql, rows)

    async def _run(self, sql: str, parameters):
        from sqlalchemy.exc import IntegrityError

        connection = await self.session.connection()
        try:  # asyncpg takes $1 … itself (paramstyle numeric_dollar); sqlite3 wants ?
            return await connection.exec_driver_sql(sql if self.is_postgres else _sqlite_sql(sql), parameters)
        except IntegrityError as error:
            raise DuplicateKey(str(error)) from None
