"""Policy questions answered straight from shop/policy.yml: invoices, payment, coupons and
pre-sales product facts. The best-matching topic's answer; else, when the message plainly asks
about a topic of another section (policy.pick_topic_anywhere), that answer (when it also has
words of one of ours, the one it means: "满多少包邮" is about shipping); else the topic the
message clearly means in other words (actions/topic_search.py); else a one-line overview with the
section's topics as quick-reply buttons."""

from __future__ import annotations

import abc

from actions import policy, topic_search
from actions.common import JieliAction, answer_topic, ask, choose_topic, find_topic, latest_text, topic_entity


class FaqAction(JieliAction, abc.ABC):
    section: str = ""
    intent: str = ""

    def handle(self, dispatcher, tracker, domain):
        text = latest_text(tracker)
        chosen = topic_entity(tracker)
        topic = choose_topic(tracker, self.section, text, chosen, search=False)
        elsewhere = None if chosen else policy.pick_topic_anywhere(text, exclude=self.section)
        if elsewhere and topic is None:
            topic = elsewhere[1]  # the question is plainly about another topic: answer it, not our menu
        elif elsewhere:  # words of both ("满多少" of coupon rules, "包邮" of shipping): what it means
            found = topic_search.find(text, [self.section, elsewhere[0]])
            if found is not None and found.group == elsewhere[0]:
                topic = found.topic
        if topic is None:  # in other words than the keywords; a product named: its manual too
            named = policy.find_product(text)
            topic = find_topic(tracker, [self.section, *([str(named["id"])] if named else [])])
        if topic is None:
            ask(
                dispatcher,
                policy.fmt(policy.section(self.section).get("overview")),
                policy.section_buttons(self.intent, self.section),
            )
        else:
            answer_topic(dispatcher, topic)
        return []


class ActionInvoice(FaqAction):
    section = intent = "invoice"

    def name(self) -> str:
        return "action_invoice"


class ActionPayment(FaqAction):
    section = intent = "payment"

    def name(self) -> str:
        return "action_payment"


class ActionCoupon(FaqAction):
    section = intent = "coupon"

    def name(self) -> str:
        return "action_coupon"


class ActionProductInfo(FaqAction):
    section = intent = "product_info"

    def name(self) -> str:
        return "action_product_info"
