"""CORS for the customer API (the widget runs on shop pages), security headers, and the
Origin check of every WebSocket handshake (WebSockets are not covered by CORS)."""

from __future__ import annotations

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from ..domain.errors import Forbidden
from ..edge import whole_number

CORS_PREFIXES = ("/api/conversations",)


def allowed_origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") in request.app.ctx.bridge.settings.allowed_origins:
        return origin
    return None


def check_ws_origin(request: Request) -> None:
    if allowed_origin(request) is None:
        raise Forbidden("this origin may not open a WebSocket to the bridge", "origin_not_allowed")


def install(app: Sanic) -> None:
    @app.on_request(priority=99)
    async def path_numbers(request: Request):
        """Ids in paths (`<ticket_id:int>` …) fit the store's BIGINT, or the request is a 400."""
        for name, value in (request.match_info or {}).items():
            if isinstance(value, int):
                whole_number(value, name)

    @app.on_request(priority=100)
    async def preflight(request: Request):
        if request.method == "OPTIONS" and request.path.startswith(CORS_PREFIXES):
            response = HTTPResponse(status=204)
            origin = allowed_origin(request)
            if origin:
                response.headers.update(
                    {
                        "Access-Control-Allow-Origin": origin,
                        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                        "Access-Control-Allow-Headers": "Authorization, Content-Type",
                        "Access-Control-Max-Age": "600",
                        "Vary": "Origin",
                    }
                )
            return response

    @app.on_response
    async def headers(request: Request, response: HTTPResponse):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cache-Control", "no-store")
        if request.path.startswith(CORS_PREFIXES):
            origin = allowed_origin(request)
            if origin:
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Vary"] = "Origin"
