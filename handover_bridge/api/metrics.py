"""GET /metrics: Prometheus text format, this process's metrics, and gauges read from the store
(queue, agents online, and the last 24 hours' analytics)."""
from __future__ import annotations

import logging

from sanic import Blueprint, Request
from sanic.response import raw

from .common import bridge

bp = Blueprint("metrics")
log = logging.getLogger("handover_bridge.metrics")


@bp.get("/metrics")
async def metrics(request: Request):
    b = bridge(request)
    await b.queue.refresh_gauges()
    m = b.metrics
    try:
        m.set_rolling(await b.analytics.rolling(24))
    except Exception:   # the counters still matter when an analytics query fails
        log.exception("could not compute the 24-hour analytics gauges")
    return raw(m.render(), content_type=m.content_type)
