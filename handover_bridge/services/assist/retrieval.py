"""Retrieval over the customer's own words: which entries answer what they wrote.

Measured on tests/assist/dev.yml (`make eval-assist`, docs/agents.md): jieba's search-mode words plus
character bigrams, ranked by BM25 (rank_bm25), plus a bonus for the topic's keywords found in the
message (longer keywords count more, as the bot's keyword picker does). Every customer message of
the conversation is a query; the latest counts most, earlier ones less (``decay`` per step back).

An `Index` is built once from a list of entries (start-up, or when a source changed), never per
request; `search` is pure CPU (a few milliseconds for a few hundred entries).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import jieba
from rank_bm25 import BM25Okapi

from .knowledge import Entry

jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"[\u3400-\u9fff]+")
# Asking for a person says nothing about the topic, and "人工客服" would match the contact answer
# ("在线人工客服 …"): taken out before the words and bigrams are made.
_PERSON = re.compile(r"转人工|人工客服|找人工|要人工|人工服务|真人|人工|客服")
_WORD = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+(?:[-.][a-z0-9]+)*")
# Words that say nothing about the topic: greetings, particles, pronouns, asking for a person.
STOPWORDS = frozenset(
    """的 了 吗 呢 吧 啊 呀 哦 嘛 么 我 你 您 他 她 它 们 我们 你们 这 那 这个 那个 就 都 也 还 是 在 有 和 跟 要 会 能
    可以 一下 一个 什么 怎么 怎么办 为什么 请问 你好 您好 谢谢 麻烦 帮 帮我 给 让 把 被 到 说 问 想 好 不 没 没有 吧
    客服 人工 转人工 人工客服 真人 在吗 哈 嗯 呃 额 啦 喂 老是 现在 今天 已经 就是 但是 然后 因为 所以 如果 自己""".split()
)


def normalise(text: str) -> str:
    """Half-width, lower case, whitespace folded: how both sides are compared."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "").lower()).strip()


@dataclass(frozen=True)
class Params:
    decay: float = 0.6  # weight of each earlier customer message relative to the next one
    keyword_weight: float = 0.2  # the keyword bonus, relative to the best BM25 score of a message
    bigrams: bool = True
    title_repeat: int = 1
    keyword_repeat: int = 2
    max_messages: int = 8  # the customer's last messages that count


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


class Tokenizer:
    """jieba with the entries' keywords and product names as words, plus CJK character bigrams."""

    def __init__(self, words: Sequence[str] = (), bigrams: bool = True):
        self._jieba = jieba.Tokenizer()
        for word in sorted({normalise(w) for w in words if w and len(w) > 1}):
            self._jieba.add_word(word, freq=2000)
        self.bigrams = bigrams

    def __call__(self, text: str) -> list[str]:
        text = _PERSON.sub(" ", normalise(text))
        tokens = [w for w in self._jieba.lcut_for_search(text) if _WORD.fullmatch(w) and w not in STOPWORDS]
        if self.bigrams:
            for run in _CJK.findall(text):
                tokens.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
        return tokens


def _document(entry: Entry, params: Params) -> str:
    aliases = entry.extra.get("aliases") or ()
    parts = [entry.title] * params.title_repeat + list(entry.keywords) * params.keyword_repeat
    parts += list(aliases) + [entry.body or entry.text]
    return " ".join(parts)


class Index:
    """BM25 over the entries plus their keywords; built once, searched many times."""

    def __init__(self, entries: Sequence[Entry], params: Params | None = None, tokenizer: Tokenizer | None = None):
        self.params = params or Params()
        self.entries = list(entries)
        words = [w for e in self.entries for w in (*e.keywords, *(e.extra.get("aliases") or ()))]
        self.tokenize = tokenizer or Tokenizer(words, bigrams=self.params.bigrams)
        corpus = [self.tokenize(_document(e, self.params)) or ["#empty"] for e in self.entries]
        self._bm25 = BM25Okapi(corpus) if corpus else None
        self._keywords = [
            tuple({normalise(k) for k in (*e.keywords, *(e.extra.get("aliases") or ())) if k}) for e in self.entries
        ]

    def __len__(self) -> int:
        return len(self.entries)

    def _message_scores(self, message: str) -> list[float]:
        assert self._bm25 is not None
        tokens = self.tokenize(message)
        bm25 = list(self._bm25.get_scores(tokens)) if tokens else [0.0] * len(self.entries)
        top = max(bm25) if bm25 else 0.0
        scale = top if top > 0 else 1.0
        text = normalise(message)
        scores = []
        for i, base in enumerate(bm25):
            bonus = sum(len(k) for k in self._keywords[i] if k in text)
            scores.append(base / scale + self.params.keyword_weight * math.log1p(bonus))
        return scores

    def search(self, messages: Sequence[str], k: int = 3) -> list[Hit]:
        """The best ``k`` entries for a customer's messages (oldest first), with their scores."""
        messages = [m for m in messages if m and m.strip()][-self.params.max_messages :]
        if not messages or not self.entries:
            return []
        total = [0.0] * len(self.entries)
        weight = 1.0
        weights = 0.0
        for message in reversed(messages):
            if not self.tokenize(message):  # only "转人工", "在吗", "?": says nothing about the topic
                continue
            for i, score in enumerate(self._message_scores(message)):
                total[i] += weight * score
            weights += weight
            weight *= self.params.decay
        if not weights:
            return []
        ranked = sorted(range(len(total)), key=lambda i: total[i], reverse=True)
        hits = []
        for i in ranked:
            if total[i] <= 0 or len(hits) == k:
                break
            hits.append(Hit(self.entries[i], round(float(total[i]) / weights, 4)))
        return hits
