"""Demo mode only (registered by create_app only when JIELI_DEMO_MODE=true): the demo shop's
"模拟登录" — signs one of the seeded demo customers as a shop's backend would, so `make demo` shows
a verified customer next to an anonymous one. Outside demo mode the route does not exist (404)."""

from __future__ import annotations

from sanic import Blueprint, Request

from ..domain import identity
from ..domain.errors import NotFound
from .common import body, bridge, reply
from .customer import check_ip_rate

bp = Blueprint("demo_identity", url_prefix="/api/demo")
DEMO_TOKEN_SECONDS = 3600


@bp.on_request
async def per_ip_limit(request: Request):
    if request.method != "OPTIONS":
        await check_ip_rate(request)


@bp.route("/customers", methods=["GET"])
async def customers(request: Request):
    return reply({"customers": [{"customer_id": cid, **fields} for cid, fields in identity.DEMO_CUSTOMERS.items()]})


@bp.route("/identity", methods=["POST"])
async def sign(request: Request):
    """{"customer_id": "C1001"} → {"identity_token", "customer"}: a token valid for an hour."""
    data = body(request)
    customer_id = data.get("customer_id")
    fields = identity.DEMO_CUSTOMERS.get(customer_id) if isinstance(customer_id, str) else None
    if fields is None:
        raise NotFound(f"demo customers are {', '.join(identity.DEMO_CUSTOMERS)}", "unknown_demo_customer")
    token = identity.shop_token(
        bridge(request).settings.identity_secret, customer_id, lifetime=DEMO_TOKEN_SECONDS, **fields
    )
    return reply({"identity_token": token, "customer": {"customer_id": customer_id, **fields}})
