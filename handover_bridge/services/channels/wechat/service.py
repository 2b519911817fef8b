"""The 企业微信 微信客服 channel (docs/channels.md).

Inbound: 企业微信 POSTs an encrypted, signed callback that only says "there is news" and gives a
10-minute Token (`callback`). The account's sync (`sync`) then reads kf/sync_msg from the cursor
persisted for that open_kfid, stores every customer message through ConversationService.send
(client message id "wx:<msgid>": a message read twice is stored once, its bot turn run once) and
only then persists the next cursor, so a process killed in the middle reads the same batch again
and nothing is skipped or doubled. One process syncs an account at a time (a lease in
`wechat_accounts`); callbacks that come meanwhile make it sync again.

Outbound: the ChannelRouter wakes `deliver` for a conversation that got a bot, agent or system
message. New messages go into the outbox (`channel_outbox`), then out with kf/send_msg, in seq
order, within WeChat's limits: 48 hours after the customer's last message and 5 messages per
customer message. What cannot go now is held (sent when the customer writes again) and the
agent is told with a system note in the console; what WeChat refuses is marked failed, with a
note too. A sweep catches up whatever a dead process left (sync wanted, outbox pending).

Session states (service_state): in mode "bot" (default) a new conversation's session is moved to
1 (智能助手接待) and Jieli's bot and agents serve it, relaying agents' replies with send_msg. In
mode "wecom_agents" a handover moves the session to 企业微信's own agents (3 with
JIELI_WECHAT_SERVICER, else 2, the pool): Jieli's queue item ends (resolution handed_to_wecom, the
conversation back in bot mode, Rasa resumed) and, until that session ends (4, then 0 again), the
customer's messages stay with 企业微信 (they are not stored by Jieli); after it the bot serves again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from jieli_contract.channels import WECHAT

from ....domain.errors import NotFound, ServiceError, Unavailable
from ....domain.states import State
from ....models import utcnow
from ....repositories import channels as repo
from ....repositories import conversations as conversations_repo
from ....repositories import handovers as handovers_repo
from ....repositories import messages as messages_repo
from ...infra.frames import message_events, queue_changed, state_frame, topics
from ...wiring.context import Context
from . import messages as wx
from .client import LIMIT_ERRCODES, SYNC_TOKEN_ERRCODE, WINDOW_ERRCODE, KfClient, WeChatError
from .crypto import CryptoError, MsgCrypt

log = logging.getLogger("handover_bridge.wechat")

WINDOW = timedelta(hours=48)  # WeChat: the business may answer within 48 h of the customer's message
PER_MESSAGE = 5  # … at most 5 messages per customer message
OPEN_STATES = (State.BOT.value, State.QUEUED.value, State.ASSIGNED.value)
CONCURRENT_CUSTOMERS = 16  # customers of one batch handled at once (each customer's messages in order)
SWEEP_SECONDS = 2.0
MAX_MEDIA_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"})

NOTE_WINDOW = "【仅客服可见】这条回复没能送达微信顾客：顾客已超过 48 小时没有发消息，微信不允许再回复。顾客再次发消息后会自动补发。"
NOTE_COUNT = "【仅客服可见】这条回复暂未送达微信顾客：微信规定每条顾客消息后最多回复 5 条。顾客再次发消息后会自动补发。"
NOTE_FAILED = "【仅客服可见】这条回复没能送达微信顾客（微信返回错误 {code}：{msg}）。请稍后再试，或请顾客再发一条消息。"
HANDED_TO_WECOM = "已为您转接企业微信人工客服，请稍候。"


class CallbackRefused(ServiceError):
    """A callback that is not 企业微信's (forged, replayed, too old, malformed): 4xx, nothing done."""

    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message, code)
        self.status = status


def client_msg_id(msgid: str) -> str:
    value = f"wx:{msgid}"
    return value if len(value) <= 64 else "wx:" + hashlib.sha1(msgid.encode()).hexdigest()


class WeChatChannel:
    name = WECHAT

    def __init__(self, ctx: Context, conversations: Any, client: KfClient | None = None):
        s = ctx.settings
        self.ctx = ctx
        self.conversations = conversations  # ConversationService
        self.crypt = MsgCrypt(s.wechat_token, s.wechat_aes_key, s.wechat_corp_id)
        self.client = client or KfClient(s.wechat_api_base, s.wechat_corp_id, s.wechat_secret)
        self.mode = s.wechat_mode
        # how long a process may sync an account or deliver a conversation without renewing: one that
        # died (kill -9) holds it no longer than this; a live one renews every third of it
        self.lease = timedelta(seconds=max(1.0, s.wechat_lease_seconds))
        self._sync_tasks: dict[str, asyncio.Task] = {}
        self._sync_again: set[str] = set()
        self._deliver_tasks: dict[str, asyncio.Task] = {}
        self._deliver_again: set[str] = set()
        self._sweeper: asyncio.Task | None = None
        self._closing = False

    # ---- life ------------------------------------------------------------------------------

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="wechat-sweep")

    async def close(self) -> None:
        self._closing = True
        tasks = [t for t in [self._sweeper, *self._sync_tasks.values(), *self._deliver_tasks.values()] if t]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        await self.client.close()

    # ---- the callback URL ------------------------------------------------------------------

    def _fresh(self, timestamp: str) -> None:
        try:
            stamp = int(timestamp)
        except (TypeError, ValueError):
            raise CallbackRefused("wechat_bad_request", "timestamp must be a whole number", 400) from None
        if abs(time.time() - stamp) > self.ctx.settings.wechat_callback_max_age:
            raise CallbackRefused("wechat_expired", "the callback's timestamp is too old (or in the future)")

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """GET: 企业微信 checks the URL; the answer is the decrypted echostr, as it is."""
        if not (msg_signature and timestamp and nonce and echostr):
            raise CallbackRefused("wechat_bad_request", "msg_signature, timestamp, nonce and echostr are required", 400)
        self._fresh(timestamp)
        try:
            return self.crypt.verify_and_decrypt(msg_signature, timestamp, nonce, echostr)
        except CryptoError as error:
            raise CallbackRefused(f"wechat_{error.code}", str(error)) from None

    async def callback(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> dict[str, Any]:
        """POST: checked (signature, age, CorpID, never seen before), then the account's sync is
        wanted and started; answers at once (企业微信 waits at most a few seconds)."""
        if not (msg_signature and timestamp and nonce):
            raise CallbackRefused("wechat_bad_request", "msg_signature, timestamp and nonce are required", 400)
        encrypted = _xml_field(body, "Encrypt")
        self._fresh(timestamp)
        try:
            plain = self.crypt.verify_and_decrypt(msg_signature, timestamp, nonce, encrypted)
        except CryptoError as error:
            raise CallbackRefused(f"wechat_{error.code}", str(error)) from None
        async with self.ctx.db.write() as session:
            if not await repo.remember_callback(session, msg_signature.lower()):
                raise CallbackRefused("wechat_replayed", "this callback was received before")
        event = _xml_dict(plain.encode("utf-8"))
        if event.get("Event") != "kf_msg_or_event" or not event.get("OpenKfId"):
            log.info("wechat callback ignored", extra={"fields": {"event": event.get("Event")}})
            return {"event": event.get("Event"), "sync": False}
        open_kfid = event["OpenKfId"]
        async with self.ctx.db.write() as session:
            await repo.want_sync(session, open_kfid, event.get("Token"))
        self.start_sync(open_kfid)
        return {"event": "kf_msg_or_event", "sync": True, "open_kfid": open_kfid}

    # ---- sync: kf/sync_msg -----------------------------------------------------------------

    def start_sync(self, open_kfid: str) -> None:
        running = self._sync_tasks.get(open_kfid)
        if running is not None and not running.done():
            self._sync_again.add(open_kfid)
            return
        self._sync_tasks[open_kfid] = asyncio.create_task(self._sync_loop(open_kfid), name=f"wechat-sync-{open_kfid}")

    async def _sync_loop(self, open_kfid: str) -> None:
        try:
            while not self._closing:
                self._sync_again.discard(open_kfid)
                await self.sync(open_kfid)
                if open_kfid not in self._sync_again:
                    return
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the sweep tries again
            log.exception("wechat sync of %s failed", open_kfid)
        finally:
            self._sync_tasks.pop(open_kfid, None)

    async def sync(self, open_kfid: str) -> int:
        """Read what is new for the account and store it; returns the messages read. Another
        process syncing it now: 0 (it syncs again for the callbacks that came meanwhile)."""
        total = 0
        while True:
            async with self.ctx.db.write() as session:
                account = await repo.lease_account(session, open_kfid, utcnow() + self.lease)
            if account is None:
                return total
            wanted, cursor, token = account.wanted, account.cursor or "", account.sync_token
            renewer = asyncio.create_task(self._renew(open_kfid), name=f"wechat-lease-{open_kfid}")
            try:
                while True:
                    try:
                        data = await self.client.sync_msg(open_kfid, cursor, token)
                    except WeChatError as error:
                        if not token or error.errcode != SYNC_TOKEN_ERRCODE:
                            raise
                        # the callback's token lasts 10 minutes (a sync resumed after a crash may
                        # hold an old one): read on without it (WeChat allows that, less often)
                        token = None
                        continue
                    batch = [m for m in data.get("msg_list") or [] if isinstance(m, dict)]
                    await self._handle_batch(open_kfid, batch)
                    total += len(batch)
                    cursor = str(data.get("next_cursor") or cursor)
                    async with self.ctx.db.write() as session:
                        await repo.save_cursor(session, open_kfid, cursor, utcnow() + self.lease)
                    if not data.get("has_more"):
                        break
            except BaseException:
                renewer.cancel()
                async with self.ctx.db.write() as session:
                    await repo.drop_lease(session, open_kfid)
                raise
            renewer.cancel()
            async with self.ctx.db.write() as session:
                if await repo.release_account(session, open_kfid, wanted):
                    return total

    async def _renew(self, open_kfid: str) -> None:
        """Keep the account's lease while this process syncs it (a long batch, a slow Rasa)."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            async with self.ctx.db.write() as session:
                await repo.renew_account(session, open_kfid, utcnow() + self.lease)

    async def _handle_batch(self, open_kfid: str, batch: list[dict[str, Any]]) -> None:
        by_customer: dict[str, list[dict[str, Any]]] = {}
        for msg in batch:  # an event names its customer inside it
            event = msg.get("event") if isinstance(msg.get("event"), dict) else {}
            user = msg.get("external_userid") or event.get("external_userid") or ""
            by_customer.setdefault(str(user), []).append(msg)
        gate = asyncio.Semaphore(CONCURRENT_CUSTOMERS)

        async def one(messages: list[dict[str, Any]]) -> None:
            async with gate:
                for msg in messages:
                    await self._handle(open_kfid, msg)

        results = await asyncio.gather(*(one(m) for m in by_customer.values()), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:  # the cursor stays: the batch is read again (stored messages are not doubled)
            raise failures[0]

    async def _handle(self, open_kfid: str, msg: dict[str, Any]) -> None:
        origin = msg.get("origin")
        if msg.get("msgtype") == "event" or origin == 4:
            await self._event(open_kfid, msg.get("event") or {})
            return
        if origin != 3:
            return  # sent by a 企业微信 agent (5) or by the API itself: WeChat's record, not the customer
        user, msgid = str(msg.get("external_userid") or ""), str(msg.get("msgid") or "")
        item = wx.inbound(msg)
        if not user or not msgid or item is None:
            return
        cmid = client_msg_id(msgid)
        sent_at = _when(msg.get("send_time"))
        async with self.ctx.db.read() as session:
            record = await repo.open_conversation_of(session, open_kfid, user, OPEN_STATES)
            older = await repo.conversations_of(session, open_kfid, user)
            seen = await repo.seen_msgid(session, older, cmid)
        if seen and (record is None or not await self._seen_in(record.conversation_id, cmid)):
            return  # stored in an earlier conversation: read twice, stored once
        if item.rating is not None and await self._rated(older, msgid, item.rating, sent_at):
            return
        if self.mode == "wecom_agents" and await self._with_wecom_agents(open_kfid, user, record):
            return
        if record is None:
            conversation_id = await self._open(open_kfid, user)
        else:
            conversation_id = record.conversation_id
        if not seen:  # a new customer message: WeChat's window opens again
            async with self.ctx.db.write() as session:
                await repo.customer_wrote(session, conversation_id, sent_at, PER_MESSAGE)
        text = _fit(item.text, self.ctx.settings.max_message_chars)
        button = item.button
        for _attempt in range(3):
            try:
                state, _produced = await self.conversations.send(
                    conversation_id, text, cmid, button, attachment=item.media
                )
                break
            except ServiceError as error:
                if button and error.code in ("payload_not_offered", "invalid_payload"):
                    button = None  # a stale menu: the tap is the customer's words
                elif error.code == "conversation_closed":  # an agent ended it meanwhile: a new one
                    conversation_id = await self._open(open_kfid, user)
                    async with self.ctx.db.write() as session:
                        await repo.customer_wrote(session, conversation_id, sent_at, PER_MESSAGE)
                else:  # never let one message stop the account's sync: logged, skipped
                    log.warning(
                        "wechat message not stored",
                        extra={"fields": {"msgid": msgid, "code": error.code, "error": error.message}},
                    )
                    return
        else:
            return
        if self.mode == "wecom_agents" and state == State.QUEUED:
            await self._hand_to_wecom(conversation_id, open_kfid, user)
        self.wake([conversation_id])

    async def _rated(self, older: list[str], msgid: str, score: int, sent_at: datetime) -> bool:
        """A tap on the bridge's rating menu: the customer's latest conversation (closed, most
        likely) is rated, once per msgid. False: nothing to rate (then it is an ordinary message)."""
        if not older:
            return False
        conversation_id = older[-1]
        key = "r:" + hashlib.sha1(msgid.encode()).hexdigest()[:38]
        async with self.ctx.db.write() as session:
            if not await repo.remember_callback(session, key):
                return True  # read twice: rated once
            await repo.customer_wrote(session, conversation_id, sent_at, PER_MESSAGE)
        try:
            await self.conversations.rate(conversation_id, score)
        except ServiceError:
            async with self.ctx.db.write() as session:
                await repo.forget_callback(session, key)
            return False
        self.wake([conversation_id])
        return True

    async def _seen_in(self, conversation_id: str, cmid: str) -> bool:
        async with self.ctx.db.read() as session:
            return await repo.seen_msgid(session, [conversation_id], cmid)

    async def _open(self, open_kfid: str, user: str, entered: dict[str, Any] | None = None) -> str:
        """A new conversation on the WeChat channel; in mode bot the session goes to state 1.
        `entered`: the enter_session event (its scene and scene_param, the entry link's: a claim)."""
        meta: dict[str, Any] = {"channel": WECHAT, "wechat": {"open_kfid": open_kfid, "external_userid": user}}
        if entered:
            scene, param = str(entered.get("scene") or "")[:64], str(entered.get("scene_param") or "")[:128]
            meta["wechat"].update({"scene": scene, "scene_param": param})
            if param.isdigit() and 6 <= len(param) <= 32:
                meta["current_order"] = param  # the link was made for an order (the customer's claim)
        conversation_id, _token, _identity = await self.conversations.create(meta, channel=WECHAT)
        async with self.ctx.db.write() as session:
            await repo.add_customer(session, conversation_id, open_kfid, user)
        if self.ctx.channels is not None:
            self.ctx.channels.remember(conversation_id, WECHAT)
        state = None
        try:
            state = await self.client.service_state(open_kfid, user)
            if state == 0:
                await self.client.trans_state(open_kfid, user, 1)
                state = 1
        except WeChatError as error:
            log.warning("wechat service_state for a new conversation: %s", error)
        if state is not None:
            async with self.ctx.db.write() as session:
                await repo.set_service_state(session, conversation_id, state)
        return conversation_id

    # ---- mode wecom_agents -----------------------------------------------------------------

    async def _with_wecom_agents(self, open_kfid: str, user: str, record: Any) -> bool:
        """True while 企业微信's own agents have this customer (states 2, 3): not Jieli's."""
        last = record
        if last is None:
            async with self.ctx.db.read() as session:
                older = await repo.conversations_of(session, open_kfid, user)
                last = await repo.customer(session, older[-1]) if older else None
        if last is None or last.service_state not in (2, 3):
            return False
        try:
            state = await self.client.service_state(open_kfid, user)
        except WeChatError as error:
            log.warning("wechat service_state: %s", error)
            return True
        async with self.ctx.db.write() as session:
            await repo.set_service_state(session, last.conversation_id, state)
        return state in (2, 3)

    async def _hand_to_wecom(self, conversation_id: str, open_kfid: str, user: str) -> None:
        """The bot handed over: to 企业微信's agents (3 with a servicer, else 2). The customer is
        told first (the API cannot send once the session left state 1); Jieli's queue item ends
        (back to bot mode, resolution handed_to_wecom; Rasa resumed for when the session ends)."""
        servicer = self.ctx.settings.wechat_servicer
        target = 3 if servicer else 2
        async with self.ctx.db.write() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None or conversation.state != State.QUEUED:
                return  # one of Jieli's agents has it already
            handover_id = conversation.handover_id
            notice = await messages_repo.append(
                session, conversation_id, "system", HANDED_TO_WECOM, payload={"type": "handed_to_wecom"}
            )
            moved = await conversations_repo.transition(
                session,
                conversation_id,
                [State.QUEUED],
                State.BOT,
                actor="channel:wechat",
                handover_id=None,
                detail={"reason": "wecom_agents", "service_state": target, "servicer": servicer or None},
            )
            if moved and handover_id:
                await handovers_repo.update_fields(
                    session, handover_id, closed_at=utcnow(), resolution="handed_to_wecom"
                )
        await self.ctx.publish(
            [
                *message_events(conversation_id, None, [notice]),
                (topics(conversation_id, agents=True), state_frame(conversation_id, State.BOT)),
                queue_changed(),
            ]
        )
        running = self._deliver_tasks.get(conversation_id)
        if running is not None:
            await asyncio.wait({running}, timeout=10)
        await self.deliver(conversation_id)  # what the bot said, the notice: before the session moves
        try:
            await self.client.trans_state(open_kfid, user, target, servicer)
        except WeChatError as error:
            log.warning("wechat: hand-over to 企业微信 agents refused (%s): the bot keeps the customer", error)
            target = 1
        async with self.ctx.db.write() as session:
            await repo.set_service_state(session, conversation_id, target)
        try:
            await self.ctx.bot.resume(conversation_id)
        except Exception as error:  # noqa: BLE001 - BotUnavailable: the bot's pause stays until the next hand-back
            log.warning("wechat: could not resume the Rasa conversation: %s", error)

    # ---- events ----------------------------------------------------------------------------

    async def _event(self, open_kfid: str, event: dict[str, Any]) -> None:
        kind = event.get("event_type")
        user = str(event.get("external_userid") or "")
        if kind == "msg_send_fail":
            await self._send_failed(str(event.get("fail_msgid") or ""), event.get("fail_type"))
        elif kind == "session_status_change" and user:
            change = event.get("change_type")
            async with self.ctx.db.read() as session:
                older = await repo.conversations_of(session, open_kfid, user)
            if older:
                state = {1: 3, 2: 3, 3: 4, 4: 3}.get(change)  # 接入/转接/结束/重新接入
                if state is not None:
                    async with self.ctx.db.write() as session:
                        await repo.set_service_state(session, older[-1], state)
        elif kind == "enter_session" and user:
            # the customer opened the chat from a link or code: a conversation with the link's scene
            # (an order number in scene_param reaches the card as the page's order), unless one is open
            async with self.ctx.db.read() as session:
                record = await repo.open_conversation_of(session, open_kfid, user, OPEN_STATES)
            if record is None:
                await self._open(open_kfid, user, event)

    async def _send_failed(self, msgid: str, fail_type: Any) -> None:
        if not msgid:
            return
        async with self.ctx.db.write() as session:
            row = await repo.outbox_by_msgid(session, msgid)
            if row is None:
                return
            await repo.mark(session, row.id, "failed", error=f"msg_send_fail {fail_type}")
            note = await self._note(
                session, row.conversation_id, NOTE_FAILED.format(code=fail_type, msg="发送失败"), row.seq
            )
        await self.ctx.publish(message_events(row.conversation_id, note[1], [note[0]]))

    # ---- outbound: kf/send_msg -------------------------------------------------------------

    def wake(self, conversation_ids: Iterable[str]) -> None:
        for cid in conversation_ids:
            running = self._deliver_tasks.get(cid)
            if running is not None and not running.done():
                self._deliver_again.add(cid)
                continue
            self._deliver_tasks[cid] = asyncio.create_task(self._deliver_loop(cid), name=f"wechat-deliver-{cid}")

    async def _deliver_loop(self, conversation_id: str) -> None:
        try:
            while not self._closing:
                self._deliver_again.discard(conversation_id)
                await self.deliver(conversation_id)
                if conversation_id not in self._deliver_again:
                    return
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the sweep tries again
            log.exception("wechat delivery of %s failed", conversation_id)
        finally:
            self._deliver_tasks.pop(conversation_id, None)

    async def deliver(self, conversation_id: str) -> int:
        """Put new bridge messages in the outbox, then send what may go now. Returns the number sent.
        Another process delivering this conversation (or one that died, until its lease ends): 0, and
        the sweep looks again (every 2 s)."""
        async with self.ctx.db.write() as session:
            if not await repo.lease_customer(session, conversation_id, utcnow() + self.lease):
                return 0
            customer = await repo.customer(session, conversation_id)
            await self._fill_outbox(session, customer)
        sent = 0
        try:
            async with self.ctx.db.read() as session:
                rows = await repo.to_send(session, conversation_id, ("pending",))
            for row in rows:
                async with self.ctx.db.read() as session:
                    customer = await repo.customer(session, conversation_id)
                now = utcnow()
                reason = None
                if customer.last_customer_at is None or now - customer.last_customer_at > WINDOW:
                    reason = WINDOW_ERRCODE
                elif customer.quota_left <= 0:
                    reason = 0
                if reason is None:
                    try:
                        await self.client.send_msg(row.body)
                    except WeChatError as error:
                        if error.errcode in LIMIT_ERRCODES:
                            reason = error.errcode
                        else:
                            await self._failed(row, error)
                            continue
                if reason is not None:
                    await self._hold(conversation_id, row, NOTE_WINDOW if reason == WINDOW_ERRCODE else NOTE_COUNT)
                    break
                async with self.ctx.db.write() as session:
                    await repo.mark(
                        session,
                        row.id,
                        "sent",
                        sent_at=utcnow(),
                        attempts=row.attempts + 1,
                        external_msgid=row.body.get("msgid"),
                    )
                    await repo.use_quota(session, conversation_id)
                sent += 1
        finally:
            async with self.ctx.db.write() as session:
                await repo.release_customer(session, conversation_id)
        return sent

    async def _fill_outbox(self, session: Any, customer: Any) -> None:
        cid = customer.conversation_id
        start = max(0, customer.outbox_seq - 1)
        messages = await repo.messages_after(session, cid, start, limit=500)
        previous_queue = False
        items: list[tuple[int, dict[str, Any], str]] = []
        upto = customer.outbox_seq
        for message in messages:
            if message.seq <= customer.outbox_seq:  # the one before: only to see a run of queue notices
                previous_queue = wx.is_queue_notice(message)
                continue
            upto = message.seq
            if message.sender == "customer":
                previous_queue = False
                continue
            queue_notice = wx.is_queue_notice(message)
            body = None
            if self.mode == "wecom_agents" and wx.is_jieli_queue(message):
                pass  # 企业微信's agents take handovers: Jieli's queue and ticket offers mean nothing
            elif not (queue_notice and previous_queue):  # one queue notice per wait, not every update
                body = wx.outbound(
                    message, customer.external_userid, customer.open_kfid, f"jieli-{cid[:16]}-{message.seq}"
                )
            previous_queue = queue_notice
            items.append((message.seq, body or {}, "pending" if body else "dropped"))
        if upto > customer.outbox_seq:
            await repo.enqueue(session, cid, WECHAT, items, upto)

    async def _hold(self, conversation_id: str, row: Any, text: str) -> None:
        async with self.ctx.db.write() as session:
            held = await repo.hold_pending(session, conversation_id, text)
            note = await self._note(session, conversation_id, text, row.seq) if held else None
        if note is not None:
            await self.ctx.publish(message_events(conversation_id, note[1], [note[0]]))

    async def _failed(self, row: Any, error: WeChatError) -> None:
        log.warning("wechat send_msg refused: %s", error)
        async with self.ctx.db.write() as session:
            await repo.mark(session, row.id, "failed", error=str(error), attempts=row.attempts + 1)
            note = await self._note(
                session, row.conversation_id, NOTE_FAILED.format(code=error.errcode, msg=error.errmsg[:60]), row.seq
            )
        await self.ctx.publish(message_events(row.conversation_id, note[1], [note[0]]))

    async def _note(self, session: Any, conversation_id: str, text: str, seq: int) -> tuple[Any, int | None]:
        """A system note for the agent (never sent to the customer: payload delivery_failed)."""
        conversation = await conversations_repo.get(session, conversation_id)
        note = await messages_repo.append(
            session, conversation_id, "system", text, payload={"type": "delivery_failed", "seq": seq}
        )
        return note, conversation.agent_id if conversation else None

    # ---- media, for agents -----------------------------------------------------------------

    async def media(self, conversation_id: str, seq: int) -> tuple[str, bytes]:
        """The picture a WeChat customer sent (message `seq` of the conversation), for an agent who
        may read the conversation (the caller checks that): only images, at most 10 MB."""
        async with self.ctx.db.read() as session:
            found = await messages_repo.after(session, conversation_id, seq - 1, limit=1)
        message = found[0] if found and found[0].seq == seq else None
        payload = message.payload if message is not None and isinstance(message.payload, dict) else {}
        if (
            message is None
            or message.sender != "customer"
            or payload.get("type") != "image"
            or not payload.get("media_id")
        ):
            raise NotFound("this message has no picture", "no_media")
        try:
            kind, content = await self.client.get_media(str(payload["media_id"]), MAX_MEDIA_BYTES)
        except WeChatError as error:
            log.warning("wechat media/get: %s", error)
            raise Unavailable("微信暂时取不到这张图片，请稍后再试。", "media_unavailable") from None
        if kind not in IMAGE_TYPES:
            raise Unavailable("这不是一张图片。", "media_unavailable")
        return kind, content

    # ---- the sweep -------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Catch up after a process died: syncs wanted and nobody at them, outbox rows not sent."""
        async with self.ctx.db.write() as session:
            await repo.forget_callbacks(
                session, utcnow() - timedelta(seconds=2 * self.ctx.settings.wechat_callback_max_age + 60)
            )
        async with self.ctx.db.read() as session:
            accounts = await repo.accounts_behind(session)
            behind = await repo.customers_behind(session)
        for open_kfid in accounts:
            self.start_sync(open_kfid)
        self.wake(behind)

    async def _sweep_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("wechat sweep failed")


def _fit(text: str, limit: int) -> str:
    """A WeChat message longer than the bridge takes (JIELI_MAX_MESSAGE_CHARS): cut, marked."""
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _when(send_time: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(send_time), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


MAX_XML_BYTES = 64 * 1024


def _xml_dict(body: bytes) -> dict[str, str]:
    if len(body) > MAX_XML_BYTES:
        raise CallbackRefused("wechat_bad_request", "the body is too large", 413)
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise CallbackRefused("wechat_bad_request", "DTDs are not accepted", 400)
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise CallbackRefused("wechat_bad_request", "the body is not XML", 400) from None
    return {child.tag: (child.text or "").strip() for child in root}


def _xml_field(body: bytes, name: str) -> str:
    value = _xml_dict(body).get(name)
    if not value:
        raise CallbackRefused("wechat_bad_request", f"the body has no {name}", 400)
    return value
