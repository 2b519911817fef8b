"""Custom Rasa 3.6 graph components for Chinese customer messages.

* `ChineseNormalizer` — runs before the tokenizer and rewrites the message text to its
  normalised form (see `jieli_nlu.normalize`), a pasted order card compacted to the question
  (`jieli_nlu.order_cards`). Rasa keeps the customer's original text in the
  tracker's `UserUttered` event; only the NLU parse sees the normalised text.
* `OrderIdExtractor` — extracts the `order_id` entity with the rules of `jieli_nlu.order_ids`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from jieli_nlu.normalize import normalize_text
from jieli_nlu.order_cards import compact_order_card
from jieli_nlu.order_ids import find_order_ids

ORDER_ID = "order_id"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class ChineseNormalizer(GraphComponent):
    """Normalises message text: Traditional → Simplified, full-width → half-width, case, punctuation."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["opencc"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example, keep_entities=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message, keep_entities=False)
        return messages

    @staticmethod
    def _normalize(message: Message, keep_entities: bool) -> None:
        original = message.get(TEXT)
        if not isinstance(original, str):
            return  # a story's intent-only turn, or a bot action: nothing to normalise
        normalized = nlu_text(original)
        if normalized == original:
            return
        message.set(TEXT, normalized, add_to_output=True)
        if keep_entities and message.get(ENTITIES):
            message.set(ENTITIES, _relocate(original, normalized, message.get(ENTITIES)))


def nlu_text(text: str) -> str:
    """What the NLU reads: the normalised text, a pasted order card compacted (jieli_nlu.order_cards)."""
    return compact_order_card(normalize_text(text))


def _relocate(original: str, normalized: str, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Move annotated entity spans from the original text to the normalised one."""
    moved = []
    cursor = 0
    for entity in sorted(entities, key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0)):
        piece = nlu_text(original[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]])
        start = normalized.find(piece, cursor) if piece else -1
        if start < 0:
            continue  # the annotation does not survive normalisation; drop it rather than misalign
        end = start + len(piece)
        cursor = end
        moved.append(
            {
                **entity,
                ENTITY_ATTRIBUTE_START: start,
                ENTITY_ATTRIBUTE_END: end,
                ENTITY_ATTRIBUTE_VALUE: entity.get(ENTITY_ATTRIBUTE_VALUE, piece),
            }
        )
    return moved


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class OrderIdExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts the shop's order number (entity `order_id`, digits only)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OrderIdExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: ORDER_ID,
                    ENTITY_ATTRIBUTE_VALUE: match.value,
                    ENTITY_ATTRIBUTE_START: match.start,
                    ENTITY_ATTRIBUTE_END: match.end,
                    "confidence_entity": 1.0,
                }
                for match in find_order_ids(text)
            ]
            if found:
                found = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
