"""A realistic demo week, so the dashboard and the review queue are not empty on first look.

`python -m handover_bridge seed-demo-week` (and `make demo`, through scripts/demo.py) fills the
store with seven days of conversations ending now, in the shop's time zone: bot-only chats,
handovers of every reason and category with waits, handling times and ratings, a few abusive
customers, customers who gave up waiting, tickets (most answered), and pending review
candidates. Everything is marked: conversation ids start with `de40de40`, conversation metadata
says {"demo": true}, handover contexts say "demo": true, review candidates have demo=True (so
the training export skips them), and the dashboard shows a 演示数据 badge.

Refused outside demo mode. Idempotent: a second run on the same day changes nothing; on a later
day the old demo week is replaced by a fresh one that ends today (so "近7天" stays full); `force`
replaces it anyway. Real conversations are never touched. The content is the same for the same
dates (random numbers seeded by the date).
"""
from __future__ import annotations

import logging
import math
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ...config import DEMO_AGENTS
from ...domain import states
from ...domain.states import State
from ...models import Conversation, Handover, ReviewCandidate, Ticket, utcnow
from ...repositories import agents as agents_repo
from ...repositories import append as append_path
from ...repositories import demo as demo_repo
from .. import abuse
from ...domain import texts
from ..wiring.context import Context
from ...domain.errors import Forbidden, ServiceError

log = logging.getLogger("handover_bridge.demo")

DAYS = 7
DEMO_PREFIX = demo_repo.DEMO_PREFIX


@dataclass(frozen=True)
class SeedResult:
    seeded: bool                 # False: today's demo week was already there
    conversations: int = 0
    messages: int = 0
    handovers: int = 0
    tickets: int = 0
    review_candidates: int = 0
    replaced: int = 0            # demo conversations of an older demo week removed first
    first_day: str = ""
    last_day: str = ""

    def describe(self) -> str:
        if not self.seeded:
            return "demo week already seeded today: nothing to do"
        return (f"demo week {self.first_day} … {self.last_day}: {self.conversations} conversations, "
                f"{self.messages} messages, {self.handovers} handovers, {self.tickets} tickets, "
                f"{self.review_candidates} review candidates"
                + (f" (replaced {self.replaced} older demo conversations)" if self.replaced else ""))


# ---- what customers ask ---------------------------------------------------------------------------
# Lines: ("c" customer | "b" bot, text). {order} is replaced by an order number.

BOT_ONLY: list[list[tuple[str, str]]] = [
    [("c", "我的快递到哪了？"), ("b", "请告诉我您的订单号，我马上帮您查询。"), ("c", "{order}"),
     ("b", "订单 {order} 已于昨天发货，由顺丰承运，预计明天送达。"), ("c", "好的，谢谢"),
     ("b", "不客气，祝您购物愉快！")],
    [("c", "怎么开发票？"), ("b", "在「我的订单」里选择订单，点击「申请开票」，填写抬头和税号即可，电子发票 1–3 个工作日内发到您的邮箱。"),
     ("c", "明白了")],
    [("c", "优惠券怎么用不了"), ("b", "优惠券需要满足使用门槛，并且只能用于指定商品。您可以在「我的优惠券」里查看每张券的使用条件。"),
     ("c", "哦哦，原来要满 199"), ("b", "是的，凑够 199 元就可以使用啦。")],
    [("c", "退款什么时候到账"), ("b", "退款审核通过后会原路退回，一般 1–3 个工作日到账，信用卡可能稍慢一些。"), ("c", "好的")],
    [("c", "这个电热水壶第一次怎么用？"), ("b", "首次使用前，建议加水至最高水位线煮沸后倒掉，重复两次，即可去除异味。"),
     ("c", "谢谢")],
    [("c", "能帮我改一下收货地址吗"), ("b", "订单还未发货时，可以在订单详情页点击「修改地址」。请告诉我订单号，我帮您看看能否修改。"),
     ("c", "{order}"), ("b", "订单 {order} 还未发货，已为您打开修改地址的入口，请在订单详情页修改。"), ("c", "改好了，谢谢")],
    [("c", "你好"), ("b", "您好，我是接力智能助手，请问有什么可以帮您？"), ("c", "七天无理由退货包运费吗"),
     ("b", "七天无理由退货的运费由您承担；如果您购买了运费险，退货后会自动理赔。"), ("c", "知道了")],
    [("c", "支付宝可以分期吗"), ("b", "支持花呗分期，下单时在支付页面选择「花呗分期」即可，3 期免息。"), ("c", "好的")],
    [("c", "取消订单"), ("b", "请告诉我要取消的订单号。"), ("c", "{order}"),
     ("b", "订单 {order} 还未发货，已为您取消，款项将原路退回。"), ("c", "谢谢")],
]

# A handover: the bot part, the request that hands over, the agent's chat, what it really was.
HANDOVERS: list[dict[str, Any]] = [
    {"category": "物流", "reason": "request_human", "priority": 1, "intent": "order_status",
     "bot_intent": "order_status",
     "bot": [("c", "快递三天没更新了"), ("b", "请告诉我您的订单号，我马上帮您查询。"), ("c", "{order}"),
             ("b", "订单 {order} 的包裹正在运输途中，请耐心等待。")],
     "ask": "我要人工客服",
     "summary": "顾客的包裹三天没有物流更新，机器人只回复了运输中，顾客要求人工。",
     "chat": [("a", "您好，我看了一下，您的包裹在中转站滞留了，我已经联系快递公司加急处理。"),
              ("c", "大概什么时候能到？"),
              ("a", "预计明天下午送达。如果明天还没到，您直接找我，我给您补发。"), ("c", "好的，谢谢")],
     "answer": "包裹在中转站滞留时，我们会联系快递公司加急；预计 1–2 天送达，超时未到可以为您补发。",
     "examples": ["快递三天没更新了", "物流信息好几天不动了"]},
    {"category": "售后", "reason": "frustration", "priority": 2, "intent": "return_exchange",
     "bot_intent": "return_exchange",
     "bot": [("c", "收到的杯子是碎的"), ("b", "非常抱歉！请在订单详情页上传商品照片申请售后，我们会尽快处理。"),
             ("c", "我已经上传三次了，一直显示审核中")],
     "ask": "你们到底管不管？转人工！",
     "summary": "顾客收到的杯子破损，售后申请上传了三次照片仍在审核中，情绪不满。",
     "chat": [("a", "非常抱歉让您久等了。我直接为您补发一个新的杯子，破损的不用寄回。"),
              ("c", "那什么时候发？"), ("a", "今天下午就安排发货，单号发出后我会短信通知您。"), ("c", "行吧")],
     "answer": "商品破损无需退回，直接为您补发新品，当天发货并短信通知物流单号。",
     "examples": ["收到的杯子是碎的", "东西到手就坏了", "快递把东西摔坏了"]},
    {"category": "账单", "reason": "repeated_failure", "priority": 2, "intent": "payment",
     "bot_intent": "nlu_fallback",
     "bot": [("c", "为什么扣了我两次钱"), ("b", "抱歉，我没有理解您的意思，可以换个说法吗？"),
             ("c", "付款的时候扣了两次款"), ("b", "抱歉，我还是没有理解。")],
     "ask": "找个真人",
     "summary": "顾客付款时被重复扣款，机器人两次没有理解，转人工。",
     "chat": [("a", "您好，我查到您的订单确实重复扣款了，多扣的 59 元会在 1–3 个工作日内原路退回。"),
              ("c", "会有短信通知吗？"), ("a", "退款到账时银行会短信通知您，我这边也给您记录了。"), ("c", "好的")],
     "answer": "重复扣款会在 1–3 个工作日内原路退回，到账时银行会短信通知。",
     "examples": ["为什么扣了我两次钱", "付款的时候扣了两次款", "重复扣费了"]},
    {"category": "产品", "reason": "request_human", "priority": 1, "intent": "product_usage",
     "bot_intent": "product_usage",
     "bot": [("c", "这个空气炸锅能做蛋糕吗"), ("b", "空气炸锅的使用方法请参考说明书第 3 页。")],
     "ask": "转人工",
     "summary": "顾客想知道空气炸锅能否做蛋糕，机器人只给了说明书页码。",
     "chat": [("a", "可以的！用 6 寸模具，160 度先烤 20 分钟，再 150 度烤 10 分钟，表面盖一层锡纸防止烤焦。"),
              ("c", "太好了，谢谢"), ("a", "不客气，祝您烘焙愉快～")],
     "answer": "空气炸锅可以做蛋糕：6 寸模具，160 度烤 20 分钟后 150 度烤 10 分钟，表面盖锡纸。",
     "examples": ["这个空气炸锅能做蛋糕吗", "空气炸锅可以烤蛋糕吗"]},
    {"category": "其他", "reason": "complaint", "priority": 2, "intent": "complain", "bot_intent": "complain",
     "bot": [("c", "我要投诉你们的配送员，态度太差了"), ("b", "非常抱歉给您带来不好的体验，正在为您转接人工客服。")],
     "ask": None,
     "summary": "顾客投诉配送员态度差。",
     "chat": [("a", "非常抱歉！我已经记录下来并反馈给配送站，会有专人核实处理，给您送上一张 10 元无门槛券表示歉意。"),
              ("c", "好吧，希望以后注意"), ("a", "一定会的，感谢您的反馈。")],
     "answer": None, "examples": ["我要投诉你们的配送员", "快递员态度很差"]},
    {"category": "售后", "reason": "request_human", "priority": 3, "intent": "refund", "bot_intent": "refund",
     "abusive": True,
     "bot": [("c", "退款申请被驳回了是什么意思"), ("b", "退款申请被驳回可能是因为商品已超过退款期限，请查看驳回原因。"),
             ("c", "我才买了三天！")],
     "ask": "人工客服",
     "summary": "顾客的退款申请被系统自动驳回，购买仅三天，情绪激动。",
     "chat": [("c", "你们这些垃圾客服，到底能不能退？"),
              ("a", "非常理解您的心情。我看到是系统误判了，已经为您重新提交退款，今天内审核通过。"),
              ("c", "早这样不就好了，一群废物"), ("a", "给您添麻烦了，退款审核通过后会原路退回。")],
     "answer": "系统自动驳回的退款可以人工重新提交，当天审核通过后原路退回。",
     "examples": ["退款申请被驳回了是什么意思", "为什么不给我退款"]},
    {"category": "物流", "reason": "request_human", "priority": 1, "intent": "change_address",
     "bot_intent": "change_address",
     "bot": [("c", "已经发货了还能改地址吗"), ("b", "订单已发货后无法在线修改地址。")],
     "ask": "那帮我转人工",
     "summary": "订单已发货，顾客想修改收货地址。",
     "chat": [("a", "您好，我可以联系快递公司为您改派，请告诉我新的地址。"), ("c", "上海市浦东新区张江路 88 号"),
              ("a", "已提交改派申请，快递员会在派送前和您电话确认。"), ("c", "谢谢")],
     "answer": "已发货的订单可以联系快递公司改派到新地址，派送前快递员会电话确认。",
     "examples": ["已经发货了还能改地址吗", "发货后怎么修改收货地址"]},
    {"category": "账单", "reason": "request_human", "priority": 1, "intent": "invoice", "bot_intent": "invoice",
     "bot": [("c", "发票抬头写错了"), ("b", "在「我的订单」里选择订单，点击「申请开票」即可。")],
     "ask": "我要找人工",
     "summary": "顾客的发票抬头开错了，需要重开。",
     "chat": [("a", "您好，已为您作废原发票，请告诉我正确的抬头和税号，我重新为您开具。"),
              ("c", "抬头是杭州某某科技有限公司"), ("a", "好的，新发票会在 1 个工作日内发到您的邮箱。"), ("c", "好")],
     "answer": "发票抬头开错可以作废重开，提供正确抬头和税号后 1 个工作日内重新发送。",
     "examples": ["发票抬头写错了", "发票开错了能重开吗"]},
    {"category": "产品", "reason": "frustration", "priority": 2, "intent": "product_usage",
     "bot_intent": "out_of_scope", "abusive": True,
     "bot": [("c", "扫地机器人一直报错 E3"), ("b", "抱歉，这个问题我暂时回答不了。"),
             ("c", "又是回答不了？你们这个破机器人就是个智障")],
     "ask": "人工人工人工",
     "summary": "扫地机器人报错 E3，机器人答不上来，顾客重复要求人工，言辞激烈。",
     "chat": [("c", "到底有没有人管？"),
              ("a", "抱歉让您着急了。E3 是主刷被缠住了，把主刷取下来清理一下头发和线头就好。"),
              ("c", "好了，能用了"), ("a", "太好了，有问题随时找我。")],
     "answer": "扫地机器人报错 E3 表示主刷被缠住，取下主刷清理缠绕的头发和线头即可。",
     "examples": ["扫地机器人一直报错 E3", "扫地机显示 E3 怎么办"]},
]

TICKET_ONLY = [("c", "我的订单什么时候发货"), ("s", texts.BOT_UNAVAILABLE_NO_AGENT),
               ("s", texts.NO_AGENT_TICKET)]
TICKET_MESSAGES = ["订单一直没发货，请尽快联系我", "想咨询一下企业采购的价格", "收到的商品少了一件，请回电",
                   "发票还没收到，麻烦处理一下"]
TICKET_REPLIES = ["您好，已为您安排今天发货。", "您好，企业采购请联系我们的大客户经理，电话已短信发送给您。",
                  "您好，漏发的商品已为您补发。", "您好，发票已重新发送到您的邮箱。"]
CUSTOMER_CLOSINGS = ["谢谢", "好的", "行", "嗯嗯，谢谢"]


class _Day:
    """Random numbers for one local day, the same every time for the same date."""

    def __init__(self, day: date):
        self.random = random.Random(f"jieli-demo-week:{day.isoformat()}")


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> float:
    return max(low, min(high, median * math.exp(rng.gauss(0, sigma))))


def _start_times(rng: random.Random, day: date, zone: ZoneInfo) -> list[datetime]:
    """Conversation start times of one day: more at lunch and in the evening, more at weekends."""
    count = rng.randint(34, 44) if day.weekday() >= 5 else rng.randint(26, 36)
    hours = [h for h in range(8, 24)]
    weights = [1, 2, 4, 5, 5, 3, 3, 3, 3, 3, 3, 3, 5, 6, 6, 3]
    times = []
    for _ in range(count):
        hour = rng.choices(hours, weights)[0]
        times.append(datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone))
    return sorted(times)


class DemoWeek:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    async def seed(self, *, now: datetime | None = None, force: bool = False) -> SeedResult:
        settings = self.ctx.settings
        if not settings.demo_mode:
            raise Forbidden("demo data is only seeded in demo mode (JIELI_DEMO_MODE=true), never in production",
                            "demo_mode_only")
        zone = ZoneInfo(settings.timezone)
        now = (now or utcnow()).astimezone(timezone.utc)
        today = now.astimezone(zone).date()
        async with self.ctx.db.read() as session:
            existing = await demo_repo.demo_conversations(session)
            agents = [await agents_repo.by_username(session, name) for name in DEMO_AGENTS]
        if existing and not force and all(meta.get("demo_week") == today.isoformat() for _, meta in existing):
            return SeedResult(False)
        agents = [a for a in agents if a is not None]
        if not agents:
            raise ServiceError("the demo agents are missing (start the bridge in demo mode once)", "no_demo_agents")
        builder = _Builder(settings, zone, today, now, agents)
        for offset in range(DAYS - 1, -1, -1):
            builder.day(today - timedelta(days=offset))
        async with self.ctx.db.write() as session:
            if existing:
                await demo_repo.delete_conversations(session, [cid for cid, _ in existing])
            session.add_all(builder.conversations)
            await session.flush()
            await _append_messages(session, builder)
            session.add_all(builder.tickets + [h for h, _ in builder.handovers])
            await session.flush()
            session.add_all([ReviewCandidate(handover_id=h.id, **fields)
                             for h, fields in builder.handovers if fields is not None])
        result = SeedResult(True, len(builder.conversations), len(builder.messages), len(builder.handovers),
                            len(builder.tickets), sum(1 for _, f in builder.handovers if f is not None),
                            len(existing), (today - timedelta(days=DAYS - 1)).isoformat(), today.isoformat())
        log.warning("demo data: %s", result.describe())
        return result


async def _append_messages(session, builder: "_Builder") -> None:
    """Each demo conversation's messages, through the one append path (seqs 1, 2, 3 …); the
    conversation's last activity stays that of its last message."""
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    for conversation_id, item in builder.messages:
        by_conversation.setdefault(conversation_id, []).append(item)
    tx = append_path.in_session(session)
    for conversation in builder.conversations:
        items = by_conversation.get(conversation.id, [])
        if items:
            await append_path.append(tx, conversation.id, items, at=conversation.updated_at)


class _Builder:
    """Builds the rows of the demo week in memory."""

    def __init__(self, settings, zone: ZoneInfo, today: date, now: datetime, agents):
        self.settings = settings
        self.zone = zone
        self.today = today
        self.now = now
        self.agents = agents
        self.conversations: list[Conversation] = []
        self.messages: list[tuple[str, dict[str, Any]]] = []   # (conversation id, message) in order
        self.tickets: list[Ticket] = []
        self.handovers: list[tuple[Handover, dict[str, Any] | None]] = []
        self.number = 0

    # ---- one day ------------------------------------------------------------------------------

    def day(self, day: date) -> None:
        rng = _Day(day).random
        for start in _start_times(rng, day, self.zone):
            start = start.astimezone(timezone.utc)
            roll = rng.random()
            if roll < 0.6:
                self._bot_only(rng, start)
            elif roll < 0.955:
                self._handover(rng, start)
            else:
                self._ticket_only(rng, start)

    # ---- pieces -------------------------------------------------------------------------------

    def _conversation(self, rng: random.Random, start: datetime) -> tuple[Conversation, dict[str, Any]]:
        self.number += 1
        tier = rng.choices(["普通会员", "VIP", "SVIP"], [70, 22, 8])[0]
        meta = {"demo": True, "demo_week": self.today.isoformat(), "customer_id": f"demo-{rng.randrange(10**5, 10**6)}",
                "tier": tier, "current_order": f"2024{rng.randrange(10**11, 10**12)}", "page": "/shop/"}
        conversation = Conversation(id=f"{DEMO_PREFIX}{self.number:024x}", token_hash=secrets.token_hex(32),
                                    state=states.INITIAL.value, meta=meta, next_seq=0, created_at=start, updated_at=start)
        return conversation, meta

    def _say(self, conversation: Conversation, when: datetime, sender: str, text: str,
             payload: dict[str, Any] | None = None) -> None:
        """A message, stored later through the one append path (which gives it its seq)."""
        self.messages.append((conversation.id, {
            "sender": sender, "text": text, "payload": payload, "status": "done" if sender == "customer" else None,
            "abusive": sender == "customer" and abuse.is_abusive(text), "created_at": when}))
        conversation.updated_at = when

    @staticmethod
    def _move(conversation: Conversation, to: State) -> None:
        """The demo conversation's state changes as a real one's would (domain/states.py)."""
        conversation.state = states.transition(conversation, to).value

    def _lines(self, rng: random.Random, conversation: Conversation, clock: datetime,
               lines: list[tuple[str, str]], order: str) -> datetime:
        for who, text in lines:
            clock += timedelta(seconds=rng.uniform(1.5, 4) if who in ("b", "s") else rng.uniform(8, 40))
            sender = {"c": "customer", "b": "bot", "s": "system"}[who]
            self._say(conversation, clock, sender, text.replace("{order}", order))
        return clock

    def _fits(self, end: datetime) -> bool:
        """Today's conversations must be over before now."""
        return end < self.now - timedelta(minutes=2)

    def _bot_only(self, rng: random.Random, start: datetime) -> None:
        conversation, meta = self._conversation(rng, start)
        lines = rng.choice(BOT_ONLY)
        mark = len(self.messages)
        end = self._lines(rng, conversation, start, lines, meta["current_order"])
        if not self._fits(end):
            del self.messages[mark:]
            self.number -= 1
            return
        self.conversations.append(conversation)

    def _ticket_only(self, rng: random.Random, start: datetime) -> None:
        conversation, meta = self._conversation(rng, start)
        mark = len(self.messages)
        clock = self._lines(rng, conversation, start, TICKET_ONLY, meta["current_order"])
        clock += timedelta(seconds=rng.uniform(30, 90))
        if not self._fits(clock):
            del self.messages[mark:]
            self.number -= 1
            return
        self._ticket(rng, conversation, clock)
        self.conversations.append(conversation)

    def _ticket(self, rng: random.Random, conversation: Conversation, when: datetime) -> None:
        which = rng.randrange(len(TICKET_MESSAGES))
        contact = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        ticket = Ticket(conversation_id=conversation.id, message=TICKET_MESSAGES[which], contact=contact,
                        status="open", created_at=when)
        self._say(conversation, when + timedelta(seconds=1), "system", texts.TICKET_RECEIVED.format(contact=contact),
                  payload={"type": "ticket"})
        answered = when + timedelta(hours=_lognormal(rng, 3, 0.8, 0.3, 20))
        if rng.random() < 0.85 and answered < self.now:
            ticket.status, ticket.answered_at = "answered", answered
            ticket.reply, ticket.answered_by = TICKET_REPLIES[which], rng.choice(self.agents).id
            self._say(conversation, answered, "system", texts.TICKET_ANSWERED.format(reply=ticket.reply),
                      payload={"type": "ticket_answered"})
        self._move(conversation, State.TICKET)
        self.tickets.append(ticket)

    def _handover(self, rng: random.Random, start: datetime) -> None:
        conversation, meta = self._conversation(rng, start)
        story = rng.choice(HANDOVERS)
        order = meta["current_order"]
        mark = len(self.messages)
        clock = self._lines(rng, conversation, start, story["bot"], order)
        if story["ask"]:
            clock = self._lines(rng, conversation, clock, [("c", story["ask"])], order)
        reason = story["reason"]
        if rng.random() < 0.04:
            reason = "bot_unavailable"
        local_hour = clock.astimezone(self.zone).hour
        busy = local_hour in (10, 11, 20, 21)
        position = rng.randint(2, 6) if busy else rng.randint(1, 3)
        eta = position * rng.randint(40, 90)
        queued = clock + timedelta(seconds=1)
        self._move(conversation, State.QUEUED)
        self._say(conversation, queued, "system", texts.queue_notice(position, eta),
                  payload={"type": "queue", "position": position, "eta_seconds": eta})
        priority = min(3, story["priority"] + (1 if meta["tier"] != "普通会员" else 0))
        handover = Handover(conversation_id=conversation.id, reason=reason, category=story["category"],
                            skill=self.settings.skill_for(story["category"]), priority=priority,
                            summary=story["summary"],
                            context={"demo": True, "summary": story["summary"], "customer": {"tier": meta["tier"]},
                                     "order_id": order},
                            rank=queued.timestamp() - priority * self.settings.ageing_seconds,
                            queued_at=queued, tags=[])
        outcome = rng.random()
        candidate: dict[str, Any] | None = None
        if outcome < 0.07:                                   # gave up waiting
            clock = queued + timedelta(seconds=_lognormal(rng, 150, 0.4, 60, 400))
            self._move(conversation, State.BOT)
            self._say(conversation, clock, "system", texts.WAIT_CANCELLED)
            handover.closed_at, handover.resolution = clock, "cancelled_by_customer"
        elif outcome < 0.13:                                 # waited long, left a message
            clock = queued + timedelta(seconds=_lognormal(rng, 600, 0.2, 420, 900))
            self._say(conversation, clock, "system", texts.LONG_WAIT_TICKET, payload={"type": "ticket_offer"})
            clock += timedelta(seconds=rng.uniform(40, 120))
            handover.closed_at, handover.resolution = clock, "ticket"
            if self._fits(clock):
                self._ticket(rng, conversation, clock)
        else:                                                # an agent answers
            agent = rng.choice(self.agents)
            wait = _lognormal(rng, 150 if busy else 45, 0.7, 8, 900)
            accepted = queued + timedelta(seconds=wait)
            self._move(conversation, State.ASSIGNED)
            self._say(conversation, accepted, "system", texts.AGENT_JOINED.format(name=agent.display_name),
                      payload={"type": "agent_joined", "agent": {"id": agent.id, "display_name": agent.display_name}})
            clock = accepted
            first_reply = None
            for who, text in story["chat"]:
                if who == "a":
                    clock += timedelta(seconds=rng.uniform(15, 60) if first_reply is None else rng.uniform(30, 150))
                    self._say(conversation, clock, "agent", text.replace("{order}", order))
                    first_reply = first_reply or clock
                else:
                    clock += timedelta(seconds=rng.uniform(20, 90))
                    self._say(conversation, clock, "customer", text.replace("{order}", order))
            clock += timedelta(seconds=_lognormal(rng, 120, 0.8, 20, 900))
            returned = rng.random() < 0.9
            self._say(conversation, clock, "system", texts.CLOSED_TO_BOT if returned else texts.CLOSED_END,
                      payload={"type": "closed", "return_to_bot": returned})
            handover.accepted_at, handover.first_reply_at, handover.agent_id = accepted, first_reply, agent.id
            handover.closed_at, handover.resolution = clock, rng.choice(["已解决", "已解决", "已解决", "已处理，待跟进"])
            handover.intent = story["intent"]
            handover.tags = [story["category"]]
            self._move(conversation, State.BOT if returned else State.CLOSED)
            self._say(conversation, clock + timedelta(seconds=2), "bot" if returned else "system", texts.ASK_RATING,
                      payload={"type": "rating_request", "scale": [1, 2, 3, 4, 5]})
            clock += timedelta(seconds=2)
            if rng.random() < 0.72:
                weights = [14, 14, 20, 28, 24] if story.get("abusive") else [3, 4, 9, 30, 54]
                handover.rating = rng.choices([1, 2, 3, 4, 5], weights)[0]
                clock += timedelta(seconds=rng.uniform(5, 30))
                self._say(conversation, clock, "system", texts.THANKS_RATING,
                          payload={"type": "rating_received", "score": handover.rating})
            if rng.random() < 0.45:
                candidate = {"conversation_id": conversation.id, "agent_id": agent.id, "intent": story["intent"],
                             "bot_intent": story["bot_intent"], "examples": list(story["examples"]),
                             "answer": story["answer"], "reusable": story["answer"] is not None,
                             "status": "pending", "demo": True, "created_at": handover.closed_at,
                             "note": "演示数据"}
        if not self._fits(clock):
            del self.messages[mark:]
            self.tickets = [t for t in self.tickets if t.conversation_id != conversation.id]
            self.number -= 1
            return
        self.conversations.append(conversation)
        self.handovers.append((handover, candidate))
