"""channels: a conversation's channel (web, wechat, …) and the 企业微信 微信客服 tables (the sync
cursor per account, the customer of each WeChat conversation, the outbox, seen callbacks)

Revision ID: 0004_channels_wechat
Revises: 0003
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handover_bridge.models

revision = "0004_channels_wechat"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = handover_bridge.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="web"))
    op.create_table(
        "wechat_accounts",
        sa.Column("open_kfid", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("lease_until", When, nullable=True),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("open_kfid"),
    )
    op.create_table(
        "wechat_customers",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("open_kfid", sa.String(length=64), nullable=False),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column("service_state", sa.Integer(), nullable=True),
        sa.Column("last_customer_at", When, nullable=True),
        sa.Column("quota_left", sa.Integer(), nullable=False),
        sa.Column("outbox_seq", sa.Integer(), nullable=False),
        sa.Column("lease_until", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("ix_wechat_customers_user", "wechat_customers", ["open_kfid", "external_userid"])
    op.create_table(
        "channel_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("external_msgid", sa.String(length=64), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_channel_outbox_seq"),
    )
    op.create_index("ix_channel_outbox_status", "channel_outbox", ["status"])
    op.create_table(
        "wechat_callbacks",
        sa.Column("signature", sa.String(length=40), nullable=False),
        sa.Column("seen_at", When, nullable=False),
        sa.PrimaryKeyConstraint("signature"),
    )
    op.create_index("ix_wechat_callbacks_seen_at", "wechat_callbacks", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_wechat_callbacks_seen_at", table_name="wechat_callbacks")
    op.drop_table("wechat_callbacks")
    op.drop_index("ix_channel_outbox_status", table_name="channel_outbox")
    op.drop_table("channel_outbox")
    op.drop_index("ix_wechat_customers_user", table_name="wechat_customers")
    op.drop_table("wechat_customers")
    op.drop_table("wechat_accounts")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("channel")
