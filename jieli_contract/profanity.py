"""The one profanity matcher: the escalation signals (Rasa and the action server), the bridge
(`Message.abusive`) and the agent console (static/console/protect.js, which gets the list and the
folding table from GET /api/lexicon/profanity) all follow these rules.

The words live in `lexicon/profanity.yml`: `words`, and `allow`, innocent phrases that contain a
word ("我妈的生日", "滚筒洗衣机" needs none). A text is read like this, character by character:

1. NFKC (full width → half width: "ＳＢ" → "SB"), lower case;
2. Traditional and variant characters folded to the Simplified form the lexicon uses (`FOLD`: 媽 → 妈,
   妳 → 你, 廢 → 废 …; only characters of the lexicon's words and phrases need folding);
3. every space, punctuation mark, symbol, control or invisible character and "_" dropped, so
   "傻 逼", "傻-逼" and "傻\u200b逼" read "傻逼".

A word is found where it occurs in that text, unless the occurrence lies inside an occurrence of an
`allow` phrase. A Latin word ("sb", "fuck", "on9") is found only as a whole word: no Latin letter
right before or after it, unless a space or mark stood between ("SB客服", "s.b", "fuck you" match;
"usb", "this is bad" do not). `matches` gives the words found (a word inside a longer word found is
not given again: "他妈的", not also "妈的"); `mask` replaces the characters of every occurrence in
the ORIGINAL text with "*", so Traditional, spaced or full-width profanity is masked too.

Standard library only (PyYAML for `load`); nothing is read at import time.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "lexicon" / "profanity.yml"
MAX_CHARS = 4000  # longer texts are checked on their first MAX_CHARS characters

# Simplified character → the Traditional and variant forms customers type for it (OpenCC t2s and
# the variants jieli_nlu.normalize folds), for every character of the lexicon's words and allowed
# phrases that has any. tests/nlu/test_profanity.py checks it against OpenCC: add a line when a
# new word brings a new character.
_FOLD_SOURCE = {
    "个": "個箇",
    "东": "東",
    "丢": "丟",
    "仆": "僕",
    "你": "妳祢禰",
    "儿": "兒",
    "养": "養",
    "册": "冊",
    "医": "醫",
    "卧": "臥",
    "妈": "媽",
    "娘": "孃",
    "家": "傢",
    "干": "乾幹榦",
    "废": "廢",
    "开": "開",
    "戆": "戇",
    "扑": "撲",
    "机": "機",
    "杂": "雜",
    "样": "樣",
    "残": "殘",
    "滚": "滾",
    "犊": "犢",
    "猪": "豬",
    "玛": "瑪",
    "痴": "癡",
    "瘫": "癱",
    "种": "種",
    "笔": "筆",
    "线": "綫線",
    "经": "經",
    "头": "頭",
    "给": "給",
    "脑": "腦",
    "节": "節",
    "货": "貨",
    "贱": "賤",
    "进": "進",
    "顶": "頂",
    "铲": "剷鏟",
    "马": "馬",
    "鸠": "鳩",
    "龟": "龜",
}
FOLD: dict[str, str] = {variant: simple for simple, variants in _FOLD_SOURCE.items() for variant in variants}

_LATIN_WORD = re.compile(r"[a-z0-9]+")
_LATIN_LETTER = re.compile(r"[a-z]")


class LexiconError(ValueError):
    """The lexicon file is missing or malformed."""


def _skipped(char: str) -> bool:
    # JavaScript (protect.js): /[\s\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}]/u ("_" is punctuation)
    category = unicodedata.category(char)
    return char.isspace() or category[0] in "PSZ" or category in ("Cc", "Cf")


@dataclass(frozen=True)
class Scanned:
    """A text as the matcher reads it: `plain`, and for each of its characters the index of the
    original character it comes from (`owner`) and whether a skipped character stood before it
    (`gap`)."""

    plain: str
    owner: tuple[int, ...]
    gap: tuple[bool, ...]

    def boundary(self, position: int) -> bool:
        """True when a Latin word may start or end at `position` (between two characters)."""
        if position <= 0 or position >= len(self.plain) or self.gap[position]:
            return True
        return not (_LATIN_LETTER.match(self.plain[position - 1]) and _LATIN_LETTER.match(self.plain[position]))


def scan(text: Any) -> Scanned:
    """Read a text the matcher's way (see the module docstring)."""
    plain: list[str] = []
    owner: list[int] = []
    gap: list[bool] = []
    skipped = False
    for index, char in enumerate(str(text or "")[:MAX_CHARS]):
        for piece in unicodedata.normalize("NFKC", char).lower():
            if _skipped(piece):
                skipped = True
                continue
            plain.append(FOLD.get(piece, piece))
            owner.append(index)
            gap.append(skipped)
            skipped = False
    return Scanned("".join(plain), tuple(owner), tuple(gap))


def normalize(text: Any) -> str:
    """The text as the matcher sees it (the same as protect.js `normalize`)."""
    return scan(text).plain


def _occurrences(needle: str, haystack: str) -> Iterable[int]:
    start = haystack.find(needle)
    while start >= 0:
        yield start
        start = haystack.find(needle, start + 1)


def _clean(items: Iterable[Any]) -> tuple[str, ...]:
    result: list[str] = []
    for item in items:
        word = normalize(item)
        if word and word not in result:
            result.append(word)
    return tuple(result)


@dataclass(frozen=True)
class ProfanityLexicon:
    """The words and allowed phrases, normalised (see the module docstring)."""

    words: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    version: int = 1

    @classmethod
    def of(cls, words: Iterable[Any] = (), allow: Iterable[Any] = (), version: int = 1) -> ProfanityLexicon:
        """The lexicon of these words and phrases (normalised; empty and repeated ones left out)."""
        return cls(_clean(words), _clean(allow), version)

    @classmethod
    def from_data(cls, data: Any, source: str = "lexicon") -> ProfanityLexicon:
        """The lexicon from the parsed YAML of profanity.yml; LexiconError when it is malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("words"), list):
            raise LexiconError(f"{source}: expected a mapping with a `words` list")
        allow = data.get("allow") or []
        if not isinstance(allow, list):
            raise LexiconError(f"{source}: `allow` must be a list")
        for key, items in (("words", data["words"]), ("allow", allow)):
            for item in items:
                if not isinstance(item, (str, int)) or not normalize(item):
                    raise LexiconError(f"{source}: every entry of `{key}` must be a non-empty word, got {item!r}")
        lexicon = cls.of(data["words"], allow, int(data.get("version") or 1))
        if not lexicon.words:
            raise LexiconError(f"{source}: `words` is empty")
        return lexicon

    @classmethod
    def load(cls, path: str | Path | None = None) -> ProfanityLexicon:
        import yaml

        path = Path(path) if path else DEFAULT_PATH
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise LexiconError(f"cannot read the profanity lexicon {path}: {error}") from None
        except yaml.YAMLError as error:
            raise LexiconError(f"{path}: not valid YAML: {error}") from None
        return cls.from_data(data, str(path))

    def _found(self, scanned: Scanned) -> list[tuple[str, int, int]]:
        """Every occurrence of a word that counts: (word, start, end) in `scanned.plain`."""
        plain = scanned.plain
        allowed = [(start, start + len(phrase)) for phrase in self.allow for start in _occurrences(phrase, plain)]
        found = []
        for word in self.words:
            latin = bool(_LATIN_WORD.fullmatch(word))
            for start in _occurrences(word, plain):
                end = start + len(word)
                if latin and not (scanned.boundary(start) and scanned.boundary(end)):
                    continue
                if any(a <= start and end <= b for a, b in allowed):
                    continue
                found.append((word, start, end))
        return found

    def matches(self, text: Any) -> list[str]:
        """The words found in `text` (normalised forms), in lexicon order; a word inside a longer
        word found is not given again."""
        if not self.words:
            return []
        found: list[str] = []
        for word, _, _ in self._found(scan(text)):
            if word not in found:
                found.append(word)
        return [w for w in found if not any(w != other and w in other for other in found)]

    def is_abusive(self, text: Any) -> bool:
        return bool(self.matches(text))

    def mask(self, text: Any, mask: str = "*") -> str:
        """The ORIGINAL text with every character of every word found replaced by `mask`."""
        text = str(text or "")
        if not self.words or not text:
            return text
        scanned = scan(text)
        hidden = {scanned.owner[i] for _, start, end in self._found(scanned) for i in range(start, end)}
        return "".join(mask if index in hidden else char for index, char in enumerate(text))

    def as_json(self) -> dict[str, Any]:
        """What the console fetches: the words and allowed phrases (normalised), the folding table
        its normaliser needs, and a tag that changes with them."""
        body = {"version": self.version, "words": list(self.words), "allow": list(self.allow), "fold": FOLD}
        digest = hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
        return {**body, "etag": digest}
