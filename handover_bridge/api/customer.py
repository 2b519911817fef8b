"""The customer (widget) HTTP API: /api/conversations…"""

from __future__ import annotations

from sanic import Blueprint, Request

from ..domain.errors import RateLimited
from ..domain.states import State
from .common import after_param, bearer, body, bridge, client_ip, messages_out, reply

bp = Blueprint("customer", url_prefix="/api/conversations")
GET, POST = ["GET", "OPTIONS"], ["POST", "OPTIONS"]  # OPTIONS: CORS preflight (middleware)


async def check_ip_rate(request: Request) -> None:
    b = bridge(request)
    s = b.settings
    wait = await b.ctx.limiter.hit(f"ip:{client_ip(request)}", s.rate_ip_per_min, s.rate_ip_burst)
    if wait:
        b.metrics.rate_limited.labels("ip").inc()
        raise RateLimited("请求太频繁了,请稍后再试。", retry_after=wait)


@bp.on_request
async def per_ip_limit(request: Request):
    if request.method != "OPTIONS":
        await check_ip_rate(request)


async def _open(request: Request, conversation_id: str):
    """The customer's token must open this very conversation (else 404; no token: 401)."""
    b = bridge(request)
    await b.conversations.authenticate(conversation_id, bearer(request))
    return b


@bp.route("", methods=POST)
async def create(request: Request):
    data = body(request, required=False)
    conversation_id, token, identity = await bridge(request).conversations.create(
        data.get("metadata"), data.get("identity_token")
    )
    return reply(
        {"conversation_id": conversation_id, "token": token, "state": State.BOT, "identity": identity}, status=201
    )


@bp.route("/<conversation_id>/identity", methods=POST)
async def log_in(request: Request, conversation_id: str):
    """The shop's signed identity token for a running conversation (the customer logged in)."""
    b = await _open(request, conversation_id)
    data = body(request)
    return reply({"identity": await b.conversations.log_in(conversation_id, data.get("identity_token"))})


@bp.route("/<conversation_id>", methods=GET)
async def view(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    return reply(await b.conversations.view(conversation_id))


@bp.route("/<conversation_id>/messages", methods=POST)
async def send(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    data = body(request)
    b.conversations.validate_text(data.get("text"))  # 413/400 before spending a rate token
    await b.conversations.check_rate(conversation_id)
    state, messages = await b.conversations.send(
        conversation_id, data.get("text"), data.get("client_msg_id"), data.get("payload")
    )
    return reply({"state": state, "messages": messages_out(messages)})


@bp.route("/<conversation_id>/messages", methods=["GET"])  # OPTIONS: on the POST route
async def history(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    state, messages = await b.conversations.history(conversation_id, after_param(request))
    return reply({"state": state, "messages": messages_out(messages)})


@bp.route("/<conversation_id>/typing", methods=POST)
async def typing(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    await b.conversations.typing(conversation_id)
    return reply({"ok": True})


@bp.route("/<conversation_id>/cancel-wait", methods=POST)
async def cancel_wait(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    state, messages = await b.conversations.cancel_wait(conversation_id)
    return reply({"state": state, "messages": messages_out(messages)})


@bp.route("/<conversation_id>/ticket", methods=POST)
async def ticket(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    data = body(request)
    created = await b.tickets.leave(conversation_id, data.get("message"), data.get("contact"))
    return reply({"ticket": created, "state": State.TICKET}, status=201)


@bp.route("/<conversation_id>/rating", methods=POST)
async def rating(request: Request, conversation_id: str):
    b = await _open(request, conversation_id)
    data = body(request)
    thanks = await b.conversations.rate(conversation_id, data.get("score"))
    return reply({"ok": True, "messages": messages_out([thanks])})
