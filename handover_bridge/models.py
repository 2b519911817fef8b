"""The store: SQLAlchemy 2 ORM models. The schema itself is created by Alembic (migrations/)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .domain import states

SENDERS = ("customer", "bot", "agent", "system")
PRESENCE = ("online", "away", "offline")
TICKET_STATUSES = ("open", "answered", "closed")
ROLES = ("agent", "designer", "lead")
CANDIDATE_STATUSES = ("pending", "accepted", "rejected", "exported")

# SQLite wants INTEGER PRIMARY KEY for its rowid alias; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if value is not None and dialect.name == "sqlite":
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 128-bit random hex
    token_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=states.INITIAL.value)  # domain/states.py
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    handover_id: Mapped[int | None] = mapped_column(BigId)  # the open handover
    next_seq: Mapped[int] = mapped_column(Integer, default=0)  # last seq handed out
    # where the customer is: "web" (the widget), "wechat" (企业微信 微信客服) … (services/channels)
    channel: Mapped[str] = mapped_column(String(16), default="web", server_default="web")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_conversations_state", "state"),
        CheckConstraint(states.check_constraint_sql(), name="ck_conversations_state"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply_to: Mapped[int | None] = mapped_column(Integer)  # seq of the message that caused it
    status: Mapped[str | None] = mapped_column(String(16))  # bot turn of a customer message
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)  # customer text the console masks
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_seq"),
        UniqueConstraint("conversation_id", "client_msg_id", name="uq_messages_client_msg_id"),
        Index("ix_messages_reply_to", "conversation_id", "reply_to"),
    )


class Handover(Base):
    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(64), default="request_human")
    category: Mapped[str] = mapped_column(String(32), default="其他")
    skill: Mapped[str] = mapped_column(String(64), default="general")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[str | None] = mapped_column(Text)
    # Queue order: front first, then the lowest rank. rank = queued_at − priority × AGEING_SECONDS
    # (epoch seconds): every AGEING_SECONDS waited is worth one priority level.
    rank: Mapped[float] = mapped_column(Float)
    front: Mapped[bool] = mapped_column(Boolean, default=False)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rating: Mapped[int | None] = mapped_column(Integer)
    intent: Mapped[str | None] = mapped_column(String(64))  # what it really was (agent, at close)
    end_reason: Mapped[str | None] = mapped_column(String(32))  # "abuse": ended by the agent for abuse
    first_reply_at: Mapped[datetime | None] = mapped_column()  # the agent's first message
    ticket_offered_at: Mapped[datetime | None] = mapped_column()
    last_position: Mapped[int | None] = mapped_column(Integer)  # last pushed to the customer
    last_eta: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # answer to that key

    __table_args__ = (Index("ix_handovers_queue", "skill", "front", "rank"),)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=lambda: ["agent"])  # agent, designer, lead
    max_concurrent: Mapped[int] = mapped_column(Integer, default=3)
    presence: Mapped[str] = mapped_column(String(16), default="offline")
    last_heartbeat: Mapped[datetime | None] = mapped_column()
    offline_since: Mapped[datetime | None] = mapped_column()
    last_assigned_at: Mapped[datetime | None] = mapped_column()
    cooldown_until: Mapped[datetime | None] = mapped_column()  # no auto-assignment until then (protection)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentSession(Base):
    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()


class Audit(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


PROTECTION_KINDS = ("abusive_message", "warning", "boundary", "cooldown", "ended_abuse", "takeover", "reassign")


class ProtectionEvent(Base):
    """One protective step for an agent (services/queue/protection.py): an abusive customer message
    they received, the system's calm warning or boundary message, their cool-down, a chat they ended
    for abuse, a lead taking a chat over or moving it. The dashboard counts these per agent and day."""

    __tablename__ = "protection_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    handover_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(24))  # PROTECTION_KINDS
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_protection_events_agent_at", "agent_id", "at"),
        Index("ix_protection_events_handover", "handover_id", "kind"),
    )


class OrderAction(Base):
    """An agent's action on an order from the order panel (services/queue/orders.py): who, when,
    what, and what the shop answered. Written whether the shop accepted it or not."""

    __tablename__ = "order_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    order_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))  # cancel
    result: Mapped[str] = mapped_column(String(32))  # ok | the shop's reason | shop_unavailable
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReviewCandidate(Base):
    """What a closed handover can teach the bot: the customer's questions (their own words), the intent
    the agent says it really was, and the agent's answer when they marked it reusable. A designer
    accepts (possibly edited), or rejects it; accepted ones are exported as Rasa training data."""

    __tablename__ = "review_candidates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    handover_id: Mapped[int] = mapped_column(BigId, ForeignKey("handovers.id"))
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    intent: Mapped[str | None] = mapped_column(String(64))  # tagged by the agent / designer
    bot_intent: Mapped[str | None] = mapped_column(String(64))  # what the bot thought
    examples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    answer: Mapped[str | None] = mapped_column(Text)
    reusable: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    exported_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("handover_id", name="uq_review_candidates_handover"),)


SUGGESTION_USES = ("as_is", "edited", "none")


class SuggestionUse(Base):
    """An agent's reply and the suggested reply it came from (services/assist/): sent as it was
    suggested, edited, or written without one ("none"). Feeds the review queue and the dashboard."""

    __tablename__ = "suggestion_uses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    handover_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("handovers.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    how: Mapped[str] = mapped_column(String(8))
    suggestion_id: Mapped[str | None] = mapped_column(String(64))  # "policy:shipping.dispatch", …
    source: Mapped[str | None] = mapped_column(String(16))  # policy, manual, reviewed, colleague
    title: Mapped[str | None] = mapped_column(String(200))
    suggested_text: Mapped[str | None] = mapped_column(Text)
    sent_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (CheckConstraint("how IN ('as_is', 'edited', 'none')", name="ck_suggestion_uses_how"),)


class WeChatAccount(Base):
    """One 微信客服 account (open_kfid): where its kf/sync_msg stands. `cursor` is the next_cursor
    of the last batch whose messages are all stored; `wanted`/`done` count the callbacks asked for
    and the syncs finished, `lease_until` is the process syncing now (services/channels/wechat)."""

    __tablename__ = "wechat_accounts"

    open_kfid: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text, default="")
    sync_token: Mapped[str | None] = mapped_column(Text)  # the callback's Token (valid 10 minutes)
    wanted: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WeChatCustomer(Base):
    """A conversation of the WeChat channel: which customer of which account, and what WeChat
    still lets the bridge send (48 h after the customer's last message, 5 messages per message)."""

    __tablename__ = "wechat_customers"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    open_kfid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64))
    service_state: Mapped[int | None] = mapped_column(Integer)  # 0–4 as last seen or set
    last_customer_at: Mapped[datetime | None] = mapped_column()
    quota_left: Mapped[int] = mapped_column(Integer, default=0)  # sends left for the last customer message
    outbox_seq: Mapped[int] = mapped_column(Integer, default=0)  # messages up to here are in the outbox
    lease_until: Mapped[datetime | None] = mapped_column()  # a process delivering now
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_wechat_customers_user", "open_kfid", "external_userid"),)


class ChannelOutbox(Base):
    """A bridge message on its way to an outside channel: pending → sent, or held (WeChat's limits:
    sent when the customer writes again), failed (WeChat refused it), dropped (not for this channel)."""

    __tablename__ = "channel_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the channel's API gets
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    external_msgid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_channel_outbox_seq"),
        Index("ix_channel_outbox_status", "status"),
    )


class WeChatCallback(Base):
    """Callbacks already accepted (their msg_signature), for replay protection."""

    __tablename__ = "wechat_callbacks"

    signature: Mapped[str] = mapped_column(String(40), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
