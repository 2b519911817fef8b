"""protecting agents: an agent's cool-down after an abusive chat, why a chat was ended, and one row
per protective step (abusive message received, calm warning, boundary message, cool-down, chat
ended for abuse, lead takeover or reassignment); agents' actions on orders from the order panel

Revision ID: 0006_protect
Revises: 0003
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handover_bridge.models

revision = "0006_protect"
down_revision = "0005_assist"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = handover_bridge.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cooldown_until", When, nullable=True))
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=32), nullable=True))
    op.create_table(
        "protection_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("handover_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("protection_events", schema=None) as batch_op:
        batch_op.create_index("ix_protection_events_agent_at", ["agent_id", "at"], unique=False)
        batch_op.create_index("ix_protection_events_handover", ["handover_id", "kind"], unique=False)

    op.create_table(
        "order_actions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_actions", schema=None) as batch_op:
        batch_op.create_index("ix_order_actions_conversation_id", ["conversation_id"], unique=False)


def downgrade() -> None:
    op.drop_table("order_actions")
    op.drop_table("protection_events")
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("cooldown_until")
