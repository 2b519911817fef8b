"""Suggested replies and the one-click wrap-up for the chat an agent has (agent token).

    GET  /api/agent/conversations/{id}/suggestions        → {"items": [{"id", "text", "source",
                                                            "source_label", "title", "topic", "score"}]}
    POST /api/agent/conversations/{id}/suggestions/usage  {suggestion_id, how, sent_text} → {"id", "how"}
    GET  /api/agent/conversations/{id}/wrapup             → {"intent", "intent_label", "resolution", "basis"}

404 for an unknown conversation, 403 `not_your_conversation` unless it is assigned to this agent.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from .common import bearer, body, bridge, reply

bp = Blueprint("assist", url_prefix="/api/agent/conversations")
NO_STORE = {"Cache-Control": "no-store"}


@bp.on_request
async def authenticate(request: Request):
    request.ctx.agent = await bridge(request).agents.authenticate(bearer(request))


@bp.get("/<conversation_id>/suggestions")
async def suggestions(request: Request, conversation_id: str):
    return reply(await bridge(request).assist.suggestions(request.ctx.agent, conversation_id), headers=NO_STORE)


@bp.post("/<conversation_id>/suggestions/usage")
async def usage(request: Request, conversation_id: str):
    data = body(request)
    return reply(await bridge(request).assist.record_use(request.ctx.agent, conversation_id, data), status=201)


@bp.get("/<conversation_id>/wrapup")
async def wrapup(request: Request, conversation_id: str):
    return reply(await bridge(request).wrapup.wrapup(request.ctx.agent, conversation_id), headers=NO_STORE)
