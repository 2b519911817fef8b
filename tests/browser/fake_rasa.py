"""A fake Rasa + action server for the browser tests (tests/bridge/fake_rasa.py's RasaStandIn with
a shop-like webhook).

It answers the REST webhook with canned shop replies, /status, tracker events, trigger_intent and
the action server's /health. When the customer asks for a person ("人工客服", "转人工",
"/request_human") it does what `action_handover` does: it POSTs a handover context to the bridge
while the bridge waits for the webhook's reply, then says the customer is being transferred.

The context is a golden one (tests/fixtures/handover, recorded from the real `build_handover`:
its reasons, signals, frustration, category, priority factors and shape), re-addressed to the
live conversation as the action would have written it: the conversation id, its transcript (one
turn flagged abusive), the problem in the customer's words, the order number, the widget's
metadata with what Rasa adds to it (model_id, assistant_id).

It runs in a thread of its own with its own event loop, so that synchronous Playwright tests can
use it.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bridge.fake_rasa import RasaStandIn  # tests/ is on sys.path (pytest's rootdir-based import)

ORDER_ID = re.compile(r"\d{12,20}")
HUMAN = ("人工客服", "转人工", "/request_human", "找真人")
ABUSIVE = ("破机器人", "垃圾", "傻")
GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "handover"
RASA_METADATA = {"model_id": "5e1b0c7d9a2f4e3b8c6d", "assistant_id": "jieli"}  # Rasa adds these to every message
CLAIMED_KEYS = ("customer_id", "tier", "name", "phone_last4")  # actions/identity.py


def golden_body(name: str) -> dict[str, Any]:
    """A recorded handover body (tests/fixtures/handover/<name>.json)."""
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))["body"]


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
        self.known_intents = set()  # request_rating unknown: the bridge asks itself
        self.priority: str | int | None = None  # sent with handovers when set (else the golden's)
        self.golden = "request_human_upset"  # the golden context handovers replay
        self.hand_over = True  # "人工客服" posts a handover (False: the test posts its own)
        self.fail = False  # the webhook answers 500 (Rasa down)
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
            return [
                {
                    "text": f"查询到订单 {order or ''} 的退款申请已被系统自动驳回（原因：药品类商品不支持无理由退款）。"
                    "如果商品有质量问题或一直未发货，可以转人工客服为您处理。".replace("订单  的", "订单的"),
                    "buttons": [
                        {"title": "转人工", "payload": "/request_human"},
                        {"title": "退款规则", "payload": "退款规则是什么"},
                    ],
                }
            ]
        if intent == "inform_order_id":
            return [
                {
                    "text": f"查到订单 {order}：999 感冒灵颗粒 ×2、维生素C泡腾片 ×1，已付款，目前还没有发货。"
                    "药房通常 48 小时内发货，已经超时了，非常抱歉。",
                    "buttons": [
                        {"title": "催促发货", "payload": "帮我催一下发货"},
                        {"title": "申请退款", "payload": "我要退款"},
                    ],
                }
            ]
        if intent == "order_status":
            return [{"text": "请问您的订单号是多少？我帮您查一下物流。"}]
        if intent == "invoice":
            return [{"text": "发票可以在“我的订单 → 订单详情 → 申请开票”里开具，电子发票 1 个工作日内发到您的邮箱。"}]
        if intent == "insult":
            return [{"text": "非常抱歉给您带来不好的体验，我会尽力帮您解决，也可以随时转人工客服。"}]
        return [
            {
                "text": f"抱歉，我还没完全理解“{text[:30]}”。您可以换个说法，或者转人工客服。",
                "buttons": [{"title": "转人工", "payload": "/request_human"}],
            }
        ]

    def handover_body(self, sender: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """The golden body, re-addressed to this conversation (see the module docstring)."""
        body = copy.deepcopy(golden_body(self.golden))
        context = body["context"]
        transcript = self.transcripts.get(sender, [])
        customer_turns = [t for t in transcript if t["sender"] == "customer"]
        order = self.orders.get(sender)
        problem = [
            t
            for t in customer_turns
            if t.get("intent") not in ("request_human", "insult")
            and not t.get("abusive")
            and not ORDER_ID.fullmatch(t["text"])
        ][-3:]
        wants = "；".join(t["text"] for t in problem)
        parts = body["summary"].split(" / ")
        parts[0] = f"客户诉求：{wants[:60] + ('…' if len(wants) > 60 else '') if wants else '（客户还没有描述问题）'}"
        parts[1] = f"订单号：{order or '无'}"
        body["summary"] = " / ".join(parts)
        body["conversation_id"] = sender
        if self.priority is not None:
            body["priority"] = self.priority
        golden_order = context.get("order") or {}
        context.update(
            {
                "conversation_id": sender,
                "summary": body["summary"],
                "transcript": transcript[-200:],
                "problem": {
                    "text": wants,
                    "messages": [{"turn": t["turn"], "text": t["text"], "timestamp": t["timestamp"]} for t in problem],
                },
                "order_id": order,
                "order_ids": [order] if order else [],
                "order": golden_order if order and golden_order.get("order_id") == order else None,
                "entities": [
                    {"entity": "order_id", "value": order, "turn": t["turn"]}
                    for t in customer_turns
                    if order and order in t["text"]
                ],
                "intents": [
                    {"turn": t["turn"], "intent": t["intent"], "confidence": 0.93, "timestamp": t["timestamp"]}
                    for t in customer_turns
                ],
                "human_requests": sum(1 for t in customer_turns if t["intent"] == "request_human"),
                "metadata": {**{k: v for k, v in metadata.items() if k != "jieli_identity"}, **RASA_METADATA},
                "customer": {
                    "verified": False,
                    **(
                        {"claimed": claimed}
                        if (
                            claimed := {k: metadata[k] for k in CLAIMED_KEYS if isinstance(metadata.get(k), (str, int))}
                        )
                        else {}
                    ),
                },
            }
        )
        return body

    # ---- the webhook ----------------------------------------------------------------------------

    async def answer(self, body: dict[str, Any]) -> HTTPResponse:
        if self.fail:
            return json_response({"error": "boom"}, status=500)
        sender, text = body["sender"], body["message"]
        turns = self.transcripts.setdefault(sender, [])
        intent = _intent(text)
        number = sum(1 for t in turns if t["sender"] == "customer") + 1
        turn = {
            "turn": number,
            "sender": "customer",
            "text": text,
            "timestamp": _now(),
            "intent": intent,
            "abusive": any(word in text for word in ABUSIVE),
        }
        turns.append(turn)
        replies = self.reply_to(sender, text)
        if intent == "request_human" and self.hand_over:
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
