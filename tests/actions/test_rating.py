"""action_rating_thanks: the 1–5 rating from a button or typed words, and a warm answer."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.rating_actions import (
    THANKS_HIGH,
    THANKS_LOW,
    THANKS_MIDDLE,
    THANKS_UNKNOWN,
    ActionRatingThanks,
    parse_rating,
)
from jieli_testkit import HUMAN, load_tracker, message, run_action


def rating(value: str) -> list[dict]:
    return [{"entity": "rating", "value": value, "start": 5, "end": 20}]


@pytest.mark.parametrize(
    "entity,text,expected",
    [
        ("5", '/rate{"rating":"5"}', 5),
        ("1", '/rate{"rating":"1"}', 1),
        (None, "5分", 5),
        (None, "给4分吧", 4),
        (None, "五星", 5),
        (None, "打個3分吧", 3),
        (None, "一星", 1),
        (None, "满分", 5),
        (None, "非常满意", 5),
        (None, "满意", 4),
        (None, "一般吧", 3),
        (None, "不太满意 2分", 2),
        (None, "不满意", 2),
        (None, "非常不满意", 1),
        (None, "⭐⭐⭐⭐⭐", 5),
        (None, "★★★", 3),
        (None, "好评好评", 5),
        (None, "给个中评吧", 3),
        (None, "一星差评", 1),
        (None, "差评", 1),
        (None, "订单2024111500034503", None),
        (None, "谢谢", None),
    ],
)
def test_parse_rating(entity, text, expected):
    assert parse_rating(entity, text) == expected


@pytest.mark.parametrize(
    "text,entities,reply,value",
    [
        ('/rate{"rating":"5"}', rating("5"), message(THANKS_HIGH), "5"),
        ("4分 客服挺耐心的", [], message(THANKS_HIGH), "4"),
        ("一般般 3分", [], message(THANKS_MIDDLE), "3"),
        ('/rate{"rating":"1"}', rating("1"), message(THANKS_LOW, buttons=[HUMAN]), "1"),
        ("2分", [], message(THANKS_LOW, buttons=[HUMAN]), "2"),
    ],
)
def test_thanks_by_rating(text, entities, reply, value):
    events, messages = run_action(
        ActionRatingThanks(), load_tracker("bad_input", text=text, intent="rate", entities=entities)
    )
    assert events == [SlotSet("rating", value)]
    assert messages == [reply]


def test_no_rating_found_still_thanks():
    events, messages = run_action(ActionRatingThanks(), load_tracker("bad_input", text="好的", intent="rate"))
    assert events == [] and messages == [message(THANKS_UNKNOWN)]


def test_low_rating_wording():
    assert THANKS_LOW.startswith("非常抱歉这次没能让您满意")
    assert "转人工" in THANKS_LOW
