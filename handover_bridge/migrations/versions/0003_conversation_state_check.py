"""the conversation state column holds only the states of domain/states.py (a CHECK constraint)

Every row already stored holds one of them (the bridge never wrote another), so the constraint
is added as it is; a row that did not would make the upgrade fail loudly rather than be changed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The states as this revision knows them (a migration never changes with later code).
STATES = ("bot", "queued", "assigned", "closed", "ticket")
CHECK = f"state IN ({', '.join(repr(s) for s in STATES)})"


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_check_constraint("ck_conversations_state", CHECK)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_constraint("ck_conversations_state", type_="check")
