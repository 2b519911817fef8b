"""learning from agents and analytics: agent roles, the intent an agent tags at close, abusive
customer messages, and the review queue of candidate training data

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handover_bridge.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = handover_bridge.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default='["agent"]'))
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intent", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("first_reply_at", When, nullable=True))
        batch_op.create_index("ix_handovers_queued_at", ["queued_at"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("abusive", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_messages_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_created_at", ["created_at"], unique=False)
    op.create_table(
        "review_candidates",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("handover_id", BigId, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("bot_intent", sa.String(length=64), nullable=True),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("reusable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", When, nullable=False),
        sa.Column("reviewed_at", When, nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("exported_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["handover_id"],
            ["handovers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["agents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handover_id", name="uq_review_candidates_handover"),
    )
    with op.batch_alter_table("review_candidates", schema=None) as batch_op:
        batch_op.create_index("ix_review_candidates_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_candidates", schema=None) as batch_op:
        batch_op.drop_index("ix_review_candidates_status")
    op.drop_table("review_candidates")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_created_at")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_created_at")
        batch_op.drop_column("abusive")
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_index("ix_handovers_queued_at")
        batch_op.drop_column("first_reply_at")
        batch_op.drop_column("intent")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("roles")
