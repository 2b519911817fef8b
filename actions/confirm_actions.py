"""Yes / no answers: carried out according to the question waiting in `pending_confirm`."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import order_access, order_text
from actions.common import HUMAN_BUTTON, JieliAction, ask_order_id, latest_text
from actions.identity import verified_customer
from actions.order_actions import not_cancellable_reply
from actions.shop.base import yuan
from actions.shop.factory import get_adapter
from jieli_dialogue import signals
from jieli_nlu.normalize import normalize_text

NOTHING_PENDING = "好的~ 还有什么可以帮您？"
NOT_HELPED = (
    "抱歉没能帮上忙 😔 您可以说说具体是哪一步不行，我再帮您看看；"
    "也可以直接转人工客服，刚才的聊天记录客服都能看到，不用重复说明。"
)


def _nothing_pending(dispatcher, tracker) -> None:
    """A yes / no with no question waiting. "还是不行" or "没用" (lexicon/frustration.yml:
    not_helped) says the last answer did not help: apologise and offer a person, rather than
    the cheerful "好的~" that would answer "不用了"."""
    if signals.not_helped_text(normalize_text(latest_text(tracker)), signals.default_lexicon()):
        dispatcher.utter_message(text=NOT_HELPED, buttons=[HUMAN_BUTTON])
    else:
        dispatcher.utter_message(text=NOTHING_PENDING)


def _confirm_cancel(dispatcher, tracker) -> list[dict]:
    done = [SlotSet("pending_confirm", None)]
    order_id = tracker.get_slot("order_id")
    if not order_id:
        return done + ask_order_id(dispatcher, "cancel_order")
    owner = order_access.owner_for(tracker, str(order_id))
    if owner is None:  # nothing proves the order is theirs (any more): ask first
        return done + order_access.open_order(dispatcher, tracker, str(order_id), "cancel_order").events
    result = get_adapter().cancel_order(str(order_id), owner)
    if result.ok:
        text = f"已为您取消订单 {order_id}。"
        way = order_text.refund_way(result.order) if result.order else "原路退回您的付款账户"
        if result.refund is not None:
            text += f"退款 {yuan(result.refund.amount_cents)} 会{way}。"
        elif result.order is None:
            text += "如果已经付款，款项会原路退回您的付款账户。"
        elif result.order.paid_at:
            text += f"退款 {yuan(result.order.total_cents)} 会{way}。"
        else:
            text += "订单没有付款，不会产生任何费用。"
        dispatcher.utter_message(text=text + "还有什么可以帮您？")
        return done
    if result.reason == "not_found" or result.order is None:
        dispatcher.utter_message(
            text=f"没有查到订单 {order_id}，没能取消 😥 麻烦核对一下订单号，或者转人工客服帮您处理。",
            buttons=[HUMAN_BUTTON],
        )
        return done
    text, buttons = not_cancellable_reply(result.order, result)
    dispatcher.utter_message(text=text, buttons=buttons)
    return done


class ActionHandleAffirm(JieliAction):
    def name(self) -> str:
        return "action_handle_affirm"

    def handle(self, dispatcher, tracker, domain):
        pending = tracker.get_slot("pending_confirm")
        if pending == "cancel_order":
            return _confirm_cancel(dispatcher, tracker)
        if not pending and order_access.pending_verification(tracker) and verified_customer(tracker):
            # "好了" after logging in while the bot waited for the phone digits: carry on
            from actions.order_actions import continue_order

            return continue_order(dispatcher, tracker)
        _nothing_pending(dispatcher, tracker)
        return [SlotSet("pending_confirm", None)] if pending else []


class ActionHandleDeny(JieliAction):
    def name(self) -> str:
        return "action_handle_deny"

    def handle(self, dispatcher, tracker, domain):
        pending = tracker.get_slot("pending_confirm")
        if not pending and order_access.pending_verification(tracker):
            # "不记得了" / "不想说" to the phone digits: no pressure, other ways in
            dispatcher.utter_message(text=order_access.NO_DIGITS, buttons=[HUMAN_BUTTON])
            return [SlotSet(order_access.VERIFY_SLOT, None)]
        if pending == "cancel_order":
            order_id = tracker.get_slot("order_id")
            which = f"订单 {order_id} " if order_id else "订单"
            dispatcher.utter_message(text=f"好的，{which}为您保留，不取消。还有什么可以帮您？")
            return [SlotSet("pending_confirm", None)]
        _nothing_pending(dispatcher, tracker)
        return [SlotSet("pending_confirm", None)] if pending else []
