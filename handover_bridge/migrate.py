"""Apply the Alembic migrations in handover_bridge/migrations (no alembic.ini needed).

At startup a server listener calls `migrate(db)`; `python -m handover_bridge migrate` does the
same from the command line. On PostgreSQL an advisory lock makes concurrent starts (two bridges
at once) wait for each other instead of racing on the schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 7_140_524_031  # arbitrary, constant: "the bridge is migrating"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, schema: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        if schema:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    command.upgrade(alembic_config(connection), "head")


async def migrate(db: Database) -> None:
    async with db.writer.begin() as connection:
        await connection.run_sync(_upgrade, db.settings.db_schema)
