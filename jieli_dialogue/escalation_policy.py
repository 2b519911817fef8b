"""EscalationPolicy: the Rasa-native decision point for handing a customer to a person.

Every turn the policy looks at the tracker's current session and asks `jieli_dialogue.signals.decide` —
explicit requests, consecutive fallbacks, the same question asked again, complaints, insults and
the frustration score (docs/escalation.md). When a rule fires it predicts, with confidence 1.0,

* `action_handover` — pass the conversation to an agent;
* `action_ask_handover_problem` — the customer's very first message is a bare "转人工": ask
  one question, and hand over on the next message whatever it says;
* `action_offer_handover` — an explicit request below `human_request_limit` (only when a
  designer sets the limit above 1);
* `action_listen` — right after one of these actions.

Otherwise it predicts nothing (all zeros) and the other policies decide. Its priority (6) is above
RulePolicy's (4), so on equal confidence it wins; it only speaks right after a customer message
(or right after its own actions) and never while the conversation is paused.

With `action_handover` (and the ask / offer actions) it also sets the slot `escalation` to the
decision — the reasons, their Chinese explanations, the signals and the thresholds — so the
action server tells the agent exactly why the bot handed over.

Configuration (config.yml):

    - name: jieli_dialogue.escalation_policy.EscalationPolicy
      priority: 6
      human_request_limit: 1       # explicit requests that hand over (1: the first one does)
      fallback_limit: 3            # messages in a row the bot did not understand (0: off)
      unreadable_limit: 2          # messages in a row it could not read at all: garbled, empty, filler-only (0: off)
      miss_limit: 3                # messages in a row the bot did not help with (0: off)
      repeat_limit: 3              # times the same question is asked (0: off)
      complaint_limit: 2           # complaints (the first gets utter_complain) (0: off)
      insult_limit: 2              # insults (the first gets a calm utter_insult) (0: off)
      frustration_threshold: 0.7   # 0..1; 0.7 is where 愤怒 starts (0: off)
      upset_limit: 3               # messages in a row, each negative, at 不满 or more (0: off)
      ask_description_first: true  # a bare 转人工 as the first message: ask for the problem first
      lexicon_path: lexicon/frustration.yml

The lexicon is read at training time and stored inside the model (like HumanRequestGuard's).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from jieli_dialogue import signals

logger = logging.getLogger(__name__)

LEXICON_FILE = "frustration_lexicon.json"
PRIORITY = 6  # RulePolicy 4, MemoizationPolicy 3, TEDPolicy 1


def session_events(tracker: DialogueStateTracker) -> List[Dict[Text, Any]]:
    """The events of the tracker's current session, as dicts: all the signals read (a rolled
    session carries what they need from before it, jieli_dialogue/signals/carry.py). Rasa's SQL
    tracker store loads no more; an in-memory tracker holds the whole conversation, and converting
    all of it on every prediction made a turn cost more the longer the conversation."""
    events = list(tracker.events)
    start = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], SessionStarted):
            start = index
            break
    return [events[index].as_dict() for index in range(start, len(events))]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=True)
class EscalationPolicy(Policy):
    """Predicts the handover actions when the escalation rules fire (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        defaults = signals.Thresholds()
        return {
            "priority": PRIORITY,
            "human_request_limit": defaults.human_request_limit,
            "fallback_limit": defaults.fallback_limit,
            "unreadable_limit": defaults.unreadable_limit,
            "miss_limit": defaults.miss_limit,
            "repeat_limit": defaults.repeat_limit,
            "complaint_limit": defaults.complaint_limit,
            "insult_limit": defaults.insult_limit,
            "frustration_threshold": defaults.frustration_threshold,
            "upset_limit": defaults.upset_limit,
            "ask_description_first": defaults.ask_description_first,
            "clarify_below": defaults.clarify_below,
            "lexicon_path": "lexicon/frustration.yml",
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[TrackerFeaturizer] = None,
        lexicon: Optional[Dict[Text, Any]] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        try:
            self.thresholds = signals.Thresholds.from_mapping(config)
        except ValueError as error:
            raise InvalidConfigException(f"EscalationPolicy: {error}") from error
        self._lexicon_data = lexicon
        self.lexicon = signals.Lexicon.from_dict(lexicon) if lexicon is not None else None

    # -----------------------------------------------------------------------------------------
    # training: nothing to learn; read the lexicon and check the domain

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        path = Path(self.config["lexicon_path"])
        try:
            self._lexicon_data = signals.read_lexicon_file(path)
        except (OSError, ValueError) as error:
            raise InvalidConfigException(f"EscalationPolicy: cannot read the lexicon {path}: {error}") from error
        self.lexicon = signals.Lexicon.from_dict(self._lexicon_data)
        if signals.HANDOVER_ACTION not in domain.action_names_or_texts:
            raise InvalidConfigException(f"EscalationPolicy needs the action '{signals.HANDOVER_ACTION}' in the domain")
        for name in (signals.ASK_ACTION, signals.OFFER_ACTION, signals.CLARIFY_ACTION):
            if name not in domain.action_names_or_texts:
                logger.warning("EscalationPolicy: '%s' is not in the domain; it will hand over instead", name)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(json.dumps(self._lexicon_data, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EscalationPolicy:
        lexicon = None
        try:
            with model_storage.read_from(resource) as directory:
                lexicon = json.loads((Path(directory) / LEXICON_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError, OSError):
            logger.warning("EscalationPolicy: no lexicon in the model; reading %s", config.get("lexicon_path"))
        return cls(config, model_storage, resource, execution_context, lexicon=lexicon)

    # -----------------------------------------------------------------------------------------
    # prediction

    def _lexicon(self) -> signals.Lexicon:
        if self.lexicon is None:
            self.lexicon = signals.default_lexicon(self.config.get("lexicon_path"))
        return self.lexicon

    def decide(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[signals.Decision]:
        """The escalation decision for this tracker (None: no opinion)."""
        if tracker.is_paused():
            return None
        decision = signals.decide(session_events(tracker), self.thresholds, self._lexicon())
        if decision is None:
            return None
        known = domain.action_names_or_texts
        if decision.action not in known:
            if decision.action in (signals.ASK_ACTION, signals.OFFER_ACTION) and signals.HANDOVER_ACTION in known:
                return signals.Decision(
                    signals.HANDOVER_ACTION,
                    ("request_human",),
                    (signals.request_explanation(decision.signals),),
                    decision.signals,
                    decision.thresholds,
                )
            return None
        return decision

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        decision = self.decide(tracker, domain)
        if decision is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(decision.action)] = 1.0
        optional_events = []
        details = decision.as_dict()
        if decision.action != signals.ACTION_LISTEN:
            logger.debug("EscalationPolicy: %s because %s", decision.action, "; ".join(decision.explanations))
            if signals.ESCALATION_SLOT in {slot.name for slot in domain.slots}:
                optional_events.append(SlotSet(signals.ESCALATION_SLOT, details))
        return self._prediction(probabilities, optional_events=optional_events, diagnostic_data={"escalation": details})
