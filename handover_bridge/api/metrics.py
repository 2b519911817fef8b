"""GET /metrics: Prometheus text format, this process's metrics."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import raw

from .common import bridge

bp = Blueprint("metrics")


@bp.get("/metrics")
async def metrics(request: Request):
    b = bridge(request)
    await b.queue.refresh_gauges()
    m = b.metrics
    return raw(m.render(), content_type=m.content_type)
