"""The agent console's HTTP API: /api/agent/…"""

from __future__ import annotations

from sanic import Blueprint, Request

from ..domain.errors import Invalid
from ..domain.states import State
from ..services.queue.agents import agent_dict
from .common import after_param, bearer, body, bridge, client_ip, messages_out, reply

bp = Blueprint("agent", url_prefix="/api/agent")
PUBLIC = {"/api/agent/login"}


@bp.on_request
async def authenticate(request: Request):
    if request.path not in PUBLIC:
        request.ctx.agent = await bridge(request).agents.authenticate(bearer(request))


@bp.post("/login")
async def login(request: Request):
    data = body(request)
    token, agent = await bridge(request).agents.login(data.get("username"), data.get("password"), client_ip(request))
    return reply({"token": token, "agent": agent_dict(agent)})


@bp.post("/logout")
async def logout(request: Request):
    await bridge(request).agents.logout(bearer(request))
    return reply({"ok": True})


@bp.get("/me")
async def me(request: Request):
    return reply({"agent": agent_dict(request.ctx.agent)})


@bp.post("/presence")
async def presence(request: Request):
    data = body(request)
    return reply({"agent": await bridge(request).agents.set_presence(request.ctx.agent, data.get("presence"))})


@bp.post("/heartbeat")
async def heartbeat(request: Request):
    await bridge(request).agents.heartbeat(request.ctx.agent)
    return reply({"ok": True})


@bp.get("/agents")
async def agents(request: Request):
    return reply({"items": await bridge(request).agents.listing()})


@bp.get("/queue")
async def queue(request: Request):
    return reply({"items": await bridge(request).queue.items()})


@bp.get("/conversations")
async def my_chats(request: Request):
    return reply({"items": await bridge(request).chats.my_chats(request.ctx.agent)})


@bp.get("/conversations/<conversation_id>")
async def transcript(request: Request, conversation_id: str):
    data = await bridge(request).chats.transcript(request.ctx.agent, conversation_id, after_param(request))
    data["messages"] = messages_out(data["messages"])
    return reply(data)


@bp.post("/conversations/<conversation_id>/accept")
async def accept(request: Request, conversation_id: str):
    b = bridge(request)
    await b.queue.accept(request.ctx.agent, conversation_id)
    return reply({"state": State.ASSIGNED, "conversation_id": conversation_id})


@bp.post("/conversations/<conversation_id>/messages")
async def send(request: Request, conversation_id: str):
    data = body(request)
    message = await bridge(request).chats.send(
        request.ctx.agent, conversation_id, data.get("text"), data.get("client_msg_id")
    )
    return reply({"messages": messages_out([message])})


@bp.post("/conversations/<conversation_id>/typing")
async def typing(request: Request, conversation_id: str):
    await bridge(request).chats.typing(request.ctx.agent, conversation_id)
    return reply({"ok": True})


@bp.post("/conversations/<conversation_id>/transfer")
async def transfer(request: Request, conversation_id: str):
    data = body(request)
    result = await bridge(request).chats.transfer(
        request.ctx.agent,
        conversation_id,
        to_agent=data.get("agent"),
        skill=data.get("skill"),
        category=data.get("category"),
    )
    return reply(result)


@bp.post("/conversations/<conversation_id>/close")
async def close(request: Request, conversation_id: str):
    data = body(request, required=False)
    result = await bridge(request).chats.close(
        request.ctx.agent,
        conversation_id,
        return_to_bot=data.get("return_to_bot", True),
        resolution=data.get("resolution"),
        tags=data.get("tags"),
        intent=data.get("intent"),
        reusable=data.get("reusable"),
        answer=data.get("answer"),
    )
    return reply(result)


@bp.get("/tickets")
async def tickets(request: Request):
    status = request.args.get("status", "open")
    return reply({"items": await bridge(request).tickets.listing(None if status == "all" else status)})


@bp.post("/tickets/<ticket_id:int>/answer")
async def answer_ticket(request: Request, ticket_id: int):
    data = body(request, required=False)
    reply_text = data.get("reply")
    if reply_text is not None and not isinstance(reply_text, str):
        raise Invalid("reply must be text", "invalid_reply")
    return reply({"ticket": await bridge(request).tickets.answer(request.ctx.agent, ticket_id, reply_text)})


@bp.post("/tickets/<ticket_id:int>/close")
async def close_ticket(request: Request, ticket_id: int):
    return reply({"ticket": await bridge(request).tickets.close(ticket_id)})


# ---- protection that acts (services/queue/protection.py, docs/agents.md) ----------------------


@bp.post("/conversations/<conversation_id>/end_abusive")
async def end_abusive(request: Request, conversation_id: str):
    """One click: end the chat for abuse (reason stored, the system's closing line to the customer)."""
    data = body(request, required=False)
    result = await bridge(request).chats.close(
        request.ctx.agent,
        conversation_id,
        return_to_bot=False,
        resolution=data.get("resolution"),
        end_reason="abuse",
    )
    return reply(result)


@bp.get("/cooldown")
async def cooldown(request: Request):
    return reply(await bridge(request).protection.cooldown_of(request.ctx.agent))


@bp.get("/live")
async def live(request: Request):
    """A lead's list of the chats agents hold now."""
    return reply({"items": await bridge(request).protection.live(request.ctx.agent)})


@bp.post("/conversations/<conversation_id>/takeover")
async def takeover(request: Request, conversation_id: str):
    return reply(await bridge(request).protection.move(request.ctx.agent, conversation_id))


@bp.post("/conversations/<conversation_id>/reassign")
async def reassign(request: Request, conversation_id: str):
    data = body(request)
    if data.get("agent") is None:
        raise Invalid("say to whom: agent (a username or id)", "invalid_reassign")
    return reply(await bridge(request).protection.move(request.ctx.agent, conversation_id, data.get("agent")))


@bp.get("/protection/today")
async def protection_today(request: Request):
    return reply(await bridge(request).protection.today(request.ctx.agent), headers={"Cache-Control": "no-store"})


# ---- the order beside the chat (services/queue/orders.py, docs/agents.md) --------------------


@bp.get("/conversations/<conversation_id>/orders")
async def orders(request: Request, conversation_id: str):
    return reply(
        await bridge(request).orders.panel(request.ctx.agent, conversation_id), headers={"Cache-Control": "no-store"}
    )


@bp.post("/conversations/<conversation_id>/orders/<order_id>/cancel")
async def cancel_order(request: Request, conversation_id: str, order_id: str):
    data = body(request)
    return reply(await bridge(request).orders.cancel(request.ctx.agent, conversation_id, order_id, data.get("confirm")))
