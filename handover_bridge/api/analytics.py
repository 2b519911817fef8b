"""The support lead's dashboard API: `GET /api/agent/analytics` (agent token, role `lead`).

    ?from=YYYY-MM-DD&to=YYYY-MM-DD   local days in the shop's time zone, both included
    ?days=N                          the last N days, today included (default 7)
    &tz=Asia/Shanghai                another IANA time zone for the days (default JIELI_TIMEZONE)

400 for a bad date, from after to, a period longer than 366 days, or an unknown time zone;
401 without a valid token; 403 without the lead role. Figures: docs/analytics.md.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from .common import bearer, bridge, reply, require_role

bp = Blueprint("analytics", url_prefix="/api/agent/analytics")


@bp.on_request
async def authenticate(request: Request):
    request.ctx.agent = await bridge(request).agents.authenticate(bearer(request))
    require_role(request, "lead")


@bp.get("")
async def summary(request: Request):
    args = request.args
    service = bridge(request).analytics
    period = service.period(args.get("from"), args.get("to"), args.get("days"), args.get("tz"))
    return reply(await service.summary(period), headers={"Cache-Control": "no-store"})
