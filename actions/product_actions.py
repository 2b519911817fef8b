"""How to use a product, from the manuals in shop/manuals.yml."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions import policy
from actions.common import JieliAction, answer_topic, ask, choose_topic, latest_text, payload, topic_entity
from jieli_nlu.normalize import normalize_text

MAX_PRODUCT_BUTTONS = 6
# The product was guessed from the question alone ("灯不亮了"): say which one, so that a customer
# asking about something else ("加湿器三个按钮") sees at once that this is not their answer.
GUESSED_NOTE = "\n（以上是「{name}」的说明，如果您问的不是这款，告诉我商品名称就好~）"


def _product_from_topic_keywords(text: str) -> tuple[dict, dict] | None:
    """No product named: if exactly one product has the best-matching topic, that's the one."""
    if not text or policy.is_payload(text):
        return None
    normalized = normalize_text(text)
    scored = []
    for product in policy.products():
        best_score, best_topic = (0, 0), None
        for topic in policy.topics(product.get("topics")):
            score = policy.keyword_score(topic.get("keywords"), normalized)
            if score > best_score:
                best_score, best_topic = score, topic
        if best_topic is not None:
            scored.append((best_score, product, best_topic))
    if not scored:
        return None
    top = max(score for score, _, _ in scored)
    winners = [(product, topic) for score, product, topic in scored if score == top]
    return winners[0] if len(winners) == 1 else None


class ActionProductUsage(JieliAction):
    def name(self) -> str:
        return "action_product_usage"

    def handle(self, dispatcher, tracker, domain):
        text = latest_text(tracker)
        chosen = topic_entity(tracker)
        product = topic = None
        if chosen:
            product = policy.get_product(chosen)
            if product is None:
                found = policy.find_manual_topic(chosen)
                if found:
                    product, topic = found
        current = policy.get_product(tracker.get_slot("product"))
        if product is None:
            named, alias = policy.find_product_alias(text)
            # a one-character alias ("灯") is a weak name: "白灯也不闪" in a chat about the earphones
            # is the earphones' light, not the night light
            if named is not None and not (current is not None and len(alias) < 2):
                product = named
        if product is None:
            product = current
        guessed = False
        if product is None:
            found = _product_from_topic_keywords(text)
            if found:
                (product, topic), guessed = found, True
        if product is None:
            buttons = [
                {"title": str(p.get("name") or p["id"]), "payload": payload("product_usage", topic=str(p["id"]))}
                for p in policy.products()[:MAX_PRODUCT_BUTTONS]
            ]
            ask(dispatcher, "您想了解哪款商品的使用方法？点下面的商品，或者直接告诉我商品名称~", buttons)
            return []
        product_topics = policy.topics(product.get("topics"))
        if topic is None:  # "用开水泡可以吗" → 用法用量, in other words than the keywords
            topic = choose_topic(tracker, str(product["id"]), text, search=not chosen)
        if topic is None:
            ask(
                dispatcher,
                policy.fmt(product.get("intro") or f"{product.get('name')}的使用问题，您想了解哪一项？"),
                policy.topic_buttons("product_usage", product_topics, product.get("featured")),
            )
        else:
            answer_topic(
                dispatcher,
                topic,
                note=GUESSED_NOTE.format(name=product.get("name") or product["id"]) if guessed else "",
            )
        product_id = str(product["id"])
        return [] if tracker.get_slot("product") == product_id else [SlotSet("product", product_id)]
