"""GET /metrics: Prometheus text format, this process's metrics, and gauges read from the store
(queue, agents online, and the last 24 hours' analytics). Private: a bearer token
(JIELI_METRICS_TOKEN) or an allowed address (JIELI_METRICS_ALLOW, default loopback only when no
token is set); 401/403 JSON otherwise, before any work. The store is read at most every
JIELI_METRICS_CACHE_SECONDS (services/infra/metrics.py)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import raw

from .common import bearer, bridge, client_ip

bp = Blueprint("metrics")


@bp.get("/metrics")
async def metrics(request: Request):
    b = bridge(request)
    b.metrics_access.check(bearer(request), client_ip(request))
    return raw(await b.metrics_reader.render(), content_type=b.metrics.content_type)
