"""GET /api/contract: jieli_contract's labels for the browser pages (states, reason codes, signals,
frustration levels, categories, tiers), so the console, the dashboard and the review page show
one set of Chinese labels (static/console/contract.js). Public and cacheable: it is the contract,
not data, and the pages need it before anyone logs in."""

from __future__ import annotations

import functools
import hashlib

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

import jieli_contract as contract

from .common import dumps

bp = Blueprint("contract", url_prefix="/api/contract")


@functools.lru_cache(maxsize=1)
def published() -> tuple[str, str]:
    """The served body and its ETag: the contract does not change while the process runs, so both
    are made once, on the first request."""
    body = dumps(contract.as_public_json())
    return body, f'"{hashlib.sha256(body.encode()).hexdigest()[:16]}"'


@bp.get("")
async def public(request: Request):
    body, etag = published()
    headers = {"Cache-Control": "public, max-age=300", "ETag": etag}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return HTTPResponse(status=304, headers=headers)
    return HTTPResponse(body, headers=headers, content_type="application/json")
