"""Helpers for the action tests (a module of its own, so test files can import it by a name that
clashes with nothing: `from jieli_testkit import ...`)."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import datetime, timezone
from pathlib import Path

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import get_settings
from actions.shop.factory import reset_adapters

FROZEN_NOW = datetime(2024, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
JIELI_ENV = (
    "JIELI_SHOP_ADAPTER",
    "JIELI_SHOP_DB_URL",
    "JIELI_SHOP_API_URL",
    "JIELI_SHOP_API_TOKEN",
    "JIELI_SHOP_API_TIMEOUT",
    "JIELI_POLICY_PATH",
    "JIELI_MANUALS_PATH",
    "JIELI_BRIDGE_URL",
    "JIELI_ACTION_TOKEN",
    "JIELI_BRIDGE_TIMEOUT",
    "JIELI_ORDER_SECOND_FACTOR",
    "JIELI_SECOND_FACTOR_TRIES",
    "JIELI_ORDER_LOOKUP_LIMIT",
    "JIELI_ORDER_LOOKUP_WINDOW",
)
# the secret the tests' bridge signs verified customers with (JIELI_ACTION_TOKEN)
TEST_ACTION_TOKEN = "test-action-token-0123456789abcdef-jieli"


def demo_owners() -> dict[str, str]:
    """{order number: customer id} of shop/demo_orders.yml."""
    import yaml

    data = yaml.safe_load((ROOT / "shop" / "demo_orders.yml").read_text(encoding="utf-8"))
    return {str(o["order_id"]): str(o["customer_id"]) for o in data["orders"] if o.get("customer_id")}


def identity_token(
    customer_id: str,
    conversation_id: str,
    secret: str = TEST_ACTION_TOKEN,
    tier: str | None = None,
    ttl: int = 600,
    **overrides,
) -> str:
    """A `jieli_identity` as the bridge signs it (the identity contract, point 3)."""
    import time

    import jwt

    now = int(time.time())
    claims = {
        "iss": "jieli-bridge",
        "aud": "jieli-actions",
        "sub": customer_id,
        "tier": tier,
        "cid": conversation_id,
        "iat": now,
        "exp": now + ttl,
        **overrides,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not ...}, secret, algorithm="HS256")


def apply_env(monkeypatch, **values: str) -> None:
    """Set JIELI_* variables (others cleared) and drop cached settings and adapters."""
    for name in JIELI_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    reset_adapters()


def load_tracker(
    name: str,
    *,
    text: str | None = None,
    intent: str | None = None,
    entities: list[dict] | None = None,
    slots: dict | None = None,
    customer: str | None = None,
    as_owner: bool = False,
) -> Tracker:
    """A Tracker from fixtures/<name>.json, optionally with the latest message or slots replaced.
    ``customer``: the latest message carries a `jieli_identity` signed for that customer;
    ``as_owner``: for the customer who placed the order the tracker is about (entity, else slot)."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    events = copy.deepcopy(data["events"])
    last_user = next(e for e in reversed(events) if e.get("event") == "user")
    parse = last_user.setdefault("parse_data", {})
    if text is not None:
        last_user["text"] = text
        parse["text"] = text
    if intent is not None:
        parse["intent"] = {"name": intent, "confidence": 0.9}
        parse["intent_ranking"] = [{"name": intent, "confidence": 0.9}]
    if entities is not None:
        parse["entities"] = entities
    state = dict(data)
    state["events"] = events
    state["latest_message"] = parse if (text, intent, entities) != (None, None, None) else data["latest_message"]
    state["slots"] = {**data.get("slots", {}), **(slots or {})}
    if as_owner:
        order_id = next(
            (
                str(e.get("value"))
                for e in state["latest_message"].get("entities") or []
                if isinstance(e, dict) and e.get("entity") == "order_id"
            ),
            None,
        ) or str(state["slots"].get("order_id") or "")
        customer = demo_owners().get(order_id, "C1001")  # an unknown order: some logged-in customer
    if customer:
        latest = state["latest_message"] = copy.deepcopy(state["latest_message"])
        latest["metadata"] = {
            **(latest.get("metadata") or {}),
            "jieli_identity": identity_token(customer, state["sender_id"]),
        }
    return Tracker.from_dict(state)


def run_action(action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    """Run an action as the action server would; returns (events, messages)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def texts(messages: list[dict]) -> list[str | None]:
    return [m.get("text") or m.get("response") for m in messages]


def message(text: str | None = None, buttons: list[dict] | None = None, response: str | None = None) -> dict:
    """A message exactly as CollectingDispatcher stores it."""
    return {
        "text": text,
        "buttons": buttons or [],
        "elements": [],
        "custom": {},
        "template": response,
        "response": response,
        "image": None,
        "attachment": None,
    }


HUMAN = {"title": "转人工", "payload": "/request_human"}


def question(text: str, buttons: list[dict] | None = None) -> dict:
    """A question of the bot's own: marked `clarify` for the escalation signals."""
    return {**message(text=text, buttons=buttons), "clarify": True}


ASK_ORDER_ID = question("麻烦发一下您的订单号哦（在「我的订单 → 订单详情」里可以复制），我马上帮您查。")


# ---------------------------------------------------------------------------------------------
# a real HTTP server on 127.0.0.1, in a thread


class LocalServer:
    """Serves ``respond(method, path, headers, body) -> (status, payload[, delay_seconds])`` on
    127.0.0.1; payload is JSON-encoded unless it is bytes. Every request is recorded."""

    def __init__(self, respond):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        server_self = self
        self.requests: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                import time

                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(raw) if raw else None,
                }
                server_self.requests.append(record)
                status, payload, *rest = respond(self.command, self.path, record["headers"], record["body"])
                if rest and rest[0]:
                    time.sleep(rest[0])
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
