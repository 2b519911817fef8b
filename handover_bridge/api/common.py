"""Small helpers shared by the blueprints."""

from __future__ import annotations

import json
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from ..domain.errors import Forbidden, Invalid
from ..edge import MAX_INT32, load_json, whole_number
from ..services.infra.frames import message_dict
from ..services.queue.agents import has_role
from ..services.wiring.container import Bridge


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """JSON, always: stored text goes back as a JSON string, never as HTML."""
    return HTTPResponse(dumps(data), status=status, headers=headers, content_type="application/json")


def bridge(request: Request) -> Bridge:
    return request.app.ctx.bridge


def require_role(request: Request, role: str) -> None:
    """403 unless the logged-in agent (request.ctx.agent) has `role` (designer, lead)."""
    if not has_role(request.ctx.agent, role):
        raise Forbidden(f"this page needs the {role} role", f"needs_{role}")


def body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The JSON object in the request body; 400 with a clear message otherwise."""
    raw = request.body
    if not raw:
        if required:
            raise Invalid("request body must be a JSON object", "invalid_json")
        return {}
    data = load_json(raw)  # the edge: depth, number ranges, surrogates and control characters
    if not isinstance(data, dict):
        raise Invalid("request body must be a JSON object", "invalid_json")
    return data


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def client_ip(request: Request) -> str:
    return request.remote_addr or request.ip or "unknown"


def after_param(request: Request) -> int:
    """?after=SEQ: a whole number from 0 to 2^63-1 (400 otherwise); beyond any seq the store can
    hold it means "nothing newer" and is read as the largest one."""
    return min(whole_number(request.args.get("after", "0"), "after"), MAX_INT32)


def messages_out(messages) -> list[dict[str, Any]]:
    return [message_dict(m) for m in messages]
