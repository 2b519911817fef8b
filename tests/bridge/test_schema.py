"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and a
downgrade to the first revision and back works (a shop can roll a release back)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from handover_bridge.config import Settings
from handover_bridge.db import Database
from handover_bridge.migrate import alembic_config, migrate
from handover_bridge.models import Base

from .conftest import ACTION_TOKEN, SECRET


def _settings(store) -> Settings:
    return Settings.from_env(
        {
            "JIELI_DATABASE_URL": store.url,
            "JIELI_DB_SCHEMA": store.schema,
            "JIELI_SECRET_KEY": SECRET,
            "JIELI_ACTION_TOKEN": ACTION_TOKEN,
        }
    )


def _differences(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [
        d
        for d in compare_metadata(context, Base.metadata)
        if not (isinstance(d, tuple) and d[0] in ("remove_table",) and d[1].name == "alembic_version")
    ]


@pytest.mark.asyncio
async def test_migrations_match_the_models_and_downgrade(store):
    db = Database(_settings(store))
    try:
        await migrate(db)
        async with db.writer.begin() as connection:
            assert await connection.run_sync(_differences) == []
            await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0001"))
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            assert await connection.run_sync(_differences) == []
    finally:
        await db.dispose()
