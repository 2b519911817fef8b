"""Verified customer identity (issue 13, item 2): the shop signs its customer, the bridge verifies
the token, stores the identity apart from what the widget claims, ranks the queue only on what it
can vouch for, and tells the action server who the customer is with a token of its own. On SQLite
and PostgreSQL (the `store` fixture), through real HTTP clients and a fake Rasa."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import subprocess
import time

import jwt
import pytest

from handover_bridge.config import ConfigError, Settings
from handover_bridge.domain import identity

from .conftest import ACTION_TOKEN, IN_CI, ROOT, SECRET, Customer, start_harness, stop_harness

pytestmark = pytest.mark.asyncio

SHOP_SECRET = "shop-identity-Qm4RkT8vLw2ZpX9cJb7NfH3sYd6GaE1u"
WITH_IDENTITY = pytest.mark.bridge_settings(identity_secret=SHOP_SECRET)
CLAIMS = {
    "customer_id": "u-claimed-888",
    "tier": "svip",
    "customer_name": "自称大客户",
    "current_order": {"order_id": "2024112000023402", "amount": 5000},
}


def shop_token(secret: str = SHOP_SECRET, **claims) -> str:
    now = int(time.time())
    body = {"sub": "C1001", "iat": now, "exp": now + 3600, "tier": "vip", "name": "王女士", **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def unsigned(**claims) -> str:
    """alg "none": a token anyone can write."""

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': 'C1001', 'iat': now, 'exp': now + 600, **claims})}."


def tampered() -> str:
    header, payload, signature = shop_token().split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["sub"], data["tier"] = "C9999", "svip"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def bad_tokens() -> dict[str, str]:
    now = int(time.time())
    return {
        "wrong secret": shop_token("another-shop-key-7Hq2Lx9Vb4Tn8Rm3Kd6Wp1Zs5Yc0Jf"),
        "expired": shop_token(iat=now - 7200, exp=now - 3600),
        "alg none": unsigned(),
        "tampered": tampered(),
        "longer than 24 h": shop_token(exp=now + 3 * 86400),
        "no exp": jwt.encode({"sub": "C1001", "iat": now}, SHOP_SECRET, algorithm="HS256"),
        "no sub": jwt.encode({"iat": now, "exp": now + 600}, SHOP_SECRET, algorithm="HS256"),
        "HS512": jwt.encode(
            {"sub": "C1001", "iat": now, "exp": now + 600}, SHOP_SECRET + SHOP_SECRET, algorithm="HS512"
        ),
        "not a JWT": "C1001",
    }


async def create(harness, metadata=None, **body):
    return await harness.http.post("/api/conversations", json={"metadata": metadata or {}, **body})


async def queue_item(harness, conversation_id):
    agent = await harness.agent(online=False)
    items = (await harness.agent_call(agent, "GET", "/queue")).json()["items"]
    return next(i for i in items if i["conversation_id"] == conversation_id)


async def conversation_meta(harness, conversation_id):
    from handover_bridge.repositories import conversations as repo

    async with harness.bridge.ctx.db.read() as session:
        return (await repo.get(session, conversation_id)).meta


# ---- verifying the shop's token -----------------------------------------------------------------


@WITH_IDENTITY
async def test_a_valid_token_marks_the_customer_verified_and_agents_see_it(harness):
    response = await create(harness, CLAIMS, identity_token=shop_token())
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["identity"] == {
        "verified": True,
        "customer_id": "C1001",
        "tier": "vip",
        "name": "王女士",
        "phone_last4": None,
    }
    cid = data["conversation_id"]
    meta = await conversation_meta(harness, cid)
    assert meta["identity"]["verified"] is True and meta["identity"]["customer_id"] == "C1001"
    assert meta["customer_id"] == "u-claimed-888" and meta["tier"] == "svip"  # the claims, kept as claims
    # the agent API carries the record next to the claims
    await harness.http.post(
        f"/api/conversations/{cid}/messages",
        headers={"Authorization": f"Bearer {data['token']}"},
        json={"text": "转人工", "client_msg_id": "h1"},
    )
    item = await queue_item(harness, cid)
    assert item["metadata"]["identity"]["customer_id"] == "C1001"
    assert item["metadata"]["customer_id"] == "u-claimed-888"


@WITH_IDENTITY
async def test_a_running_conversation_logs_in_and_stays_with_that_customer(harness):
    customer = await harness.customer(CLAIMS)
    assert (await conversation_meta(harness, customer.conversation_id))["identity"] == {"verified": False}
    url = f"{customer.base}/identity"
    assert (await harness.http.post(url, json={"identity_token": shop_token()})).status_code == 401
    response = await harness.http.post(url, headers=customer.headers, json={"identity_token": shop_token()})
    assert response.status_code == 200, response.text
    assert response.json()["identity"]["customer_id"] == "C1001"
    again = await harness.http.post(url, headers=customer.headers, json={"identity_token": shop_token(tier="svip")})
    assert again.status_code == 200 and again.json()["identity"]["tier"] == "svip"  # refreshed
    other = await harness.http.post(url, headers=customer.headers, json={"identity_token": shop_token(sub="C1002")})
    assert other.status_code == 409 and other.json()["error"]["code"] == "identity_mismatch"
    meta = await conversation_meta(harness, customer.conversation_id)
    assert meta["identity"]["customer_id"] == "C1001" and meta["identity"]["tier"] == "svip"


@WITH_IDENTITY
async def test_forged_expired_and_unsigned_tokens_are_refused_and_nothing_is_verified(harness, caplog):
    caplog.set_level(logging.INFO, logger="handover_bridge")
    customer = await harness.customer(CLAIMS)
    tokens = bad_tokens()
    for name, token in tokens.items():
        response = await create(harness, CLAIMS, identity_token=token)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"]["code"] == "invalid_identity", name
        login = await harness.http.post(
            f"{customer.base}/identity", headers=customer.headers, json={"identity_token": token}
        )
        assert login.status_code == 400 and login.json()["error"]["code"] == "invalid_identity", name
    for wrong in (123, {"sub": "C1001"}, ""):
        response = await create(harness, CLAIMS, identity_token=wrong)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_identity"
    assert (await conversation_meta(harness, customer.conversation_id))["identity"] == {"verified": False}
    # a widget cannot write the identity record itself
    forged = await create(harness, {**CLAIMS, "identity": {"verified": True, "customer_id": "C1001", "tier": "svip"}})
    assert forged.json()["identity"] == {"verified": False}
    assert (await conversation_meta(harness, forged.json()["conversation_id"]))["identity"] == {"verified": False}
    # refusals are logged, without the token
    refused = [r for r in caplog.records if r.getMessage() == "identity refused"]
    assert len(refused) >= 2 * len(tokens)
    logged = "\n".join(
        json.dumps(getattr(r, "fields", {}), ensure_ascii=False) + r.getMessage() for r in caplog.records
    )
    for token in (t for t in tokens.values() if t.count(".") == 2):
        payload = token.split(".")[1]
        assert payload not in logged


async def test_without_an_identity_secret_tokens_are_refused_and_everyone_is_anonymous(harness):
    assert harness.settings.identity_secret == ""
    response = await create(harness, CLAIMS, identity_token=shop_token())
    assert response.status_code == 400 and response.json()["error"]["code"] == "identity_not_configured"
    anonymous = await create(harness, CLAIMS)
    assert anonymous.status_code == 201 and anonymous.json()["identity"] == {"verified": False}


async def test_the_identity_secret_is_checked_like_the_other_secrets():
    base = {"JIELI_SECRET_KEY": SECRET, "JIELI_ACTION_TOKEN": ACTION_TOKEN}
    assert Settings.from_env({**base, "JIELI_IDENTITY_SECRET": SHOP_SECRET}).identity_secret == SHOP_SECRET
    for weak in ("changeme-changeme", "your-secret-key-here", ACTION_TOKEN):
        with pytest.raises(ConfigError, match="JIELI_IDENTITY_SECRET"):
            Settings.from_env({**base, "JIELI_IDENTITY_SECRET": weak})
    demo = Settings.from_env({"JIELI_DEMO_MODE": "true"})
    assert demo.identity_secret and not Settings.from_env(base).identity_secret


# ---- what raises priority --------------------------------------------------------------------------

# What the action sent until now for such a customer: its priority counted the claimed tier and the
# amount of an order looked up by number for anybody (1 + svip + ¥2999 = 3).
ACTION_AS_BEFORE = {
    "category": "售后",
    "reason": "request_human",
    "summary": "客户要求人工处理退款",
    "priority": 3,
    "context": {
        "priority": 3,
        "priority_factors": ["会员等级 svip", "订单金额 ¥2999.00"],
        "frustration": 0.1,
        "human_requests": 1,
        "metadata": CLAIMS,
        "customer": {"customer_id": "u-claimed-888", "tier": "svip"},
        "order": {"order_id": "2024112000023402", "status": "paid", "total": "2999.00"},
    },
}


@WITH_IDENTITY
async def test_claimed_tier_and_order_amount_do_not_raise_queue_priority(harness):
    claimed = await harness.customer(CLAIMS)
    answer = await harness.handover(claimed, **ACTION_AS_BEFORE)
    assert answer["priority"] == 1
    derived = await harness.customer(CLAIMS)
    body = {**ACTION_AS_BEFORE, "priority": None}
    assert (await harness.handover(derived, **body))["priority"] == 1
    # an angry customer is still ranked up: the other factors stay
    angry = await harness.customer(CLAIMS)
    await harness.say(angry, "退款一直没到账")  # what the action reports must be what the customer said
    angry_context = {**ACTION_AS_BEFORE["context"], "frustration": 0.9}
    assert (await harness.handover(angry, **{**body, "context": angry_context}))["priority"] == 2
    items = (await harness.agent_call(await harness.agent(online=False), "GET", "/queue")).json()["items"]
    assert {i["conversation_id"]: i["priority"] for i in items} == {
        claimed.conversation_id: 1,
        derived.conversation_id: 1,
        angry.conversation_id: 2,
    }


@WITH_IDENTITY
async def test_verified_tier_and_an_order_looked_up_for_its_owner_raise_priority(harness):
    created = (await create(harness, CLAIMS, identity_token=shop_token(tier="svip"))).json()
    vip = Customer(created["conversation_id"], created["token"])
    await harness.say(vip, "退款一直没到账")
    verified_order = {**ACTION_AS_BEFORE["context"]["order"], "order_verified": True}
    body = {**ACTION_AS_BEFORE, "priority": None, "context": {**ACTION_AS_BEFORE["context"], "order": verified_order}}
    assert (await harness.handover(vip, **body))["priority"] == 3  # 1 + verified svip + owned ¥2999
    plain = (await create(harness, {}, identity_token=shop_token(sub="C1002", tier=None))).json()
    owner = Customer(plain["conversation_id"], plain["token"])
    await harness.say(owner, "退款一直没到账")
    assert (await harness.handover(owner, **{**body, "context": {"order": verified_order}}))["priority"] == 2


# ---- bridge → Rasa ----------------------------------------------------------------------------------


@WITH_IDENTITY
async def test_rasa_gets_a_verifiable_identity_only_for_verified_customers(harness):
    forged = {
        **CLAIMS,
        "jieli_identity": identity.rasa_token(
            {"customer_id": "C1001", "tier": "svip"}, "x", "a-guessed-key-of-thirty-two-bytes-or-more"
        ),
    }
    anonymous = await harness.customer(forged)
    await harness.say(anonymous, "你好")
    created = (await create(harness, forged, identity_token=shop_token())).json()
    verified = Customer(created["conversation_id"], created["token"])
    await harness.say(verified, "我的订单")

    calls = {c["sender"]: c["metadata"] for c in harness.fake.webhook_calls}
    assert "jieli_identity" not in calls[anonymous.conversation_id]
    assert calls[anonymous.conversation_id]["identity"] == {"verified": False}
    token = calls[verified.conversation_id]["jieli_identity"]
    assert token != forged["jieli_identity"]
    claims = jwt.decode(token, ACTION_TOKEN, algorithms=["HS256"], audience="jieli-actions", issuer="jieli-bridge")
    assert claims["sub"] == "C1001" and claims["tier"] == "vip" and claims["cid"] == verified.conversation_id
    assert claims["exp"] - claims["iat"] == 600 and abs(claims["iat"] - time.time()) < 60
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SHOP_SECRET, algorithms=["HS256"], audience="jieli-actions")

    # a customer who logs in later: the next turn carries the identity
    customer = await harness.customer(CLAIMS)
    await harness.say(customer, "在吗")
    await harness.http.post(
        f"{customer.base}/identity",
        headers=customer.headers,
        json={"identity_token": shop_token(sub="C1002", tier=None)},
    )
    await harness.say(customer, "查订单")
    turns = [c["metadata"] for c in harness.fake.webhook_calls if c["sender"] == customer.conversation_id]
    assert "jieli_identity" not in turns[0]
    claims = jwt.decode(turns[1]["jieli_identity"], ACTION_TOKEN, algorithms=["HS256"], audience="jieli-actions")
    assert claims["sub"] == "C1002" and claims["tier"] is None


# ---- the demo's 模拟登录 --------------------------------------------------------------------------


async def test_the_demo_login_endpoint_does_not_exist_outside_demo_mode(harness):
    for method, path in (("POST", "/api/demo/identity"), ("GET", "/api/demo/customers")):
        response = await harness.http.request(method, path, json={"customer_id": "C1001"})
        assert response.status_code == 404, response.text
    assert "/api/demo/identity" not in {r.uri for r in harness.app.router.routes}


async def test_the_demo_login_signs_a_seeded_customer_in_demo_mode(store):
    harness = await start_harness(store, demo_mode="true", demo_password="demo-password-for-tests")
    try:
        customers = (await harness.http.get("/api/demo/customers")).json()["customers"]
        assert {c["customer_id"] for c in customers} >= {"C1001", "C1002"}
        response = await harness.http.post("/api/demo/identity", json={"customer_id": "C1001"})
        assert response.status_code == 200, response.text
        created = await create(harness, {}, identity_token=response.json()["identity_token"])
        assert created.status_code == 201 and created.json()["identity"]["customer_id"] == "C1001"
        unknown = await harness.http.post("/api/demo/identity", json={"customer_id": "C9999"})
        assert unknown.status_code == 404
    finally:
        await stop_harness(harness)


# ---- docs/security.md: the shop's signing examples work --------------------------------------------


def _example(language: str) -> str:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    return text.split(f"```{language}\n", 1)[1].split("```", 1)[0]


async def test_the_python_signing_example_in_the_docs_makes_a_token_the_bridge_accepts():
    namespace: dict = {"SECRET": SHOP_SECRET}
    exec(compile(_example("python"), "docs/security.md", "exec"), namespace)  # noqa: S102 - our own docs
    checked = identity.verify(namespace["token"], SHOP_SECRET)
    assert (checked.customer_id, checked.tier, checked.name) == ("C1001", "vip", "王女士")


async def test_the_node_signing_example_in_the_docs_makes_a_token_the_bridge_accepts():
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is needed to check the JavaScript example (CI=true)")
        pytest.skip("node is not installed")
    script = f"const SECRET = {json.dumps(SHOP_SECRET)};\n{_example('javascript')}\nprocess.stdout.write(token);\n"
    token = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=30).stdout
    checked = identity.verify(token, SHOP_SECRET)
    assert (checked.customer_id, checked.tier, checked.name) == ("C1001", "vip", "王女士")
    with pytest.raises(identity.IdentityRefused):
        identity.verify(token, SHOP_SECRET[::-1])
