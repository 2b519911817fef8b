"""A fake Rasa + action server for the browser tests (tests/bridge/fake_rasa.py's RasaStandIn with
a shop-like webhook).

It answers the REST webhook with canned shop replies, /status, tracker events, trigger_intent and
the action server's /health. When the customer asks for a person ("人工客服", "转人工",
"/request_human") it does what `action_handover` does: it POSTs a handover context to the bridge
(summary, order number, reason, category, signals, the transcript with one turn flagged abusive)
while the bridge waits for the webhook's reply, then says the customer is being transferred.

It runs in a thread of its own with its own event loop, so that synchronous Playwright tests can
use it.
"""
from __future__ import annotations

import asyncio
import re
import threading
from datetime import datetime, timezone
from typing import Any

from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bridge.fake_rasa import RasaStandIn   # tests/ is on sys.path (pytest's rootdir-based import)

ORDER_ID = re.compile(r"\d{12,20}")
HUMAN = ("人工客服", "转人工", "/request_human", "找真人")
ABUSIVE = ("破机器人", "垃圾", "傻")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _intent(text: str) -> str:
    if any(word in text for word in HUMAN):
        return "request_human"
    if text.startswith("/rate"):
        return "rate"
    if "退款" in text or "驳回" in text:
        return "refund"
    if "发票" in text:
        return "invoice"
    if ORDER_ID.search(text):
        return "inform_order_id"
    if "发货" in text or "物流" in text or "快递" in text:
        return "order_status"
    if any(word in text for word in ABUSIVE):
        return "insult"
    return "out_of_scope"


class FakeRasa(RasaStandIn):
    def __init__(self, port: int, action_token: str):
        super().__init__(port, action_token)
        self.known_intents = set()                # request_rating unknown: the bridge asks itself
        self.priority: str | int | None = None    # sent with handovers when set (else the bridge derives it)
        self.transcripts: dict[str, list[dict[str, Any]]] = {}
        self.orders: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ---- the replies ----------------------------------------------------------------------------

    def reply_to(self, sender: str, text: str) -> list[dict[str, Any]]:
        intent = _intent(text)
        found = ORDER_ID.search(text)
        if found:
            self.orders[sender] = found.group(0)
        order = self.orders.get(sender)
        if intent == "request_human":
            return [{"text": "好的，已经为您转接人工客服，我们刚才的聊天记录客服都能看到，您不用再重复说明，请稍等~"}]
        if intent == "rate":
            return [{"text": "感谢您的评价！还有什么可以帮您？"}]
        if intent == "refund":
            return [{"text": f"查询到订单 {order or ''} 的退款申请已被系统自动驳回（原因：药品类商品不支持无理由退款）。"
                             "如果商品有质量问题或一直未发货，可以转人工客服为您处理。".replace("订单  的", "订单的"),
                     "buttons": [{"title": "转人工", "payload": "/request_human"},
                                 {"title": "退款规则", "payload": "退款规则是什么"}]}]
        if intent == "inform_order_id":
            return [{"text": f"查到订单 {order}：999 感冒灵颗粒 ×2、维生素C泡腾片 ×1，已付款，目前还没有发货。"
                             "药房通常 48 小时内发货，已经超时了，非常抱歉。",
                     "buttons": [{"title": "催促发货", "payload": "帮我催一下发货"},
                                 {"title": "申请退款", "payload": "我要退款"}]}]
        if intent == "order_status":
            return [{"text": "请问您的订单号是多少？我帮您查一下物流。"}]
        if intent == "invoice":
            return [{"text": "发票可以在“我的订单 → 订单详情 → 申请开票”里开具，电子发票 1 个工作日内发到您的邮箱。"}]
        if intent == "insult":
            return [{"text": "非常抱歉给您带来不好的体验，我会尽力帮您解决，也可以随时转人工客服。"}]
        return [{"text": f"抱歉，我还没完全理解“{text[:30]}”。您可以换个说法，或者转人工客服。",
                 "buttons": [{"title": "转人工", "payload": "/request_human"}]}]

    def handover_body(self, sender: str, metadata: dict[str, Any]) -> dict[str, Any]:
        transcript = self.transcripts.get(sender, [])
        customer_turns = [t for t in transcript if t["sender"] == "customer"]
        abusive = sum(1 for t in customer_turns if t.get("abusive"))
        requests = sum(1 for t in customer_turns if t.get("intent") == "request_human")
        order = self.orders.get(sender, "")
        last_question = next((t["text"] for t in reversed(customer_turns)
                              if t.get("intent") not in ("request_human", "insult")), "")
        summary = "顾客要求转人工；话题：退款售后" + (f"；订单 {order}" if order else "") \
            + (f"；最近的问题：{last_question[:60]}" if last_question else "")
        frustration = min(1.0, 0.4 + 0.2 * abusive + 0.1 * requests)
        return {
            "conversation_id": sender,
            **({"priority": self.priority} if self.priority is not None else {}),
            "reason": "customer_request",
            "category": "after_sales",
            "summary": summary,
            "context": {
                "summary": summary,
                "reason": "customer_request",
                "category": "after_sales",
                "order_id": order,
                "slots": {"order_id": order, "order_topic": "refund"},
                "signals": {"frustration": frustration, "human_requests": requests, "abusive_turns": abusive,
                            "refund_rejected": True, "bot_failures": 0},
                "frustration": frustration,
                "latest_intents": [{"intent": t["intent"], "confidence": 0.93} for t in customer_turns[-5:]],
                "transcript": transcript[-200:],
                "metadata": metadata,
            },
        }

    # ---- the webhook ----------------------------------------------------------------------------

    async def answer(self, body: dict[str, Any]) -> HTTPResponse:
        sender, text = body["sender"], body["message"]
        turns = self.transcripts.setdefault(sender, [])
        intent = _intent(text)
        turn = {"sender": "customer", "text": text, "timestamp": _now(), "intent": intent}
        if any(word in text for word in ABUSIVE):
            turn["abusive"] = True
        turns.append(turn)
        replies = self.reply_to(sender, text)
        if intent == "request_human":
            await self.post_handover(self.handover_body(sender, body.get("metadata") or {}), f"{sender}:{len(turns)}")
        for reply in replies:
            turns.append({"sender": "bot", "text": reply["text"], "timestamp": _now()})
        return json_response([{"recipient_id": sender, **reply} for reply in replies])

    # ---- running in a thread --------------------------------------------------------------------

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(RasaStandIn.start(self))
            except BaseException as error:  # noqa: BLE001
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(RasaStandIn.stop(self))
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-rasa", daemon=True)
        self._thread.start()
        ready.wait(15)
        if failure:
            raise failure[0]

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
