"""GET /api/contract: jieli_contract's labels for the browser pages (states, reason codes, signals,
frustration levels, categories, tiers), so the console, the dashboard and the review page show
one set of Chinese labels (static/console/contract.js). Public and cacheable: it is the contract,
not data, and the pages need it before anyone logs in."""

from __future__ import annotations

import hashlib

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

import jieli_contract as contract

from .common import dumps, reply

bp = Blueprint("contract", url_prefix="/api/contract")


@bp.get("")
async def public(request: Request):
    data = contract.as_public_json()
    etag = f'"{hashlib.sha256(dumps(data).encode()).hexdigest()[:16]}"'
    headers = {"Cache-Control": "public, max-age=300", "ETag": etag}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return HTTPResponse(status=304, headers=headers)
    return reply(data, headers=headers)
