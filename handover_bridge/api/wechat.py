"""企业微信 微信客服's callback URL (registered when JIELI_WECHAT_CORP_ID is set; docs/channels.md):
GET verifies the URL (the decrypted echostr, as plain text), POST takes an encrypted event and
answers "success". A forged, replayed, too old or malformed callback gets a 4xx JSON error."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import raw, text

from .common import bearer, bridge

bp = Blueprint("wechat")
PATH = "/channels/wechat/callback"


def _args(request: Request) -> tuple[str, str, str]:
    return (
        request.args.get("msg_signature", ""),
        request.args.get("timestamp", ""),
        request.args.get("nonce", ""),
    )


@bp.get(PATH)
async def verify(request: Request):
    echo = bridge(request).wechat.verify_url(*_args(request), request.args.get("echostr", ""))
    return text(echo)


@bp.post(PATH)
async def callback(request: Request):
    await bridge(request).wechat.callback(*_args(request), request.body or b"")
    return text("success")


# The picture a WeChat customer sent, for an agent who may read the conversation (the console shows
# it as a thumbnail from a blob: URL; never HTML). Only images; `nosniff` and a sandbox CSP.
agent_bp = Blueprint("wechat_agent", url_prefix="/api/agent")


@agent_bp.on_request
async def authenticate(request: Request):
    request.ctx.agent = await bridge(request).agents.authenticate(bearer(request))


@agent_bp.get("/conversations/<conversation_id>/media/<seq:int>")
async def media(request: Request, conversation_id: str, seq: int):
    b = bridge(request)
    await b.chats.check_readable(request.ctx.agent, conversation_id)
    kind, content = await b.wechat.media(conversation_id, seq)
    return raw(
        content,
        content_type=kind,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
