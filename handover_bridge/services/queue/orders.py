"""The order beside the chat (docs/agents.md, "订单面板 Order panel").

The bridge never imports `actions/`: it asks the action server's staff routes (actions/staff.py,
bearer JIELI_ACTION_TOKEN, on JIELI_ACTION_SERVER_URL) which hold the shop adapter and its
credentials. Which orders may be asked for at all is domain/order_panel.py; what an agent did to
an order is audited (`order_actions`) and said in the chat as a system note.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from ...domain import identity
from ...domain.errors import Conflict, Invalid, NotFound, Unavailable
from ...domain.order_panel import ORDER_ID, Target, targets
from ...domain.states import check_assigned_to
from ...models import Agent
from ...repositories import conversations as conversations_repo
from ...repositories import handovers as handovers_repo
from ...repositories import messages as messages_repo
from ...repositories import orders as orders_repo
from ..infra.frames import message_events
from ..wiring.context import Context
from .chats import ChatService

log = logging.getLogger("handover_bridge.orders")

SHOP_TIMEOUT = 5.0
CANCELLED = "已为您取消订单 {order_id}，如已付款，款项会按原路退回。"
NOT_CANCELLED = "订单 {order_id} 暂时无法取消（{why}），客服会继续帮您处理。"
WHY = {
    "shipped": "已发货",
    "already_cancelled": "订单已取消",
    "not_allowed": "当前状态不支持取消",
    "not_found": "没有找到这个订单",
}


class ShopError(Unavailable):
    code = "shop_unavailable"


class OrderService:
    def __init__(self, ctx: Context, chats: ChatService):
        self.ctx = ctx
        self.chats = chats

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self.ctx.settings.action_server_url.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.ctx.settings.action_token}"}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SHOP_TIMEOUT)) as session:
                async with session.post(url, json=body, headers=headers) as response:
                    data = await response.json(content_type=None)
                    if response.status != 200 or not isinstance(data, dict):
                        raise ShopError(f"the action server answered {response.status}")
                    return data
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("order panel: action server unreachable: %s", error)
            raise ShopError("订单系统暂时连不上，请稍后再试") from None

    async def _targets(self, conversation_id: str) -> tuple[Any, list[Target]]:
        async with self.ctx.db.read() as session:
            conversation = await conversations_repo.get(session, conversation_id)
            if conversation is None:
                raise NotFound("conversation not found")
            handover = (
                await handovers_repo.get(session, conversation.handover_id)
                if conversation.handover_id
                else await handovers_repo.latest(session, conversation_id)
            )
        context = handover.context if handover else {}
        return conversation, targets(context, identity.verified(conversation.meta))

    async def panel(self, agent: Agent, conversation_id: str) -> dict[str, Any]:
        """Every order the chat names: details only for a verified one (see domain/order_panel).
        When the action server does not answer, the orders that would have been asked for say
        `unavailable` (and `shop_available` is false): the card still shows every number."""
        await self.chats.check_readable(agent, conversation_id)
        _, found = await self._targets(conversation_id)
        result, available = [], True
        for target in found:
            entry: dict[str, Any] = {"order_id": target.order_id, "verified": False, "via": None, "order": None}
            try:
                if target.customer_id is not None:
                    shown = await self._lookup(target.order_id, target.customer_id)
                    if shown is not None:
                        entry.update(verified=True, via="identity", order=shown)
                if not entry["verified"] and target.verified_in_chat:
                    shown = await self._lookup(target.order_id, None)
                    if shown is not None:
                        entry.update(verified=True, via="chat", order=shown)
            except ShopError:
                available = False
                entry["unavailable"] = True
            result.append(entry)
        return {"orders": result, "shop_available": available}

    async def _lookup(self, order_id: str, customer_id: str | None) -> dict[str, Any] | None:
        answer = await self._call("/staff/orders", {"order_ids": [order_id], "customer_id": customer_id})
        [shown] = answer.get("orders") or [{}]
        return shown.get("order") if shown.get("found") and isinstance(shown.get("order"), dict) else None

    async def cancel(self, agent: Agent, conversation_id: str, order_id: Any, confirm: Any) -> dict[str, Any]:
        """Cancel a verified order of the agent's own chat, once the agent confirmed it."""
        if confirm is not True:
            raise Invalid('confirm the cancellation: {"confirm": true}', "confirm_required")
        if not isinstance(order_id, str) or not ORDER_ID.match(order_id):
            raise Invalid("an order id is 6–32 digits", "invalid_order")
        conversation, found = await self._targets(conversation_id)
        check_assigned_to(conversation.state, conversation.agent_id, agent.id)
        target = next((t for t in found if t.order_id == order_id), None)
        if target is None or not target.askable:
            raise Conflict("this order is not verified for this customer: no action on it", "order_not_verified")
        # as the customer when the shop signed them, else as staff for an order verified in the chat
        owner = target.customer_id
        if owner is not None and target.verified_in_chat:
            if await self._lookup(order_id, owner) is None:
                owner = None  # not the signed customer's own order, but verified for its owner in the chat
        try:
            answer = await self._call(f"/staff/orders/{order_id}/cancel", {"customer_id": owner})
        except ShopError:
            await self._record(agent, conversation_id, order_id, "shop_unavailable", {})
            raise
        ok = answer.get("ok") is True
        reason = answer.get("reason") or ("ok" if ok else "not_allowed")
        text = (
            CANCELLED.format(order_id=order_id)
            if ok
            else NOT_CANCELLED.format(order_id=order_id, why=WHY.get(reason, "当前状态不支持取消"))
        )
        note = await self._record(agent, conversation_id, order_id, "ok" if ok else str(reason)[:32], answer, text)
        return {"ok": ok, "reason": None if ok else reason, "order": answer.get("order"), "note_seq": note}

    async def _record(
        self,
        agent: Agent,
        conversation_id: str,
        order_id: str,
        result: str,
        answer: dict[str, Any],
        text: str | None = None,
    ) -> int | None:
        """The audit row, and (for an answer from the shop) the system note in the chat."""
        async with self.ctx.db.write() as session:
            await orders_repo.add_action(
                session,
                conversation_id=conversation_id,
                agent_id=agent.id,
                order_id=order_id,
                action="cancel",
                result=result,
                detail={"agent": agent.username, "message": answer.get("message") or ""},
            )
            notice = None
            if text is not None:
                notice = await messages_repo.append(
                    session,
                    conversation_id,
                    "system",
                    text,
                    payload={"type": "order_action", "action": "cancel", "order_id": order_id, "result": result},
                )
        if notice is not None:
            self.ctx.metrics.messages.labels("system").inc()
            await self.ctx.publish(message_events(conversation_id, agent.id, [notice]))
            return notice.seq
        return None
