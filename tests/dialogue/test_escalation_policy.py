"""EscalationPolicy inside Rasa: DialogueStateTracker objects built from events, the real domain,
predict_action_probabilities, the ensemble against RulePolicy, training and loading."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

from convo import Convo
from jieli_dialogue import signals as sig
from jieli_dialogue.escalation_policy import LEXICON_FILE, EscalationPolicy

ROOT = Path(__file__).resolve().parents[2]
PENDING = {"event": "slot", "name": "handover_pending", "value": True}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def make_policy(tmp_path, domain):
    """Train (read the lexicon, store it) and load a policy, as `rasa train` and `rasa run` do."""
    counter = iter(range(100))

    def make(lexicon_path: Path | None = None, **overrides) -> EscalationPolicy:
        (tmp_path / "model").mkdir(exist_ok=True)
        storage = LocalModelStorage(tmp_path / "model")
        resource = Resource(f"train_EscalationPolicy{next(counter)}")
        context = ExecutionContext(GraphSchema({}), "test")
        config = {
            **EscalationPolicy.get_default_config(),
            "lexicon_path": str(lexicon_path or ROOT / "lexicon" / "frustration.yml"),
            **overrides,
        }
        policy = EscalationPolicy.create(copy.deepcopy(config), storage, resource, context)
        policy.train([], domain)
        return EscalationPolicy.load(copy.deepcopy(config), storage, resource, context)

    return make


@pytest.fixture
def policy(make_policy) -> EscalationPolicy:
    return make_policy()


@pytest.fixture
def ask_first(make_policy) -> EscalationPolicy:
    return make_policy(ask_description_first=True)


def tracker(convo: Convo, domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_dict(convo.sender, convo.events, domain.slots)


def predicted(policy: EscalationPolicy, convo: Convo, domain: Domain) -> tuple[str | None, PolicyPrediction]:
    prediction = policy.predict_action_probabilities(tracker(convo, domain), domain)
    if max(prediction.probabilities) == 0:
        return None, prediction
    return domain.action_names_or_texts[prediction.max_confidence_index], prediction


def test_registered_as_a_policy():
    registered = DefaultV1Recipe._registered_components[EscalationPolicy.__name__]
    assert DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT in registered.types


def test_config_yml_puts_it_above_rule_policy_with_its_thresholds():
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    policies = {p["name"]: p for p in config["policies"]}
    mine = policies["jieli_dialogue.escalation_policy.EscalationPolicy"]
    assert mine["priority"] > policies["RulePolicy"].get("priority", 4)
    assert sig.Thresholds.from_mapping(mine) == sig.Thresholds(
        human_request_limit=mine["human_request_limit"],
        fallback_limit=mine["fallback_limit"],
        unreadable_limit=mine["unreadable_limit"],
        miss_limit=mine["miss_limit"],
        repeat_limit=mine["repeat_limit"],
        complaint_limit=mine["complaint_limit"],
        insult_limit=mine["insult_limit"],
        frustration_threshold=mine["frustration_threshold"],
        ask_description_first=mine["ask_description_first"],
        clarify_below=mine["clarify_below"],
    )
    assert mine["human_request_limit"] == 1, "the first explicit request hands over"
    assert mine["ask_description_first"] is False, "a first 转人工 hands over at once: nobody asks twice"


def test_explicit_request_predicts_the_handover_and_records_why(policy, domain):
    convo = Convo().user("我的退款被拒绝了", "refund").bot("action_refund", "退款被驳回的常见原因有……")
    convo.user("人工客服", "request_human")
    action, prediction = predicted(policy, convo, domain)
    assert action == "action_handover" and prediction.max_confidence == 1.0
    assert prediction.policy_name == "EscalationPolicy" and prediction.policy_priority == 6
    [slot] = prediction.optional_events
    assert isinstance(slot, SlotSet) and slot.key == "escalation"
    assert slot.value["reasons"] == ["request_human"]
    assert slot.value["thresholds"]["human_request_limit"] == 1
    json.dumps(slot.value)  # the slot must be JSON


def test_no_opinion_on_ordinary_turns(policy, domain):
    convo = Convo().user("退款什么时候到账", "refund")
    action, prediction = predicted(policy, convo, domain)
    assert action is None and prediction.optional_events == []


def test_silent_while_paused_and_after_the_handover(policy, domain):
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    convo.bot("action_handover", "好的，已经为您转接人工客服", listen=False).pause().action("action_listen")
    assert predicted(policy, convo, domain)[0] is None
    convo.user("人工人工", "request_human")
    assert tracker(convo, domain).is_paused()
    assert predicted(policy, convo, domain)[0] is None


def test_a_second_escalation_after_the_agent_hands_back(policy, domain):
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    convo.bot("action_handover", "好的", listen=False).pause().action("action_listen").resume()
    convo.user("EXTERNAL: request_rating", "request_rating", external=True)
    assert predicted(policy, convo, domain)[0] is None  # the rating rule answers
    convo.bot("utter_ask_rating", "请打分").user('/rate{"rating":"2"}', "rate")
    assert predicted(policy, convo, domain)[0] is None
    convo.bot("action_rating_thanks", "非常抱歉").user("还是没解决 人工", "request_human")
    assert predicted(policy, convo, domain)[0] == "action_handover"


def test_first_message_request_hands_over_at_once(policy, domain):
    convo = Convo().user("轉人工客服!!!", "request_human")
    assert predicted(policy, convo, domain)[0] == "action_handover"


def test_first_message_request_asks_then_hands_over_when_a_designer_wants_it(ask_first, domain):
    policy = ask_first
    convo = Convo().user("轉人工客服!!!", "request_human")
    assert predicted(policy, convo, domain)[0] == "action_ask_handover_problem"
    convo.bot(
        "action_ask_handover_problem",
        "请简单描述一下您遇到的问题，我马上为您转接人工客服～",
        events=[PENDING],
        listen=False,
    )
    assert predicted(policy, convo, domain)[0] == "action_listen"
    convo.action("action_listen").user("我买的药五天了还没发货", "order_status")
    action, prediction = predicted(policy, convo, domain)
    assert action == "action_handover"
    assert prediction.optional_events[0].value["signals"]["pending_description"] is True


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({}, "action_handover"),
        ({"fallback_limit": 4}, None),
        ({"fallback_limit": 0}, None),
    ],
)
def test_fallback_limit_comes_from_the_config(make_policy, domain, overrides, expected):
    policy = make_policy(**{"unreadable_limit": 0, **overrides})  # fallback_limit's rule on its own
    convo = Convo()
    for text in ("耳机连不上", "左耳没声音"):
        convo.user(text, "nlu_fallback", confidence=0.3).bot("utter_default", "抱歉，我没太明白")
    convo.user("重置了也不行", "nlu_fallback", confidence=0.3)
    assert predicted(policy, convo, domain)[0] == expected


def test_human_request_limit_comes_from_the_config(make_policy, domain):
    policy = make_policy(human_request_limit=2)
    convo = Convo().user("退款被拒了", "refund").bot("action_refund", "……").user("人工客服", "request_human")
    assert predicted(policy, convo, domain)[0] == "action_offer_handover"
    convo.bot("action_offer_handover", "我可以为您转接").user("/request_human", "request_human", confidence=1.0)
    assert predicted(policy, convo, domain)[0] == "action_handover"


def test_bad_config_is_refused(make_policy, domain):
    with pytest.raises(InvalidConfigException):
        make_policy(human_request_limit=0)
    with pytest.raises(InvalidConfigException):
        make_policy(lexicon_path=ROOT / "lexicon" / "missing.yml")


def test_the_lexicon_is_stored_in_the_model(make_policy, domain, tmp_path):
    lexicon = tmp_path / "frustration.yml"
    data = yaml.safe_load((ROOT / "lexicon" / "frustration.yml").read_text(encoding="utf-8"))
    data["negative"]["不开心"] = 0.65
    lexicon.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    policy = make_policy(lexicon_path=lexicon)
    lexicon.unlink()  # the trained model no longer needs the file
    stored = next((tmp_path / "model").rglob(LEXICON_FILE))
    assert "不开心" in json.loads(stored.read_text(encoding="utf-8"))["negative"]
    convo = Convo().user("不开心", "order_status").bot("action_order_status", "……").user("还是不开心", "order_status")
    action, prediction = predicted(policy, convo, domain)
    assert action == "action_handover"
    assert "frustration" in prediction.optional_events[0].value["reasons"]


def test_the_ensemble_prefers_the_escalation_over_the_rule(ask_first, domain):
    """A bare first-message 转人工: RulePolicy's rule says action_handover, the policy (asking
    first, as a designer may set it) says ask first."""
    policy = ask_first
    convo = Convo().user("转人工", "request_human")
    current = tracker(convo, domain)
    ours = policy.predict_action_probabilities(current, domain)
    rule = PolicyPrediction.for_action_name(domain, "action_handover", "RulePolicy")
    rule.policy_priority = 4
    for order in ([rule, ours], [ours, rule]):
        best = DefaultPolicyPredictionEnsemble().combine_predictions(order, current, domain)
        assert domain.action_names_or_texts[best.max_confidence_index] == "action_ask_handover_problem"
        assert best.policy_name == "EscalationPolicy"
    assert any(isinstance(e, SlotSet) and e.key == "escalation" for e in best.events)


def test_without_the_ask_action_in_the_domain_it_hands_over(policy, domain):
    data = domain.as_dict()
    data["actions"] = [a for a in data["actions"] if a != "action_ask_handover_problem"]
    smaller = Domain.from_dict(data)
    convo = Convo().user("转人工", "request_human")
    action, _ = predicted(policy, convo, smaller)
    assert action == "action_handover"
