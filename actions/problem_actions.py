"""`action_problem_report`: the customer reported a problem with what they received.

The NLU's entity `problem` (jieli_nlu/problems.py) names the kind. Instead of a menu or an FAQ
beside the point, the bot says what it understood, the one policy line that applies
(shop/policy.yml: problem_reports), asks for the order number when it has none, and offers a
person. EscalationPolicy hands over on the customer's next message about it (docs/escalation.md).
"""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import policy
from actions.common import HUMAN_BUTTON, JieliAction, choose_topic, entity_value, latest_text, order_id_in_message

DEFAULT_KIND = "cannot_use"
# Kinds a product's manual may fix ("感应模式下不亮" → the manual's 感应模式): its answer comes first.
FIXABLE_KINDS = ("cannot_use",)
TRY_FIRST = "\n说明书上的办法：{answer}\n"


def manual_fix(tracker, kind: str) -> str | None:
    """The manual's answer for the fault the customer describes, when the product is known (named
    in the message or talked about before) and one of its topics is clearly what they describe."""
    if kind not in FIXABLE_KINDS:
        return None
    text = latest_text(tracker)
    product = policy.find_product(text) or policy.get_product(tracker.get_slot("product"))
    if product is None:
        return None
    topic = choose_topic(tracker, str(product["id"]), text)
    return policy.fmt(topic.get("answer") or "") if topic else None


def problem_reply(kind: str, order_id: str | None, fix: str | None = None) -> str:
    """What the bot says about a reported problem of this kind (texts from shop/policy.yml), with
    the manual's fix for it first when there is one."""
    section = policy.section("problem_reports")
    kinds = section.get("kinds") or {}
    spec = kinds.get(kind) or kinds.get(DEFAULT_KIND) or {}
    parts = [policy.fmt(spec.get("understood") or "非常抱歉，给您添麻烦了 🙏")]
    if fix:
        parts.append(TRY_FIRST.format(answer=fix))
    parts.append(policy.fmt(spec.get("policy") or ""))
    if spec.get("ask_order_id") is False:
        pass  # not about an order (an account that will not log in)
    elif order_id:
        parts.append(policy.fmt(section.get("has_order_id") or "订单 {order_id} 我已经记下了，", order_id=order_id))
    else:  # a kind may ask in its own words (a screenshot of two charges, not a photo of a part)
        own = spec.get("ask_order_id") if isinstance(spec.get("ask_order_id"), str) else None
        parts.append(policy.fmt(own or section.get("ask_order_id") or "麻烦发一下订单号，"))
    parts.append(policy.fmt(section.get("offer") or "我马上帮您转人工客服处理。"))
    return "".join(p for p in parts if p)


class ActionProblemReport(JieliAction):
    def name(self) -> str:
        return "action_problem_report"

    def handle(self, dispatcher, tracker, domain):
        kind = entity_value(tracker, "problem") or DEFAULT_KIND
        order_id = order_id_in_message(tracker) or tracker.get_slot("order_id")
        fix = manual_fix(tracker, kind)
        dispatcher.utter_message(text=problem_reply(kind, order_id, fix), buttons=[HUMAN_BUTTON])
        events = []
        if order_id and order_id != tracker.get_slot("order_id"):
            events.append(SlotSet("order_id", order_id))
        return events
