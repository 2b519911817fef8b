"""ProblemReportExtractor: the customer reports a problem with what they received.

Damaged, stained, wrong or missing items, a parcel shown as signed for but never received, a
product that cannot be used, a safety problem, an allergy. Whatever the intent ("收到的壶裂了 给我
换" is return_exchange, "显示签收了我没收到" order_status), such a message must never get a menu
or an unrelated FAQ: the entity `problem` (value: the kind) tells the dialogue to name the problem,
give the one relevant policy line and offer a person (actions/problem_actions.py,
jieli_dialogue/signals: the problem-report rule).

The rules live in a designer lexicon (lexicon/problems.yml: per kind, `patterns` and `unless`),
applied to the normalised text; it is read at training time and stored inside the model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from jieli_nlu.normalize import normalize_text
from jieli_nlu.problem_kinds import PROBLEM_ENTITY as PROBLEM
from jieli_nlu.problem_kinds import PROBLEM_LABELS

LEXICON_FILE = "problems.json"


@dataclass(frozen=True)
class ProblemMatch:
    kind: str
    start: int
    end: int


class ProblemRules:
    """The lexicon's rules, free of Rasa: `find(text)` gives the first kind that matches."""

    def __init__(self, kinds: Dict[str, Dict[str, List[str]]], fold: Optional[Dict[str, str]] = None):
        bad = [k for k, v in (fold or {}).items() if len(str(k)) != 1 or len(str(v)) != 1]
        if bad:
            raise ValueError(f"fold maps one character to one character: {bad}")
        # Cantonese words to the Mandarin the patterns are written in ("冇收到" reads "没收到"),
        # one character for one, so that a match's position is the same in the customer's text
        self.fold = str.maketrans({str(k): str(v) for k, v in (fold or {}).items()})
        unknown = set(kinds or {}) - set(PROBLEM_LABELS)
        if unknown:
            raise ValueError(f"unknown problem kinds {sorted(unknown)}: add them to jieli_nlu/problem_kinds.py")
        self.kinds = [
            (
                name,
                [re.compile(p) for p in spec.get("patterns") or []],
                [re.compile(p) for p in spec.get("unless") or []],
            )
            for name, spec in (kinds or {}).items()
        ]

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> ProblemRules:
        return cls((data or {}).get("kinds") or {}, (data or {}).get("fold") or {})

    def find(self, text: str) -> Optional[ProblemMatch]:
        """The problem reported in the (normalised) text, or None."""
        if not text:
            return None
        text = text.translate(self.fold)
        for name, patterns, unless in self.kinds:
            if any(u.search(text) for u in unless):
                continue
            for pattern in patterns:
                match = pattern.search(text)
                if match:
                    return ProblemMatch(name, match.start(), match.end())
        return None


def read_lexicon(path: str | Path) -> Dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    ProblemRules.from_dict(data)  # fails on a bad regular expression
    return data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ProblemReportExtractor(GraphComponent, EntityExtractorMixin):
    """Adds the entity `problem` (damaged, stained, wrong_item, missing_item, not_received,
    cannot_use, safety, allergy) when the message reports one."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon_path": "lexicon/problems.yml"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self._lexicon = lexicon
        self.rules = ProblemRules.from_dict(lexicon) if lexicon is not None else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ProblemReportExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        path = self._config["lexicon_path"]
        try:
            self._lexicon = read_lexicon(path)
        except (OSError, ValueError, re.error) as error:
            raise InvalidConfigException(f"ProblemReportExtractor: cannot read {path}: {error}") from error
        self.rules = ProblemRules.from_dict(self._lexicon)
        with self._storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(json.dumps(self._lexicon, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ProblemReportExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                lexicon = json.loads((Path(directory) / LEXICON_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError, OSError):
            lexicon = read_lexicon(config.get("lexicon_path") or "lexicon/problems.yml")
        return cls(config, model_storage, resource, lexicon)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self.rules is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text or text.lstrip().startswith("/"):
                continue
            found = self.rules.find(normalize_text(text))
            if found is None:
                continue
            entity = self.add_extractor_name(
                [
                    {
                        "entity": PROBLEM,
                        "value": found.kind,
                        "start": found.start,
                        "end": found.end,
                        "confidence_entity": 1.0,
                    }
                ]
            )
            message.set(ENTITIES, message.get(ENTITIES, []) + entity, add_to_output=True)
        return messages
