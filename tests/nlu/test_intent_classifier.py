"""The calibrated intent classifier: temperature scaling and the prior, on small real models."""

import math

import pytest

from jieli_nlu.intent_classifier import combine, sources_disagree


def test_without_a_prior_it_is_the_temperature_scaled_regression():
    lr = {"refund": 0.6, "order_status": 0.3, "greet": 0.1}
    assert combine({}, lr, 0.7, 1.0) == pytest.approx(lr)
    sharper = combine({}, lr, 0.0, 0.5)
    assert sharper["refund"] > 0.6 and sum(sharper.values()) == pytest.approx(1.0)
    softer = combine({}, lr, 0.0, 2.0)
    assert softer["refund"] < 0.6
    # the temperature never changes which intent wins
    assert max(sharper, key=sharper.get) == max(softer, key=softer.get) == "refund"


def test_a_prior_moves_the_answer_by_its_weight():
    prior = {"complain": 0.9, "refund": 0.1}
    lr = {"complain": 0.2, "refund": 0.8}
    assert max(combine(prior, lr, 0.0, 1.0).items(), key=lambda kv: kv[1])[0] == "refund"
    assert max(combine(prior, lr, 1.0, 1.0).items(), key=lambda kv: kv[1])[0] == "complain"
    mixed = combine(prior, lr, 0.5, 1.0)
    assert mixed["refund"] == pytest.approx(1 / (1 + math.sqrt(0.9 * 0.2 / (0.1 * 0.8))))


def test_an_intent_one_model_left_out_is_unlikely_not_impossible():
    p = combine({"greet": 1.0}, {"greet": 0.5, "thank": 0.5}, 0.5, 1.0)
    assert 0 < p["thank"] < p["greet"]


def test_disagreement_is_read_from_the_parse_result():
    agree = {"intent_sources": {"prior": [{"name": "refund"}], "lr": [{"name": "refund"}]}}
    differ = {"intent_sources": {"prior": [{"name": "refund"}], "lr": [{"name": "complain"}]}}
    assert not sources_disagree(agree) and sources_disagree(differ)
    assert not sources_disagree({}) and not sources_disagree(None)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("锟斤拷锟斤拷锟斤拷", True),
        ("烫烫烫烫烫烫", True),
        ("\ufffd\ufffd\ufffd", True),
        ("", True),
        ("   ", True),
        ("鎴戣\ufffd侀\ufffd\ufffd娆撅紝璁㈠崟杩樻病", True),
        ("æˆ‘è¦é€€æ¬¾ï¼Œè®¢å•è¿˜æ²¡å‘è´§", True),
        ("café 的咖啡机怎么用", False),
        ("Crème brûlée 模具有吗", False),
        ("这个\ufffd是什么", False),
        ("???", False),
        ("👍", False),
        ("你好", False),
        ("asdf", False),
        ("烫", False),
        ("锟斤拷 我的订单呢", False),
    ],
)
def test_garbled_text_is_nothing_a_person_wrote(text, expected):
    from jieli_nlu.intent_classifier import garbled

    assert garbled(text) is expected
