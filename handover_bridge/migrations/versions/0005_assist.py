"""agents' suggested replies: which suggestion each agent reply used (as is, edited, none)

Revision ID: 0005_assist
Revises: 0003
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handover_bridge.models

revision = "0005_assist"
down_revision = "0004_channels_wechat"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = handover_bridge.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "suggestion_uses",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("handover_id", BigId, nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=8), nullable=False),
        sa.Column("suggestion_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("suggested_text", sa.Text(), nullable=True),
        sa.Column("sent_text", sa.Text(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.CheckConstraint("how IN ('as_is', 'edited', 'none')", name="ck_suggestion_uses_how"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["handover_id"], ["handovers.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_suggestion_uses_conversation_id", "suggestion_uses", ["conversation_id"])
    op.create_index("ix_suggestion_uses_handover_id", "suggestion_uses", ["handover_id"])
    op.create_index("ix_suggestion_uses_created_at", "suggestion_uses", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_suggestion_uses_created_at", table_name="suggestion_uses")
    op.drop_index("ix_suggestion_uses_handover_id", table_name="suggestion_uses")
    op.drop_index("ix_suggestion_uses_conversation_id", table_name="suggestion_uses")
    op.drop_table("suggestion_uses")
