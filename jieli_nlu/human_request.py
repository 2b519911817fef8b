"""HumanRequestGuard: the last word on `request_human`, after the intent classifier.

A customer who asks for a person must reach one, and a customer who merely mentions 人工智能 or
人工费 must not be queued. The classifier learns both from the data; this component adds two explainable
rules from a lexicon a conversation designer edits (lexicon/human_request.yml):

* **promote** — an unmistakable request ("转人工", "人工客服", "rg", "有没有活人", "人工人工人工")
  that is not negated ("不用转人工") makes the intent `request_human`;
* **demote** — when the classifier says `request_human` and no request pattern matches, but the
  message names no person at all (no 人, 客服, 机器人, 经理, human … — "发票什么时候开出来"), or
  every 人工 / 真人 / 活人 in it is part of a non-service word (人工智能, 人工费, 人工草坪, 真人实拍,
  "人工要另外给钱吗" …), or it declines a person ("不用转人工了"), the next best intent wins.

The lexicon is read at training time and stored inside the model, so a trained model does not
depend on the file. Each decision is recorded in the parse result under `human_request_guard`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

HUMAN = "request_human"
MARKERS = re.compile("人工|真人|活人")
_HAN = re.compile(r"^[\u4e00-\u9fff]$")


def join_spelled_out(text: str) -> str:
    """Voice input and hurried typing put spaces between single characters: "转 人 工", "找 个 真 人",
    "嗯 那个 就是 转 人工 吧" are joined where one side of a space is one Chinese character, so the
    rules read 转人工. Spaces between longer words stay: they often end a clause ("…才到人工 人工听完…")."""
    tokens = text.split()
    if len(tokens) < 2:
        return text
    joined = [tokens[0]]
    for previous, token in zip(tokens, tokens[1:]):
        single = _HAN.match(previous) or _HAN.match(token)
        if single and _HAN.match(previous[-1]) and _HAN.match(token[0]):
            joined[-1] += token
        else:
            joined.append(token)
    return " ".join(joined)


LEXICON_FILE = "lexicon.json"


class HumanRequestRules:
    """The lexicon's rules, free of Rasa: `decide(text)` says promote, demote or None."""

    def __init__(
        self,
        request_patterns: List[str],
        negations: List[str],
        compounds: List[str],
        non_service_patterns: Optional[List[str]] = None,
        person_words: Optional[List[str]] = None,
        homophones: Optional[Dict[str, str]] = None,
    ):
        # 仁工 → 人工, 真仁 → 真人 … before any rule looks, so every rule written for 人工 reads its
        # slips of the input method too (a designer writes each rule once)
        self.homophones = [(re.compile(p), word) for word, p in (homophones or {}).items()]
        self.request = [re.compile(p) for p in request_patterns]
        self.negations = [re.compile(p) for p in negations]
        # Longest first, so 人工智能 is consumed before a shorter word could match part of it.
        self.compounds = sorted({c.lower() for c in compounds}, key=len, reverse=True)
        self.non_service = [re.compile(p) for p in non_service_patterns or []]
        self.person = re.compile("|".join(person_words)) if person_words else None

    @classmethod
    def from_dict(cls, data: Dict[str, List[str]]) -> HumanRequestRules:
        return cls(
            data.get("request_patterns", []),
            data.get("negations", []),
            data.get("non_service_compounds", []),
            data.get("non_service_patterns", []),
            data.get("person_words", []),
            data.get("homophones", {}),
        )

    def fold(self, text: str) -> str:
        """The text with spelled-out characters joined ("转 人 工") and homophones of 人工 / 真人
        written as those words ("仁工在吗" reads as 人工在吗), before any rule looks."""
        text = join_spelled_out(text)
        for pattern, word in self.homophones:
            text = pattern.sub(word, text)
        return text

    def without_non_service_words(self, text: str) -> str:
        """The text with 人工智能, 人工费, "人工要另外给钱" … blanked out."""
        for pattern in self.non_service:
            text = pattern.sub(" ", text)
        for compound in self.compounds:
            text = text.replace(compound, " ")
        return text

    def is_explicit_request(self, text: str) -> bool:
        stripped = self.without_non_service_words(text)
        for negation in self.negations:
            stripped = negation.sub(" ", stripped)
        return any(p.search(stripped) for p in self.request)

    def only_non_service_mentions(self, text: str) -> bool:
        """True when the message mentions 人工/真人/活人 only inside non-service words."""
        return bool(MARKERS.search(text)) and not MARKERS.search(self.without_non_service_words(text))

    def declines(self, text: str) -> bool:
        """ "不用转人工了", "唔使转人工": the only mention of a person is a no."""
        stripped = self.without_non_service_words(text)
        return any(n.search(stripped) for n in self.negations)

    def names_a_person(self, text: str) -> bool:
        """A request for a person names one somehow: 人, 客服, 机器人 (not a bot), 经理, human …"""
        return self.person is None or bool(self.person.search(text))

    def decide(self, text: str, top_intent: Optional[str], confidence: float = 1.0, sure: float = 0.0) -> Optional[str]:
        """ "promote" an unmistakable request the model did not lead with, or led with at less than
        `sure` ("你们这什么破系统 我要人工！": 0.52 against a complaint's 0.47, which the fallback
        would call ambiguous); "demote" a request the text does not make; else None."""
        if not text:
            return None
        text = self.fold(text)
        explicit = self.is_explicit_request(text)
        if explicit and (top_intent != HUMAN or confidence < sure):
            return "promote"
        if (
            top_intent == HUMAN
            and not explicit
            and (not self.names_a_person(text) or self.only_non_service_mentions(text) or self.declines(text))
        ):
            return "demote"
        return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class HumanRequestGuard(GraphComponent):
    """Promotes unmistakable requests for a person and demotes 人工智能-style false alarms."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon_path": "lexicon/human_request.yml", "promoted_confidence": 0.99}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        rules: Optional[HumanRequestRules] = None,
        lexicon: Optional[Dict] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._lexicon = lexicon or {}
        self._rules = rules

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HumanRequestGuard:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with open(self._config["lexicon_path"], encoding="utf-8") as handle:
            self._lexicon = yaml.safe_load(handle) or {}
        self._rules = HumanRequestRules.from_dict(self._lexicon)  # fail at training on a bad regex
        with self._model_storage.write_to(self._resource) as directory:
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
    ) -> HumanRequestGuard:
        with model_storage.read_from(resource) as directory:
            lexicon = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, HumanRequestRules.from_dict(lexicon), lexicon)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._rules is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            intent = message.get(INTENT) or {}
            if not isinstance(text, str):
                continue
            decision = self._rules.decide(
                text, intent.get("name"), intent.get("confidence") or 0.0, self._config["promoted_confidence"]
            )
            if not decision:
                continue
            ranking = message.get(INTENT_RANKING_KEY) or [intent]
            new_ranking = (
                promote(ranking, self._config["promoted_confidence"]) if decision == "promote" else demote(ranking)
            )
            if not new_ranking:
                continue
            message.set(INTENT, new_ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, new_ranking, add_to_output=True)
            message.set(
                "human_request_guard", {"decision": decision, "diet_intent": intent.get("name")}, add_to_output=True
            )
        return messages


def promote(ranking: List[Dict[str, Any]], confidence: float) -> List[Dict[str, Any]]:
    """request_human first with `confidence`; the others share what is left, in their order."""
    others = [r for r in ranking if r.get("name") != HUMAN]
    return [{"name": HUMAN, "confidence": confidence}] + [
        {**r, "confidence": r["confidence"] * (1 - confidence)} for r in others
    ]


def demote(ranking: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Drop request_human to the bottom; renormalise the others so the next best leads."""
    others = [r for r in ranking if r.get("name") != HUMAN]
    total = sum(r["confidence"] for r in others)
    if not others or total <= 0:
        return []
    return [{**r, "confidence": r["confidence"] / total} for r in others] + [{"name": HUMAN, "confidence": 0.0}]
