"""POST /api/handovers — called by the action server (action_handover) with its own token."""

from __future__ import annotations

from sanic import Blueprint, Request

from ..domain import handover_schema
from ..domain.errors import Invalid, Unauthorized
from ..services.infra.security import same
from .common import bearer, body, bridge, reply

bp = Blueprint("handovers", url_prefix="/api/handovers")


@bp.post("")
async def create(request: Request):
    b = bridge(request)
    token = bearer(request)
    if not token:
        raise Unauthorized("missing action token (Authorization: Bearer <JIELI_ACTION_TOKEN>)")
    if not same(token, b.settings.action_token):
        raise Unauthorized("invalid action token", "invalid_token")
    data = body(request)
    conversation_id = data.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise Invalid("conversation_id is required", "missing_conversation_id")
    for field in ("reason", "summary"):
        if data.get(field) is not None and not isinstance(data.get(field), str):
            raise Invalid(f"{field} must be text", f"invalid_{field}")
    if data.get("context") is not None and not isinstance(data.get("context"), dict):
        raise Invalid("context must be a JSON object", "invalid_context")
    handover_schema.check(data)  # 422 invalid_handover: not the shape of jieli_contract's schema
    status, answer = await b.handovers.start(
        conversation_id,
        reason=data.get("reason") or "request_human",
        category=data.get("category"),
        priority=data.get("priority"),
        summary=data.get("summary"),
        context=data.get("context") or {},
        actor="action",
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return reply(answer, status=status)
