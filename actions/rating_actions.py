"""After the agent: the customer rates the service (docs/escalation.md).

The bridge resumes the conversation and triggers `request_rating`; a rule answers with
`utter_ask_rating` (buttons 1–5, payload `/rate{"rating":"5"}` …). `rate` — a button, or typed
("5分", "五星", "非常满意", "一般吧") — gets `action_rating_thanks`: warm thanks, and for a low
rating an apology and an offer to help further. Then the bot is back in its ordinary mode.
"""

from __future__ import annotations

import re

from rasa_sdk.events import SlotSet

from actions.common import HUMAN_BUTTON, JieliAction, entity_value, latest_text
from jieli_nlu.normalize import normalize_text

THANKS_HIGH = "谢谢您的评价 😊 很高兴这次能帮到您！之后有任何问题，随时来找我。"
THANKS_MIDDLE = "谢谢您的评价，我们会继续改进 🙏 还有什么需要帮忙的，随时告诉我。"
THANKS_LOW = (
    "非常抱歉这次没能让您满意 🙏 您的评价我们已经记下，会认真改进。"
    "如果问题还没解决，可以直接告诉我，或者点「转人工」请客服继续帮您。"
)
THANKS_UNKNOWN = "谢谢您的反馈 😊 还有其他问题随时问我。"

_DIGIT = re.compile(r"(?<!\d)([1-5])(?!\d)\s*(分|星|颗星|stars?)?")
_CHINESE = re.compile(r"([一二两三四五])\s*(分|星|颗星)")
_WORDS = (  # checked in this order: "不满意" before "满意"
    ("差评", 1),
    ("中评", 3),
    ("非常不满意", 1),
    ("很不满意", 1),
    ("极差", 1),
    ("很差", 1),
    ("太差", 1),
    ("不太满意", 2),
    ("不满意", 2),
    ("不怎么样", 2),
    ("满分", 5),
    ("非常满意", 5),
    ("十分满意", 5),
    ("超级满意", 5),
    ("特别满意", 5),
    ("很满意", 5),
    ("非常好", 5),
    ("一般", 3),
    ("还行", 3),
    ("凑合", 3),
    ("马马虎虎", 3),
    ("好评", 5),
    ("满意", 4),
    ("不错", 4),
    ("挺好", 4),
)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}


def parse_rating(entity: str | None, text: str | None) -> int | None:
    """The 1–5 rating from the `rating` entity (buttons) or from what the customer typed."""
    for candidate in (entity, text):
        if candidate is None:
            continue
        normalized = normalize_text(str(candidate))
        if normalized.startswith("/"):
            continue
        match = _DIGIT.search(normalized)
        if match:
            return int(match.group(1))
        match = _CHINESE.search(normalized)
        if match:
            return _CN_DIGITS[match.group(1)]
        for word, score in _WORDS:
            if word in normalized:
                return score
        stars = normalized.count("⭐") + normalized.count("★")
        if 1 <= stars <= 5:
            return stars
    return None


class ActionRatingThanks(JieliAction):
    def name(self) -> str:
        return "action_rating_thanks"

    def handle(self, dispatcher, tracker, domain):
        rating = parse_rating(entity_value(tracker, "rating"), latest_text(tracker))
        if rating is None:
            dispatcher.utter_message(text=THANKS_UNKNOWN)
            return []
        if rating >= 4:
            dispatcher.utter_message(text=THANKS_HIGH)
        elif rating == 3:
            dispatcher.utter_message(text=THANKS_MIDDLE)
        else:
            dispatcher.utter_message(text=THANKS_LOW, buttons=[HUMAN_BUTTON])
        return [SlotSet("rating", str(rating))]
