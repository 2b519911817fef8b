"""Learning from agents: `/api/agent/review/…` (agent token).

    GET  /api/agent/review/intents                     any agent: the intents the close dialog offers
    GET  /api/agent/review/candidates?status=pending   designer: the review queue (pending, accepted,
                                                       rejected, exported, a comma list or all)
    GET  /api/agent/review/candidates/{id}             designer
    POST /api/agent/review/candidates/{id}/accept      designer: {intent?, examples?, answer?, reusable?, note?}
    POST /api/agent/review/candidates/{id}/reject      designer: {note?}
    POST /api/agent/review/export                      designer: {dry_run?} → what was written

401 without a valid token, 403 `needs_designer` without the designer role, 400 for bad input.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from ..domain.errors import Invalid
from .common import bearer, body, bridge, reply, require_role

bp = Blueprint("review", url_prefix="/api/agent/review")
NO_STORE = {"Cache-Control": "no-store"}


@bp.on_request
async def authenticate(request: Request):
    request.ctx.agent = await bridge(request).agents.authenticate(bearer(request))
    if not request.path.endswith("/intents"):
        require_role(request, "designer")


def _number(request: Request, name: str, default: int, maximum: int) -> int:
    value = request.args.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", f"invalid_{name}") from None
    if number < 0 or number > maximum:
        raise Invalid(f"{name} must be between 0 and {maximum}", f"invalid_{name}")
    return number


@bp.get("/intents")
async def intents(request: Request):
    return reply({"items": bridge(request).review.intents()}, headers=NO_STORE)


@bp.get("/candidates")
async def candidates(request: Request):
    data = await bridge(request).review.listing(
        request.args.get("status", "pending"),
        limit=_number(request, "limit", 50, 200) or 50,
        offset=_number(request, "offset", 0, 10**6),
    )
    return reply(data, headers=NO_STORE)


@bp.get("/candidates/<candidate_id:int>")
async def candidate(request: Request, candidate_id: int):
    return reply({"candidate": await bridge(request).review.get(candidate_id)}, headers=NO_STORE)


@bp.post("/candidates/<candidate_id:int>/accept")
async def accept(request: Request, candidate_id: int):
    edits = body(request, required=False)
    allowed = {"intent", "examples", "answer", "reusable", "note"}
    unknown = sorted(set(edits) - allowed)
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(unknown)}", "invalid_candidate")
    return reply({"candidate": await bridge(request).review.accept(request.ctx.agent, candidate_id, edits)})


@bp.post("/candidates/<candidate_id:int>/reject")
async def reject(request: Request, candidate_id: int):
    data = body(request, required=False)
    return reply({"candidate": await bridge(request).review.reject(request.ctx.agent, candidate_id, data.get("note"))})


@bp.post("/export")
async def export(request: Request):
    data = body(request, required=False)
    dry_run = data.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise Invalid("dry_run must be true or false", "invalid_export")
    return reply(await bridge(request).review.export(dry_run=dry_run))
