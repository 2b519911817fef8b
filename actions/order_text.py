"""How orders and refunds are worded for the customer: specific facts from the shop adapter,
advice from the shop's policy. Pure functions returning (text, buttons)."""

from __future__ import annotations

from datetime import datetime, timedelta

from actions import policy, timeutil
from actions.common import HUMAN_BUTTON
from actions.shop.base import Order, Refund, yuan

CANCEL_BUTTON = {"title": "取消订单", "payload": "/cancel_order"}
HOW_TO_RETURN_BUTTON = {"title": "怎么退货", "payload": '/return_exchange{"topic":"how_to_return"}'}
NO_REASON_RETURN_EXCLUDED = ("medicine", "food", "custom", "underwear")
STALE_TRACKING = timedelta(hours=48)
MAX_ITEMS_SHOWN = 3


def shop_number(key: str, default: int) -> int:
    try:
        return int(policy.shop_info().get(key, default))
    except (TypeError, ValueError):
        return default


def items_summary(order: Order) -> str:
    names = [f"{item.name} ×{item.quantity}" for item in order.items]
    if len(names) > MAX_ITEMS_SHOWN:
        count = sum(item.quantity for item in order.items)
        return "、".join(names[:2]) + f" 等 {count} 件商品"
    return "、".join(names)


def head(order: Order) -> str:
    items = items_summary(order)
    return f"订单 {order.order_id}（{items}）" if items else f"订单 {order.order_id}"


def dispatch_deadline(order: Order) -> datetime | None:
    paid = order.paid_at or order.created_at
    return paid + timedelta(hours=shop_number("dispatch_hours", 48)) if paid else None


def is_dispatch_overdue(order: Order, now: datetime | None = None) -> bool:
    deadline = dispatch_deadline(order)
    now = now or timeutil.now_utc()
    return order.status == "paid" and not order.is_shipped and deadline is not None and now > deadline


def refund_way(order: Order) -> str:
    return policy.payment_method(order.payment_method)["refund_time"]


def cancel_offer(order: Order) -> str:
    """What cancelling an unshipped order means for the customer's money."""
    if order.paid_at or order.status == "paid":
        return f"订单还没发货，您可以直接取消订单，{yuan(order.total_cents)} 会全额{refund_way(order)}。"
    return "订单还没付款，直接取消就可以，不会产生任何费用。"


def refund_sentence(refund: Refund, order: Order) -> str:
    now = timeutil.now_utc()
    amount = yuan(refund.amount_cents or order.total_cents)
    requested = timeutil.fmt_time(refund.requested_at, now)
    updated = timeutil.fmt_time(refund.updated_at or refund.requested_at, now)
    way = refund_way(order)
    when = f"您 {requested} 申请的退款 {amount} " if requested else f"您申请的退款 {amount} "
    if refund.status == "applied":
        return f"{when}已提交，我们会在 {shop_number('refund_review_hours', 48)} 小时内审核，通过后{way}。"
    if refund.status == "processing":
        check = ""
        if refund.refund_type == "return_refund":
            check = f"（退货寄回后，仓库签收 {shop_number('warehouse_check_hours', 48)} 小时内验货）"
        return f"{when}正在处理中{check}，处理完成后{way}。"
    if refund.status == "approved":
        return f"退款 {amount} 已于 {updated} 同意，{way}。"
    if refund.status == "refunded":
        return f"退款 {amount} 已于 {updated} 退出，{way}。超过这个时间还没收到的话，可以转人工帮您查。"
    if refund.status == "rejected":
        reason = refund.reject_reason or "未注明"
        return f"{when}已被驳回，原因是「{reason}」。{policy.reject_advice(refund.reject_reason)}"
    return f"退款状态：{policy.refund_status_text(refund.status)}。"


def _dedupe(buttons: list[dict]) -> list[dict]:
    seen, result = set(), []
    for button in buttons:
        if button["payload"] not in seen:
            seen.add(button["payload"])
            result.append(button)
    return result


def refund_reply(order: Order, refund: Refund, name_order: bool = True) -> tuple[str, list[dict]]:
    """The answer to "where is my refund / why was it rejected" for one refund record."""
    sentence = refund_sentence(refund, order)
    buttons: list[dict] = []
    if is_dispatch_overdue(order):
        lines = [
            f"订单 {order.order_id} 付款后超过 {shop_number('dispatch_hours', 48)} 小时还没发货，非常抱歉让您久等了！",
            sentence,
        ]
    else:
        lines = [f"订单 {order.order_id}：{sentence}" if name_order else sentence]
    if refund.status == "rejected":
        if order.is_cancellable:
            lines.append(cancel_offer(order))
            buttons.append(CANCEL_BUTTON)
        buttons.append(HUMAN_BUTTON)
    elif refund.status == "refunded":
        buttons.append(HUMAN_BUTTON)
    return "\n".join(lines), _dedupe(buttons)


def no_refund_reply(order: Order) -> tuple[str, list[dict]]:
    """The customer asks about a refund but the order has none."""
    text = f"{head(order)}目前没有退款申请。"
    if order.is_cancellable:
        return text + cancel_offer(order), [CANCEL_BUTTON, HUMAN_BUTTON]
    if order.status == "shipped":
        return (
            text + "订单已经发货，可以在派送时拒收，包裹退回仓库后为您退款；或者签收后申请退货退款。",
            [HOW_TO_RETURN_BUTTON, HUMAN_BUTTON],
        )
    if order.status == "cancelled":
        return text + "订单已经取消" + ("。" if not order.paid_at else "，已付的款会原路退回。"), [HUMAN_BUTTON]
    how = policy.answer("refund", "how_to_apply")
    return (text + how if how else text), [HOW_TO_RETURN_BUTTON, HUMAN_BUTTON]


def describe_order(order: Order, refund: Refund | None = None) -> tuple[str, list[dict]]:
    """The order-status answer: status in Chinese plus the facts that matter for that status."""
    now = timeutil.now_utc()
    lines: list[str] = []
    buttons: list[dict] = []
    status = order.status
    if status == "pending_payment":
        lines.append(
            f"{head(order)}还没付款，应付 {yuan(order.total_cents)}。下单后 "
            f"{shop_number('unpaid_cancel_minutes', 30)} 分钟内没付款会自动取消，"
            "需要的话请尽快在「我的订单」里完成付款。"
        )
    elif status == "paid" and not order.is_shipped:
        paid = timeutil.fmt_time(order.paid_at or order.created_at, now)
        deadline = dispatch_deadline(order)
        hours = shop_number("dispatch_hours", 48)
        if is_dispatch_overdue(order, now):
            lines.append(
                f"{head(order)}是 {paid} 付的款，按承诺应该在 {timeutil.fmt_time(deadline, now)} "
                f"前发货，现在已经超时 {timeutil.fmt_duration(now - deadline)}还没发出，"
                "真的非常抱歉让您久等了！"
            )
            if refund:
                lines.append(refund_sentence(refund, order))
            lines.append(cancel_offer(order).rstrip("。") + "；也可以转人工客服帮您加急处理。")
            buttons += [CANCEL_BUTTON, HUMAN_BUTTON]
        else:
            when = f"，最晚 {timeutil.fmt_time(deadline, now)} 前发出" if deadline else ""
            lines.append(
                f"{head(order)}已付款，正在等待发货。您是 {paid} 付的款，我们承诺 {hours} 小时内"
                f"发货{when}；发货后随时可以找我查物流。"
            )
            if refund:
                lines.append(refund_sentence(refund, order))
                if refund.status == "rejected":
                    buttons += [CANCEL_BUTTON, HUMAN_BUTTON]
    elif status in ("shipped", "paid"):
        carrier = policy.carrier(order.carrier)["name"]
        tracking = f"{carrier}运单号 {order.tracking_no}" if order.tracking_no else carrier
        line = f"{head(order)}已经发货，{tracking}。"
        event = order.latest_event
        if event:
            where = f"【{event.location}】" if event.location else ""
            when = timeutil.fmt_time(event.time, now)
            line += (
                f"最新物流（{when}）：{where}{event.description}。"
                if when
                else f"最新物流：{where}{event.description}。"
            )
        lines.append(line)
        if event is None:
            lines.append("物流信息一般在揽收后 24 小时内更新，稍后就能查到。")
        elif event.time is not None and now - event.time > STALE_TRACKING:
            lines.append(
                f"物流已经 {timeutil.fmt_duration(now - event.time)}没有更新了，非常抱歉！"
                "我可以帮您转人工联系快递核实；确认丢件的话，我们负责补发或全额退款。"
            )
            buttons.append(HUMAN_BUTTON)
    elif status == "delivered":
        delivered = timeutil.fmt_time(order.delivered_at, now)
        line = f"{head(order)}已于 {delivered} 签收。" if delivered else f"{head(order)}已签收。"
        days = shop_number("after_sales_days", 7)
        if order.delivered_at and not any(i.category in NO_REASON_RETURN_EXCLUDED for i in order.items):
            until = order.delivered_at + timedelta(days=days)
            if now < until:
                line += f"签收 {days} 天内（到 {timeutil.fmt_time(until, now)}）支持无理由退货。"
        lines.append(line + "如果没收到货或者商品有问题，告诉我，我马上帮您处理。")
    elif status == "cancelled":
        cancelled = timeutil.fmt_time(order.cancelled_at, now)
        line = f"{head(order)}已于 {cancelled} 取消。" if cancelled else f"{head(order)}已取消。"
        if refund:
            line += refund_sentence(refund, order)
        elif order.paid_at:
            line += f"已付的 {yuan(order.total_cents)} 会{refund_way(order)}。"
        else:
            line += "订单没有付款，不会产生任何费用。"
        lines.append(line)
    else:  # refunding, refunded, refund_rejected and anything a shop adds
        lines.append(f"{head(order)}当前状态：{policy.order_status_text(status)}。")
        if refund:
            text, refund_buttons = refund_reply(order, refund, name_order=False)
            lines.append(text)
            buttons += refund_buttons
    return "\n".join(lines), _dedupe(buttons)
