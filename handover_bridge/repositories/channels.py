"""SQL of the channels (services/channels): a conversation's channel, the WeChat accounts' sync
cursors, the WeChat customer of each conversation, the outbox and the callbacks already seen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import ChannelOutbox, Conversation, Message, WeChatAccount, WeChatCallback, WeChatCustomer, utcnow

# ---- conversations ---------------------------------------------------------------------------


async def channel_of(session: AsyncSession, conversation_ids: list[str]) -> dict[str, str]:
    rows = await session.execute(
        select(Conversation.id, Conversation.channel).where(Conversation.id.in_(conversation_ids))
    )
    return {cid: channel for cid, channel in rows.all()}


# ---- callbacks (replay protection) -----------------------------------------------------------


async def remember_callback(session: AsyncSession, signature: str) -> bool:
    """False when this signature was accepted before (a replay)."""
    try:
        async with session.begin_nested():
            session.add(WeChatCallback(signature=signature, seen_at=utcnow()))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def forget_callback(session: AsyncSession, signature: str) -> None:
    await session.execute(delete(WeChatCallback).where(WeChatCallback.signature == signature))


async def forget_callbacks(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(WeChatCallback).where(WeChatCallback.seen_at < before))
    return result.rowcount or 0


# ---- accounts: the sync cursor ---------------------------------------------------------------


async def want_sync(session: AsyncSession, open_kfid: str, token: str | None) -> None:
    """A callback said there is news: remember its token and that a sync is wanted."""
    account = await session.get(WeChatAccount, open_kfid)
    if account is None:
        try:
            async with session.begin_nested():
                session.add(
                    WeChatAccount(
                        open_kfid=open_kfid, cursor="", sync_token=token, wanted=1, done=0, updated_at=utcnow()
                    )
                )
                await session.flush()
            return
        except IntegrityError:
            pass
    values: dict[str, Any] = {"wanted": WeChatAccount.wanted + 1, "updated_at": utcnow()}
    if token:
        values["sync_token"] = token
    await session.execute(update(WeChatAccount).where(WeChatAccount.open_kfid == open_kfid).values(**values))


async def _take_lease(session: AsyncSession, key: Any, value: str, until: datetime) -> bool:
    """Set `lease_until` on the row whose `key` column is `value`, unless another process holds
    an unexpired lease on it: one conditional UPDATE, so two processes never both win."""
    table = key.class_
    result = await session.execute(
        update(table)
        .where(key == value, or_(table.lease_until.is_(None), table.lease_until < utcnow()))
        .values(lease_until=until)
        .returning(key)
    )
    return result.first() is not None


async def lease_account(session: AsyncSession, open_kfid: str, until: datetime) -> WeChatAccount | None:
    """Take the account's sync for this process until `until` (None: another process has it)."""
    if not await _take_lease(session, WeChatAccount.open_kfid, open_kfid, until):
        return None
    account = await session.get(WeChatAccount, open_kfid, populate_existing=True)
    return account


async def save_cursor(session: AsyncSession, open_kfid: str, cursor: str, until: datetime) -> None:
    await session.execute(
        update(WeChatAccount)
        .where(WeChatAccount.open_kfid == open_kfid)
        .values(cursor=cursor, lease_until=until, updated_at=utcnow())
    )


async def renew_account(session: AsyncSession, open_kfid: str, until: datetime) -> None:
    await session.execute(
        update(WeChatAccount)
        .where(WeChatAccount.open_kfid == open_kfid, WeChatAccount.lease_until.is_not(None))
        .values(lease_until=until)
    )


async def release_account(session: AsyncSession, open_kfid: str, wanted: int) -> bool:
    """Done up to `wanted` callbacks; the lease is given up. True when no callback came
    meanwhile; False: another one came (sync again)."""
    result = await session.execute(
        update(WeChatAccount)
        .where(WeChatAccount.open_kfid == open_kfid)
        .values(done=wanted, lease_until=None)
        .returning(WeChatAccount.wanted)
    )
    row = result.first()
    return row is None or row[0] == wanted


async def accounts_behind(session: AsyncSession) -> list[str]:
    """Accounts with a sync wanted and nobody at it (a process died in the middle)."""
    now = utcnow()
    rows = await session.execute(
        select(WeChatAccount.open_kfid).where(
            WeChatAccount.wanted > WeChatAccount.done,
            or_(WeChatAccount.lease_until.is_(None), WeChatAccount.lease_until < now),
        )
    )
    return [r for (r,) in rows.all()]


async def drop_lease(session: AsyncSession, open_kfid: str) -> None:
    await session.execute(update(WeChatAccount).where(WeChatAccount.open_kfid == open_kfid).values(lease_until=None))


# ---- customers -------------------------------------------------------------------------------


async def open_conversation_of(
    session: AsyncSession, open_kfid: str, external_userid: str, open_states: tuple[str, ...]
) -> WeChatCustomer | None:
    """The customer's newest conversation when it is still open (states `open_states`)."""
    row = await session.execute(
        select(WeChatCustomer)
        .join(Conversation, Conversation.id == WeChatCustomer.conversation_id)
        .where(
            WeChatCustomer.open_kfid == open_kfid,
            WeChatCustomer.external_userid == external_userid,
            Conversation.state.in_(open_states),
        )
        .order_by(WeChatCustomer.created_at.desc())
        .limit(1)
    )
    return row.scalars().first()


async def conversations_of(session: AsyncSession, open_kfid: str, external_userid: str) -> list[str]:
    """The customer's conversations, oldest first."""
    rows = await session.execute(
        select(WeChatCustomer.conversation_id)
        .where(WeChatCustomer.open_kfid == open_kfid, WeChatCustomer.external_userid == external_userid)
        .order_by(WeChatCustomer.created_at, WeChatCustomer.conversation_id)
    )
    return [r for (r,) in rows.all()]


async def seen_msgid(session: AsyncSession, conversation_ids: list[str], client_msg_id: str) -> bool:
    if not conversation_ids:
        return False
    row = await session.execute(
        select(Message.id)
        .where(Message.conversation_id.in_(conversation_ids), Message.client_msg_id == client_msg_id)
        .limit(1)
    )
    return row.first() is not None


async def add_customer(session: AsyncSession, conversation_id: str, open_kfid: str, external_userid: str) -> None:
    session.add(
        WeChatCustomer(
            conversation_id=conversation_id,
            open_kfid=open_kfid,
            external_userid=external_userid,
            quota_left=0,
            outbox_seq=0,
            created_at=utcnow(),
        )
    )
    await session.flush()


async def customer(session: AsyncSession, conversation_id: str) -> WeChatCustomer | None:
    return await session.get(WeChatCustomer, conversation_id, populate_existing=True)


async def customer_wrote(session: AsyncSession, conversation_id: str, at: datetime, quota: int) -> None:
    """A customer message: WeChat's window opens again, with `quota` sends; what was held goes."""
    await session.execute(
        update(WeChatCustomer)
        .where(WeChatCustomer.conversation_id == conversation_id)
        .values(last_customer_at=at, quota_left=quota)
    )
    await session.execute(
        update(ChannelOutbox)
        .where(ChannelOutbox.conversation_id == conversation_id, ChannelOutbox.status == "held")
        .values(status="pending")
    )


async def set_service_state(session: AsyncSession, conversation_id: str, state: int) -> None:
    await session.execute(
        update(WeChatCustomer).where(WeChatCustomer.conversation_id == conversation_id).values(service_state=state)
    )


async def lease_customer(session: AsyncSession, conversation_id: str, until: datetime) -> bool:
    """Take the conversation's delivery for this process until `until` (False: another has it)."""
    return await _take_lease(session, WeChatCustomer.conversation_id, conversation_id, until)


async def release_customer(session: AsyncSession, conversation_id: str) -> None:
    await session.execute(
        update(WeChatCustomer).where(WeChatCustomer.conversation_id == conversation_id).values(lease_until=None)
    )


async def use_quota(session: AsyncSession, conversation_id: str) -> None:
    await session.execute(
        update(WeChatCustomer)
        .where(WeChatCustomer.conversation_id == conversation_id)
        .values(quota_left=WeChatCustomer.quota_left - 1)
    )


async def customers_behind(session: AsyncSession, limit: int = 200) -> list[str]:
    """WeChat conversations with bridge messages not yet in the outbox, or pending outbox rows."""
    newer = (
        select(WeChatCustomer.conversation_id)
        .join(Conversation, Conversation.id == WeChatCustomer.conversation_id)
        .where(Conversation.next_seq > WeChatCustomer.outbox_seq)
    )
    pending = select(ChannelOutbox.conversation_id).where(ChannelOutbox.status == "pending")
    rows = await session.execute(newer.union(pending).limit(limit))
    return [r for (r,) in rows.all()]


# ---- outbox ----------------------------------------------------------------------------------


async def messages_after(session: AsyncSession, conversation_id: str, after: int, limit: int = 200) -> list[Message]:
    rows = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after)
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(rows.scalars())


async def enqueue(
    session: AsyncSession, conversation_id: str, channel: str, items: list[tuple[int, dict[str, Any], str]], upto: int
) -> None:
    """Outbox rows (seq, body, status) and the customer's outbox cursor moved to `upto`."""
    existing = set(
        (
            await session.execute(
                select(ChannelOutbox.seq).where(
                    ChannelOutbox.conversation_id == conversation_id, ChannelOutbox.seq.in_([s for s, _, _ in items])
                )
            )
        ).scalars()
    )
    for seq, body, status in items:
        if seq not in existing:
            session.add(
                ChannelOutbox(
                    conversation_id=conversation_id,
                    seq=seq,
                    channel=channel,
                    body=body,
                    status=status,
                    attempts=0,
                    created_at=utcnow(),
                )
            )
    await session.flush()
    await session.execute(
        update(WeChatCustomer)
        .where(WeChatCustomer.conversation_id == conversation_id, WeChatCustomer.outbox_seq < upto)
        .values(outbox_seq=upto)
    )


async def to_send(session: AsyncSession, conversation_id: str, statuses: tuple[str, ...]) -> list[ChannelOutbox]:
    rows = await session.execute(
        select(ChannelOutbox)
        .where(ChannelOutbox.conversation_id == conversation_id, ChannelOutbox.status.in_(statuses))
        .order_by(ChannelOutbox.seq)
    )
    return list(rows.scalars())


async def mark(session: AsyncSession, outbox_id: int, status: str, **values: Any) -> None:
    await session.execute(update(ChannelOutbox).where(ChannelOutbox.id == outbox_id).values(status=status, **values))


async def hold_pending(session: AsyncSession, conversation_id: str, error: str) -> int:
    result = await session.execute(
        update(ChannelOutbox)
        .where(and_(ChannelOutbox.conversation_id == conversation_id, ChannelOutbox.status == "pending"))
        .values(status="held", error=error)
    )
    return result.rowcount or 0


async def outbox_counts(session: AsyncSession, conversation_id: str | None = None) -> dict[str, int]:
    statement = select(ChannelOutbox.status, func.count()).group_by(ChannelOutbox.status)
    if conversation_id:
        statement = statement.where(ChannelOutbox.conversation_id == conversation_id)
    return {status: n for status, n in (await session.execute(statement)).all()}


async def outbox_by_msgid(session: AsyncSession, external_msgid: str) -> ChannelOutbox | None:
    row = await session.execute(select(ChannelOutbox).where(ChannelOutbox.external_msgid == external_msgid).limit(1))
    return row.scalars().first()
