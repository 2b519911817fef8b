"""FaqResponseSelector: Rasa's ResponseSelector, run only when the answer could be an FAQ.

Which FAQ answer fits (`faq/<key>`) matters only for a message whose intent may end up `faq`:
the classifier's top three, since HumanRequestGuard may still demote a request to the next best
intent ("人工客服几点下班" → faq). For every other message the selector's TensorFlow model is
skipped — it was a fifth of the parse time — and the parse result carries no `response_selector`.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

FAQ = "faq"
CANDIDATES = 3


def may_be_faq(message: Message) -> bool:
    """True when `faq` is the intent or among the classifier's best three."""
    intent = message.get(INTENT) or {}
    if intent.get("name") == FAQ:
        return True
    ranking = message.get(INTENT_RANKING_KEY) or []
    return any(entry.get("name") == FAQ for entry in ranking[:CANDIDATES])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    """ResponseSelector for the retrieval intent `faq`, skipped when the message cannot be one."""

    def process(self, messages: List[Message]) -> List[Message]:
        wanted = [m for m in messages if may_be_faq(m)]
        if wanted:
            super().process(wanted)
        return messages
