"""A small, real HTTP server standing in for Rasa and the action server.

`RasaStandIn` answers what the bridge calls besides the webhook: /status, the tracker (the
webhook's turns), tracker events, trigger_intent (the rating question after an agent hands back)
and the action server's /health, and posts handovers to the bridge as `action_handover` does. Subclasses say what the REST webhook
answers: `FakeRasa` here for the bridge tests, tests/browser/fake_rasa.py a shop-like bot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from typing import Any

import httpx
from sanic import Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response

_names = itertools.count(1)

HANDOVER_WORD = "转人工"
RATING_QUESTION = "请为本次服务打分(1-5):"


class RasaStandIn:
    """The routes every fake shares; `answer` (the REST webhook) is the subclass's."""

    def __init__(self, port: int, action_token: str):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.action_token = action_token
        self.bridge_url: str | None = None
        self.known_intents = {"request_rating"}
        self.webhook_calls: list[dict[str, Any]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.triggered: list[tuple[str, str]] = []
        self.handover_answers: list[tuple[int, dict[str, Any]]] = []
        # each conversation's turns as Rasa's tracker keeps them (GET /conversations/<id>/tracker)
        self.trackers: dict[str, list[dict[str, Any]]] = {}
        self._server = None
        self.app = self._build()

    async def answer(self, body: dict[str, Any]) -> HTTPResponse:
        raise NotImplementedError

    def remember(self, body: dict[str, Any], replies: list[dict[str, Any]]) -> None:
        """Keep a turn the webhook answered in the conversation's tracker: the customer's message
        with its metadata, then the bot's replies (what the bridge reads back after an interrupted
        turn)."""
        events = self.trackers.setdefault(body["sender"], [])
        events.append({"event": "user", "text": body["message"], "metadata": body.get("metadata") or {}})
        for reply in replies:
            data = {k: v for k, v in reply.items() if k not in ("recipient_id", "text")}
            events.append({"event": "bot", "text": reply.get("text"), "data": data})

    async def post_handover(self, body: dict[str, Any], idempotency_key: str) -> None:
        """POST /api/handovers as action_handover does (while the bridge waits for the webhook)."""
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                f"{self.bridge_url}/api/handovers",
                json=body,
                headers={"Authorization": f"Bearer {self.action_token}", "Idempotency-Key": idempotency_key},
            )
            self.handover_answers.append((response.status_code, response.json()))

    def _build(self) -> Sanic:
        app = Sanic(f"fake_rasa_{next(_names)}", configure_logging=False)
        app.config.TOUCHUP = False

        @app.post("/webhooks/rest/webhook")
        async def webhook(request):
            self.webhook_calls.append(request.json)
            response = await self.answer(request.json)
            if response.status == 200:
                self.remember(request.json, json.loads(response.body))
            return response

        @app.get("/conversations/<sender>/tracker")
        async def tracker(request, sender):
            return json_response({"sender_id": sender, "events": self.trackers.get(sender, [])})

        @app.get("/status")
        async def status(request):
            return json_response({"model_file": "fake.tar.gz", "num_active_training_jobs": 0})

        @app.get("/health")
        async def health(request):
            return json_response({"status": "ok"})

        @app.post("/conversations/<sender>/tracker/events")
        async def events(request, sender):
            self.events.append((sender, request.json))
            return json_response({"sender_id": sender, "events": []})

        @app.post("/conversations/<sender>/trigger_intent")
        async def trigger(request, sender):
            name = request.json["name"]
            self.triggered.append((sender, name))
            if name not in self.known_intents:
                return json_response(
                    {
                        "version": "3.6.21",
                        "status": "failure",
                        "reason": "NotFound",
                        "message": f"The intent {name} does not exist in the domain.",
                        "code": 404,
                    },
                    status=404,
                )
            return json_response(
                {
                    "tracker": {"sender_id": sender},
                    "messages": [
                        {
                            "recipient_id": sender,
                            "text": RATING_QUESTION,
                            "buttons": [{"title": str(n), "payload": f'/rate{{"score":{n}}}'} for n in range(1, 6)],
                        }
                    ],
                }
            )

        return app

    async def start(self) -> None:
        self._server = await self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
        )
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()

    async def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        await server.before_stop()
        for connection in list(server.connections):  # also the kept-alive ones: really gone
            connection.close()
        server.close()
        await server.wait_closed()
        await server.after_stop()


class FakeRasa(RasaStandIn):
    """Echoes what it is sent; "转人工" hands over, "按钮" answers with buttons and a custom payload;
    `delay` slows the webhook down, `fail` makes it answer 500."""

    def __init__(self, port: int, action_token: str):
        super().__init__(port, action_token)
        self.delay = 0.0  # seconds before the webhook answers
        self.fail = False  # answer 500
        self.handover_body: dict[str, Any] = {
            "category": "售后",
            "reason": "request_human",
            "summary": "客户要求人工处理退款",
            "context": {
                "intents": [
                    {"turn": 1, "intent": "refund", "confidence": 0.97},
                    {"turn": 2, "intent": "request_human", "confidence": 0.99},
                ],
                "entities": [{"entity": "order_id", "value": "20240101", "turn": 1}],
                "frustration": 0.2,
            },
        }

    def calls_for(self, sender: str) -> Counter:
        return Counter(c["message"] for c in self.webhook_calls if c["sender"] == sender)

    async def answer(self, body: dict[str, Any]) -> HTTPResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            return json_response({"error": "boom"}, status=500)
        text = body["message"]
        sender = body["sender"]
        if HANDOVER_WORD in text:
            await self.post_handover(
                {"conversation_id": sender, **self.handover_body}, f"handover-{sender}-{len(self.webhook_calls)}"
            )
            return json_response([{"recipient_id": sender, "text": "好的,正在为您转接人工客服。"}])
        if "按钮" in text:
            return json_response(
                [
                    {
                        "recipient_id": sender,
                        "text": "请选择:",
                        "buttons": [{"title": "查物流", "payload": "/order_status"}],
                    },
                    {"recipient_id": sender, "custom": {"card": "order", "id": "1"}},
                ]
            )
        return json_response([{"recipient_id": sender, "text": f"收到:{text}"}])
