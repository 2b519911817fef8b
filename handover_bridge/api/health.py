"""GET /healthz: the store, Rasa and the action server (503 only when the store is down)."""

from __future__ import annotations

from sanic import Blueprint, Request

from ..services.infra import health
from .common import bridge, reply

bp = Blueprint("health")


@bp.get("/healthz")
async def healthz(request: Request):
    store_up, data = await health.check(bridge(request).ctx)
    return reply(data, status=200 if store_up else 503)
