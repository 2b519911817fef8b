"""GET /api/lexicon/profanity: the profanity lexicon the bridge flags abusive customer messages
with, and the folding table of the one matcher (jieli_contract/profanity.py), for the agent
console's masking (static/console/protect.js), so there is one list (lexicon/profanity.yml). Public: it is a word list, not data, and the
console needs it before anyone logs in."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from ..domain import abuse
from .common import reply

bp = Blueprint("lexicon", url_prefix="/api/lexicon")


@bp.get("/profanity")
async def profanity(request: Request):
    data = abuse.lexicon().as_json()
    etag = f'"{data["etag"]}"'
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return HTTPResponse(status=304, headers=headers)
    return reply(data, headers=headers)
