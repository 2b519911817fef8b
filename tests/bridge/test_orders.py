"""The order panel (services/queue/orders.py → the action server's staff routes → the SQL shop
adapter): a real `python -m actions.server` in .venv-rasa on a seeded demo shop, the bridge on
SQLite and PostgreSQL. A verified customer's order shows in full; an unverified one shows nothing
but 未验证; an agent's cancellation needs their confirmation, is audited and noted in the chat."""

from __future__ import annotations

import copy
import json
import time

import httpx
import jwt
import pytest
import pytest_asyncio
from sqlalchemy import select

from handover_bridge.models import OrderAction

from .action_server import RASA_PY, ActionServer
from .conftest import ACTION_TOKEN, IN_CI, ROOT, Customer, free_port, start_harness, stop_harness

pytestmark = pytest.mark.asyncio

SHOP_SECRET = "shop-identity-Qm4RkT8vLw2ZpX9cJb7NfH3sYd6GaE1u"
NEWS_ORDER = "2024111500034503"  # C1001's, paid: medicine, refund rejected
C1001_UNPAID = "2024112000012301"  # C1001's, pending payment: cancellable
C1002_ORDER = "2024112000023402"  # C1002's
GOLDEN = json.loads((ROOT / "tests/fixtures/handover/request_human_upset.json").read_text())["body"]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    if not RASA_PY.exists():
        if IN_CI:
            pytest.fail(".venv-rasa is missing (make setup)")
        pytest.skip(".venv-rasa is missing (make setup)")
    server = ActionServer(tmp_path_factory.mktemp("actions"), ACTION_TOKEN)
    server.start()
    yield server
    server.stop()


def identity_token(customer_id: str = "C1001") -> str:
    now = int(time.time())
    return jwt.encode(
        {"sub": customer_id, "iat": now, "exp": now + 3600, "tier": "vip"}, SHOP_SECRET, algorithm="HS256"
    )


async def chat(h, agent, *, signed: str | None, order_ids: list[str], verified: str | None = None):
    """A conversation (signed in as `signed`, or anonymous) handed over naming `order_ids`; the
    action verified `verified` for its owner in the chat. The agent accepts it."""
    body = {"metadata": {}, **({"identity_token": identity_token(signed)} if signed else {})}
    response = await h.http.post("/api/conversations", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    customer = Customer(data["conversation_id"], data["token"])
    await h.say(customer, "我要查订单")
    handover = copy.deepcopy(GOLDEN)
    context = handover["context"]
    context["order_id"], context["order_ids"] = order_ids[0], order_ids
    context["order"] = {"order_id": verified or order_ids[0], "order_verified": verified is not None}
    handover.pop("conversation_id", None)
    await h.handover(customer, **handover)
    await h.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/accept")
    return customer


@pytest_asyncio.fixture
async def h(store, action_server):
    """The bridge on `store`, asking the real action server for orders (on a fresh demo shop)."""
    action_server.seed()
    harness = await start_harness(
        store, action_server_url=action_server.url, auto_assign=False, identity_secret=SHOP_SECRET
    )
    try:
        yield harness
    finally:
        await stop_harness(harness)


async def panel_of(h, agent, customer) -> list[dict]:
    data = (await h.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}/orders")).json()
    assert data["shop_available"] is True
    return data["orders"]


async def audit(h, conversation_id: str) -> list[tuple[str, int, str, str]]:
    async with h.bridge.ctx.db.read() as session:
        rows = await session.scalars(
            select(OrderAction).where(OrderAction.conversation_id == conversation_id).order_by(OrderAction.id)
        )
        return [(r.order_id, r.agent_id, r.action, r.result) for r in rows]


async def test_a_signed_customer_sees_their_order_and_not_another(h):
    agent = await h.agent("agent-o1")
    customer = await chat(h, agent, signed="C1001", order_ids=[NEWS_ORDER, C1002_ORDER])
    mine, theirs = await panel_of(h, agent, customer)
    assert (mine["order_id"], mine["verified"], mine["via"]) == (NEWS_ORDER, True, "identity")
    order = mine["order"]
    assert order["total"] == "78.30" and order["status"] == "paid" and order["status_text"]
    assert [i["name"] for i in order["items"]] == ["感冒灵颗粒", "维生素C泡腾片"]
    assert order["refund"]["status"] == "rejected" and order["actions"] == ["cancel"]
    assert order["logistics"] == {"carrier": None, "tracking_no": None, "latest": None}
    assert theirs == {"order_id": C1002_ORDER, "verified": False, "via": None, "order": None}


async def test_an_unverified_customer_gets_nothing_but_the_number(h):
    agent = await h.agent("agent-o2")
    customer = await chat(h, agent, signed=None, order_ids=[NEWS_ORDER])
    assert await panel_of(h, agent, customer) == [
        {"order_id": NEWS_ORDER, "verified": False, "via": None, "order": None}
    ]
    # and no action on it
    path = f"/conversations/{customer.conversation_id}/orders/{NEWS_ORDER}/cancel"
    response = await h.agent_call(agent, "POST", path, json={"confirm": True}, expect=409)
    assert response.json()["error"]["code"] == "order_not_verified"
    assert await audit(h, customer.conversation_id) == []


async def test_an_order_the_action_verified_in_the_chat_shows(h):
    agent = await h.agent("agent-o3")
    customer = await chat(h, agent, signed=None, order_ids=[C1002_ORDER, NEWS_ORDER], verified=C1002_ORDER)
    verified, other = await panel_of(h, agent, customer)
    assert (verified["verified"], verified["via"], verified["order"]["order_id"]) == (True, "chat", C1002_ORDER)
    assert other["order"] is None and other["verified"] is False


async def test_cancelling_needs_confirmation_is_audited_and_noted_in_the_chat(h):
    agent = await h.agent("agent-o4")
    other = await h.agent("agent-o5")
    customer = await chat(h, agent, signed="C1001", order_ids=[C1001_UNPAID])
    path = f"/conversations/{customer.conversation_id}/orders/{C1001_UNPAID}/cancel"
    await h.agent_call(agent, "POST", path, json={}, expect=400)
    await h.agent_call(agent, "POST", path, json={"confirm": "yes"}, expect=400)
    await h.agent_call(other, "POST", path, json={"confirm": True}, expect=403)
    await h.agent_call(
        agent,
        "POST",
        f"/conversations/{customer.conversation_id}/orders/12ab/cancel",
        json={"confirm": True},
        expect=400,
    )
    assert await audit(h, customer.conversation_id) == []

    done = (await h.agent_call(agent, "POST", path, json={"confirm": True})).json()
    assert done["ok"] is True and done["order"]["status"] == "cancelled"
    note = (await h.history(customer))["messages"][-1]
    assert (note["sender"], note["seq"]) == ("system", done["note_seq"])
    assert note["text"] == f"已为您取消订单 {C1001_UNPAID}，如已付款，款项会按原路退回。"
    again = (await h.agent_call(agent, "POST", path, json={"confirm": True})).json()
    assert (again["ok"], again["reason"]) == (False, "already_cancelled")
    assert "暂时无法取消（订单已取消）" in (await h.history(customer))["messages"][-1]["text"]
    assert await audit(h, customer.conversation_id) == [
        (C1001_UNPAID, agent.id, "cancel", "ok"),
        (C1001_UNPAID, agent.id, "cancel", "already_cancelled"),
    ]
    [shown] = await panel_of(h, agent, customer)
    assert shown["order"]["status"] == "cancelled" and shown["order"]["actions"] == []


async def test_the_staff_routes_open_only_with_the_action_token(action_server):
    url = f"{action_server.url}/staff/orders"
    body = {"order_ids": [NEWS_ORDER], "customer_id": "C1001"}
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.post(url, json=body)).status_code == 401
        webhook = {"Authorization": f"Bearer {action_server.webhook_token}"}
        assert (await client.post(url, json=body, headers=webhook)).status_code == 401
        assert (await client.post(url, json=body, params={"token": action_server.webhook_token})).status_code == 401
        ok = await client.post(url, json=body, headers={"Authorization": f"Bearer {ACTION_TOKEN}"})
        assert ok.status_code == 200 and ok.json()["orders"][0]["found"] is True
        bad = await client.post(url, json={"order_ids": "x"}, headers={"Authorization": f"Bearer {ACTION_TOKEN}"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
        # and the action token does not open Rasa's webhook
        hook = await client.post(
            f"{action_server.url}/webhook", json={}, headers={"Authorization": f"Bearer {ACTION_TOKEN}"}
        )
        assert hook.status_code == 401


async def test_the_shop_down_keeps_the_numbers_and_says_so(store, action_server):
    harness = await start_harness(
        store, action_server_url=f"http://127.0.0.1:{free_port()}", auto_assign=False, identity_secret=SHOP_SECRET
    )
    try:
        agent = await harness.agent("agent-o6")
        customer = await chat(harness, agent, signed="C1001", order_ids=[NEWS_ORDER])
        panel = (await harness.agent_call(agent, "GET", f"/conversations/{customer.conversation_id}/orders")).json()
        assert panel == {
            "orders": [{"order_id": NEWS_ORDER, "verified": False, "via": None, "order": None, "unavailable": True}],
            "shop_available": False,
        }
        path = f"/conversations/{customer.conversation_id}/orders/{NEWS_ORDER}/cancel"
        response = await harness.agent_call(agent, "POST", path, json={"confirm": True}, expect=503)
        assert response.json()["error"]["code"] == "shop_unavailable"
        assert await audit(harness, customer.conversation_id) == [(NEWS_ORDER, agent.id, "cancel", "shop_unavailable")]
    finally:
        await stop_harness(harness)
