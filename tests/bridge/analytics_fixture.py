"""The small fixture of test_analytics.py: the rows of two local days, written straight to the store,
whose every figure is computed by hand (below, and in test_analytics.py's assertions).

The fixture (times are local, Asia/Shanghai = UTC+8; the period is 2024-03-04 … 2024-03-05, i.e.
[2024-03-03T16:00Z, 2024-03-05T16:00Z)):

 conv  created (local)    customer spoke  handover                         ticket        note
 c1    03-04 10:00        yes             —                                —             demo: true
 c11   03-04 07:30        yes             —                                —             = 03-03 23:30 UTC: in
 c2    03-04 11:00        yes             h2 request_human 物流 agent A     —             metadata demo: "yes" (not demo)
 c3    03-04 12:00        yes             h3 frustration   售后 agent B     —
 c4    03-05 09:00        yes             h4 request_human 物流 agent A     —
 c5    03-05 10:00        yes             h5 request_human 账单, cancelled  —
 c6    03-05 20:00        yes             h6 bot_unavailable 其他 → ticket  t6 (answered 21:00)
 c7    03-05 21:00        yes             —                                t7 (open)
 c8    03-05 22:00        no              —                                —             widget opened only
 c9    03-03 23:59:59     yes             h9 complaint 产品 agent B (queued 03-04 00:00:05: in)
 c10   03-06 00:00:00     yes             h10 request_human 物流 (queued 03-06 00:00:00: out)  t10
 t0 (on c9): opened 03-03 12:00, answered 03-04 13:00

 handover  queued     accepted   first reply  closed     rating
 h2        11:01:00   11:01:30   11:01:40     11:06:40   5     (accept 30 s, reply 40 s, handling 310 s)
 h3        12:00:10   12:01:10   12:01:30     12:11:10   2     (60, 80, 600)
 h4        09:00:30   09:02:30   09:04:30     09:14:30   4     (120, 240, 720)
 h5        10:00:20   —          —            10:05:20   —     cancelled_by_customer
 h6        20:00:05   —          —            20:01:00   —     ticket
 h9        00:00:05   00:00:25   00:00:35     00:10:25   —     (20, 30, 600)
 h10       03-06 00:00:00 …                              1     outside the period
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from handover_bridge.models import Conversation, Handover, Message, Ticket

from .conftest import PASSWORD

CST = timezone(timedelta(hours=8))
PERIOD = {"from": "2024-03-04", "to": "2024-03-05"}


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """Local (UTC+8) time on 2024-03-`day`."""
    return datetime(2024, 3, day, hh, mm, ss, tzinfo=CST)


async def build_fixture(h) -> dict[str, int]:
    agent_a = await h.bridge.agents.create("ana", PASSWORD, display_name="安娜", skills=["*"])
    agent_b = await h.bridge.agents.create("bo", PASSWORD, display_name="小博", skills=["*"])
    A, B = agent_a.id, agent_b.id
    rows: list = []
    seqs: dict[str, int] = {}

    def conv(name: str, created: datetime, meta: dict | None = None) -> str:
        cid = (name.encode().hex() + "0" * 32)[:32]
        rows.append(
            Conversation(
                id=cid,
                token_hash=secrets.token_hex(32),
                state="bot",
                meta=meta or {},
                next_seq=0,
                created_at=created,
                updated_at=created,
            )
        )
        seqs[cid] = 0
        return cid

    def msg(cid: str, when: datetime, text: str = "你好", sender: str = "customer", abusive: bool = False) -> None:
        seqs[cid] += 1
        rows.append(
            Message(conversation_id=cid, seq=seqs[cid], sender=sender, text=text, abusive=abusive, created_at=when)
        )

    def handover(cid: str, reason: str, category: str, queued: datetime, **fields) -> None:
        rows.append(
            Handover(
                conversation_id=cid,
                reason=reason,
                category=category,
                queued_at=queued,
                rank=0.0,
                context={},
                tags=[],
                **fields,
            )
        )

    c1 = conv("c1", at(4, 10), {"demo": True})
    msg(c1, at(4, 10, 0, 5))
    c11 = conv("c11", at(4, 7, 30))
    msg(c11, at(4, 7, 30, 5))
    c2 = conv("c2", at(4, 11), {"demo": "yes"})
    msg(c2, at(4, 11, 0, 5))
    msg(c2, at(4, 11, 0, 30), "傻逼机器人", abusive=True)  # bot part: total only
    msg(c2, at(4, 11, 3), "你们这些垃圾客服", abusive=True)  # while A holds it: A +1
    msg(c2, at(4, 11, 4), "（客服消息）", sender="agent", abusive=True)  # not a customer: never counted
    handover(
        c2,
        "request_human",
        "物流",
        at(4, 11, 1),
        accepted_at=at(4, 11, 1, 30),
        first_reply_at=at(4, 11, 1, 40),
        closed_at=at(4, 11, 6, 40),
        agent_id=A,
        rating=5,
    )
    c3 = conv("c3", at(4, 12))
    msg(c3, at(4, 12, 0, 5))
    msg(c3, at(4, 12, 5), "滚蛋", abusive=True)  # while B holds it: B +1
    msg(c3, at(4, 12, 11, 10), "去死", abusive=True)  # at closed_at: no longer B's
    handover(
        c3,
        "frustration",
        "售后",
        at(4, 12, 0, 10),
        accepted_at=at(4, 12, 1, 10),
        first_reply_at=at(4, 12, 1, 30),
        closed_at=at(4, 12, 11, 10),
        agent_id=B,
        rating=2,
    )
    c4 = conv("c4", at(5, 9))
    msg(c4, at(5, 9, 0, 5))
    msg(c4, at(5, 9, 2, 30), "废物", abusive=True)  # at accepted_at: A +1
    msg(c4, at(5, 9, 6), "白痴", abusive=True)  # A +1
    handover(
        c4,
        "request_human",
        "物流",
        at(5, 9, 0, 30),
        accepted_at=at(5, 9, 2, 30),
        first_reply_at=at(5, 9, 4, 30),
        closed_at=at(5, 9, 14, 30),
        agent_id=A,
        rating=4,
    )
    c5 = conv("c5", at(5, 10))
    msg(c5, at(5, 10, 0, 5))
    handover(
        c5, "request_human", "账单", at(5, 10, 0, 20), closed_at=at(5, 10, 5, 20), resolution="cancelled_by_customer"
    )
    c6 = conv("c6", at(5, 20))
    msg(c6, at(5, 20, 0, 1))
    handover(c6, "bot_unavailable", "其他", at(5, 20, 0, 5), closed_at=at(5, 20, 1), resolution="ticket")
    rows.append(
        Ticket(
            conversation_id=c6,
            message="请回电",
            contact="13800000000",
            status="answered",
            created_at=at(5, 20, 1),
            answered_at=at(5, 21),
        )
    )
    c7 = conv("c7", at(5, 21))
    msg(c7, at(5, 21, 0, 5))
    rows.append(
        Ticket(conversation_id=c7, message="请回电", contact="13800000001", status="open", created_at=at(5, 21, 5))
    )
    conv("c8", at(5, 22))  # nobody spoke
    c9 = conv("c9", at(3, 23, 59, 59))
    msg(c9, at(3, 23, 59, 59))
    handover(
        c9,
        "complaint",
        "产品",
        at(4, 0, 0, 5),
        accepted_at=at(4, 0, 0, 25),
        first_reply_at=at(4, 0, 0, 35),
        closed_at=at(4, 0, 10, 25),
        agent_id=B,
    )
    rows.append(
        Ticket(
            conversation_id=c9,
            message="旧工单",
            contact="x",
            status="answered",
            created_at=at(3, 12),
            answered_at=at(4, 13),
        )
    )
    c10 = conv("c10", at(6, 0), {"demo": True})
    msg(c10, at(6, 0), "傻逼", abusive=True)  # after the period
    handover(
        c10,
        "request_human",
        "物流",
        at(6, 0),
        accepted_at=at(6, 0, 1),
        first_reply_at=at(6, 0, 2),
        closed_at=at(6, 0, 3),
        agent_id=A,
        rating=1,
    )
    rows.append(Ticket(conversation_id=c10, message="新工单", contact="y", status="open", created_at=at(6, 0)))
    for conversation in [r for r in rows if isinstance(r, Conversation)]:
        conversation.next_seq = seqs[conversation.id]
    async with h.bridge.ctx.db.write() as session:
        session.add_all([r for r in rows if isinstance(r, Conversation)])
        await session.flush()
        session.add_all([r for r in rows if not isinstance(r, Conversation)])
    return {"A": A, "B": B}
