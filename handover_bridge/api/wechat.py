"""企业微信 微信客服's callback URL (registered when JIELI_WECHAT_CORP_ID is set; docs/channels.md):
GET verifies the URL (the decrypted echostr, as plain text), POST takes an encrypted event and
answers "success". A forged, replayed, too old or malformed callback gets a 4xx JSON error."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import text

from .common import bridge

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
