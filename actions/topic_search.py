"""Which answer topic a question is about when none of the topic's keywords is in it.

The shop's files list keywords per topic (shop/policy.yml, shop/manuals.yml) and `policy.pick_topic`
matches them first: exact, explainable, and what a designer controls. Customers use other words:
"现在还能补吗" for 补开发票, "用开水泡可以吗" for 用法用量, "收件人写谁" right after the return
address. Without a keyword the bot used to show a menu or ask for an order number: the customer
had asked something plain and got an answer beside the point.

`find` ranks the topics of the groups the caller names (the intent's section, the product asked
about, and the topic the bot answered just before: a follow-up is most often about the same thing)
by what the message means and by the words it shares with the topic:

    score = cos(E5 query vector of the message, E5 passage vector of title + keywords)
            + LEXICAL × Σ idf of the character pairs (and, weaker, single characters) the message
              shares with the topic's title, keywords and answer
            + FOLLOW_UP when the topic is the one answered just before

and answers only when the best is clearly ahead of the second (MARGIN) and the message says
enough to go on (MIN_CHARS): "发票" alone still gets the menu. The figures were chosen on the
questions of tests/actions/topic_questions.yml (written by the developers, not by customers).
The index is built on first use and again whenever the policy or the manuals change.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from actions import policy
from jieli_nlu.normalize import normalize_text

logger = logging.getLogger(__name__)

LEXICAL = 0.02
FOLLOW_UP = 0.08
MARGIN = 0.03
MIN_CHARS = 4
# the words shared and the last answer break near-ties in meaning; they never overrule it
MEANING_SLACK = 0.01
_NOT_WORDS = re.compile(r"[\s,.!?~:;、，。！？：；（）()「」【】\[\]…\-—·'\"“”]+")


@dataclass(frozen=True)
class Found:
    """The topic found, its group (a policy section such as "invoice" or a product id), and by how
    far it beat the next best (a designer looking at a wrong answer wants to know)."""

    group: str
    topic: dict
    score: float
    margin: float


def _pairs(text: str) -> Counter:
    """Character pairs (weight 1) and single characters (weight 0.3) of the normalised text."""
    compact = _NOT_WORDS.sub("", normalize_text(text))
    grams: Counter = Counter()
    for i in range(len(compact) - 1):
        grams[compact[i : i + 2]] = 1.0
    for ch in compact:
        grams[ch] = 0.3
    return grams


def _passage(topic: dict) -> str:
    keywords = "、".join(str(k) for k in topic.get("keywords") or [] if k is not None)
    return f"{topic.get('title') or ''}：{keywords}"


class TopicIndex:
    """Every answer topic of the policy's answer sections and of the product manuals."""

    def __init__(self, entries: Sequence[tuple[str, dict]]):
        from jieli_nlu.e5 import embed_passages

        self.entries = list(entries)
        self.keys = [(group, str(topic.get("id"))) for group, topic in self.entries]
        self.vectors = embed_passages([_passage(topic) for _, topic in self.entries])
        self.grams = [
            _pairs(f"{topic.get('title') or ''} {_passage(topic)} {policy.fmt(topic.get('answer') or '')}")
            for _, topic in self.entries
        ]
        df = Counter(g for grams in self.grams for g in grams)
        self.idf = {g: math.log(len(self.entries) / n) for g, n in df.items()}

    def rank(
        self, text: str, groups: Iterable[str], previous: tuple[str, str] | None = None
    ) -> list[tuple[float, int, float]]:
        """(score, entry index, meaning alone: the cosine) of the topics of `groups`, best first."""
        from jieli_nlu.e5 import embed

        wanted = set(groups) | ({previous[0]} if previous else set())
        candidates = [i for i, (group, _) in enumerate(self.entries) if group in wanted]
        if not candidates:
            return []
        query = embed([normalize_text(text)])[0]
        grams = _pairs(text)
        scored = []
        for i in candidates:
            shared = sum(weight * self.idf.get(g, 0.0) for g, weight in grams.items() if g in self.grams[i])
            meaning = float(self.vectors[i] @ query)
            score = meaning + LEXICAL * shared
            if previous is not None and self.keys[i] == previous:
                score += FOLLOW_UP
            scored.append((score, i, meaning))
        return sorted(scored, reverse=True)


_index: TopicIndex | None = None
_index_key: tuple[int, int] | None = None
_lock = threading.Lock()


def answer_entries() -> list[tuple[str, dict]]:
    """(group, topic) for every topic that answers on its own: the policy's answer sections (not
    the topics that need an order looked up) and every product's manual topics."""
    entries = [
        (name, topic)
        for name in policy.ANSWER_SECTIONS
        for topic in policy.topics(name)
        if not topic.get("needs_order")
    ]
    for product in policy.products():
        entries.extend((str(product["id"]), topic) for topic in policy.topics(product.get("topics")))
    return entries


def index() -> TopicIndex:
    """The index of the current policy and manuals (rebuilt when either file changed)."""
    global _index, _index_key
    with _lock:
        key = (id(policy.load_policy()), id(policy.load_manuals()))
        if _index is None or _index_key != key:
            _index, _index_key = TopicIndex(answer_entries()), key
        return _index


def topic_of_answer(text: str | None) -> tuple[str, str] | None:
    """(group, topic id) of the topic whose answer the bot said in `text`, if any."""
    if not text:
        return None
    for group, topic in answer_entries():
        answer = policy.fmt(topic.get("answer") or "")
        if answer and text.startswith(answer[:40]):
            return group, str(topic.get("id"))
    return None


def not_a_question(normalized: str) -> bool:
    """Keyboard mash, or "还是那样" / "没用": nothing to look up — the escalation rules count it."""
    from jieli_dialogue.signals import default_lexicon
    from jieli_dialogue.signals.unhelped_turns import not_helped_text
    from jieli_nlu.nonsense import nonsense

    return nonsense(normalized) or not_helped_text(normalized, default_lexicon())


def without_product_names(text: str, groups: Iterable[str]) -> str:
    """The message without the names of the products searched ("电热水壶" alone asks nothing)."""
    normalized = normalize_text(text)
    for group in groups:
        product = policy.get_product(group)
        if product:
            names = [str(product.get("name") or ""), *(str(a) for a in product.get("aliases") or [])]
            for name in sorted((normalize_text(n) for n in names if n), key=len, reverse=True):
                normalized = normalized.replace(name, " ")
    return normalized


def find(text: str | None, groups: Iterable[str], previous_answer: str | None = None) -> Found | None:
    """The topic of `groups` (or the one answered just before, `previous_answer` being the bot's
    last message) that the message is clearly about, or None (then the caller asks)."""
    return _find(text, list(groups), topic_of_answer(previous_answer))


def follow_up(text: str | None, previous_answer: str | None) -> Found | None:
    """The topic the bot answered just before (`previous_answer`), when the message is clearly a
    follow-up on it ("收件人写谁" right after the return address); else None."""
    previous = topic_of_answer(previous_answer)
    if previous is None:
        return None
    found = _find(text, [previous[0]], previous)
    return found if found is not None and (found.group, str(found.topic.get("id"))) == previous else None


def _find(text: str | None, groups: list[str], previous: tuple[str, str] | None) -> Found | None:
    if not text or policy.is_payload(text):
        return None
    text = without_product_names(text, groups)
    if len(_NOT_WORDS.sub("", text)) < MIN_CHARS or not_a_question(text):
        return None
    try:
        found_index = index()
        ranked = found_index.rank(text, groups, previous)
    except Exception:  # the encoder could not load: the keywords and the menus still work
        logger.exception("topic search is not available")
        return None
    if not ranked:
        return None
    best_score, best, best_meaning = ranked[0]
    margin = best_score - ranked[1][0] if len(ranked) > 1 else best_score
    if margin < MARGIN or best_meaning < max(meaning for *_, meaning in ranked) - MEANING_SLACK:
        return None  # not clearly ahead, or ahead only by shared words or by being the last answer
    group, topic = found_index.entries[best]
    return Found(group, topic, round(best_score, 3), round(margin, 3))


def best_of(text: str, group: str, tied: Sequence[dict]) -> dict | None:
    """Of topics of `group` that match the message's keywords equally well, the one it means."""
    wanted = {str(topic.get("id")) for topic in tied}
    try:
        found_index = index()
        for _, i, _ in found_index.rank(text, [group]):
            if found_index.keys[i][1] in wanted:
                return found_index.entries[i][1]
    except Exception:
        logger.exception("topic search is not available")
    return None


def warm_up() -> None:
    """Load the encoder and build the index (the action server calls this at start, in the
    background, so the first customer who needs it does not wait)."""
    try:
        index()
    except Exception:
        logger.exception("topic search could not be prepared")
