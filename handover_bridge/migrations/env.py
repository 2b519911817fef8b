"""Alembic environment: runs on the connection handed over by handover_bridge.migrate.

Used standalone (`alembic -x …` is not needed): without a connection it builds one from the
JIELI_* settings, so `alembic -c <config with script_location> upgrade head` also works.
"""

from __future__ import annotations

import asyncio

from alembic import context

from handover_bridge.models import Base

target_metadata = Base.metadata


def run_on(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_standalone() -> None:
    from handover_bridge.config import Settings
    from handover_bridge.db import Database

    async def go() -> None:
        db = Database(Settings.from_env())
        async with db.writer.begin() as connection:
            await connection.run_sync(run_on)
        await db.dispose()

    asyncio.run(go())


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
elif context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `python -m handover_bridge migrate`")
else:
    run_standalone()
