"""Abusive customer messages: the one profanity lexicon of the bridge and the agent console.

The words live in `lexicon/profanity.yml` (JIELI_PROFANITY_LEXICON overrides the path). The bridge
loads it when it starts (`configure`, called by the container) and flags every stored customer
message that matches (`Message.abusive`); the console gets the same list from
`GET /api/lexicon/profanity` and masks with the same rules (static/console/protect.js).

Matching, identical in both places: NFKC (full width → half width), lower case, every space,
punctuation mark, symbol and "_" removed; the `allow` phrases cut out; then a plain substring
test for each word. "傻 逼", "ＳＢ客服" and "傻-逼" match; "滚筒洗衣机" and "我妈的生日" do not.
Nothing is read at import time.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "lexicon" / "profanity.yml"
MAX_CHARS = 4000          # longer texts are checked on their first MAX_CHARS characters


class LexiconError(ValueError):
    """The lexicon file is missing or malformed."""


def _skipped(char: str) -> bool:
    # JavaScript: /[\s\p{P}\p{S}_]/u
    return char == "_" or char.isspace() or unicodedata.category(char)[0] in "PSZ"


def normalize(text: Any) -> str:
    """The text as the matcher sees it (the same as protect.js `normalize`)."""
    plain = unicodedata.normalize("NFKC", str(text or "")[:MAX_CHARS]).lower()
    return "".join(ch for ch in plain if not _skipped(ch))


@dataclass(frozen=True)
class Lexicon:
    words: tuple[str, ...]
    allow: tuple[str, ...] = ()
    version: int = 1

    @classmethod
    def from_data(cls, data: Any, source: str = "lexicon") -> Lexicon:
        if not isinstance(data, dict) or not isinstance(data.get("words"), list):
            raise LexiconError(f"{source}: expected a mapping with a `words` list")
        allow = data.get("allow") or []
        if not isinstance(allow, list):
            raise LexiconError(f"{source}: `allow` must be a list")
        words = _clean(data["words"], source, "words")
        if not words:
            raise LexiconError(f"{source}: `words` is empty")
        return cls(words, _clean(allow, source, "allow"), int(data.get("version") or 1))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Lexicon:
        import yaml

        path = Path(path) if path else DEFAULT_PATH
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise LexiconError(f"cannot read the profanity lexicon {path}: {error}") from None
        except yaml.YAMLError as error:
            raise LexiconError(f"{path}: not valid YAML: {error}") from None
        return cls.from_data(data, str(path))

    def matches(self, text: Any) -> list[str]:
        """The words found in `text` (normalised forms), in lexicon order."""
        plain = normalize(text)
        if not plain:
            return []
        for phrase in self.allow:
            plain = plain.replace(phrase, " ")
        return [word for word in self.words if word in plain]

    def is_abusive(self, text: Any) -> bool:
        return bool(self.matches(text))

    def as_json(self) -> dict[str, Any]:
        """What the console fetches: the words and allow phrases (already normalised; the console
        normalises the texts it checks the same way) and a tag that changes with the list."""
        body = {"version": self.version, "words": list(self.words), "allow": list(self.allow)}
        digest = hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()[:16]
        return {**body, "etag": digest}


def _clean(items: list[Any], source: str, key: str) -> tuple[str, ...]:
    result: list[str] = []
    for item in items:
        if not isinstance(item, (str, int)) or not normalize(item):
            raise LexiconError(f"{source}: every entry of `{key}` must be a non-empty word, got {item!r}")
        word = normalize(item)
        if word not in result:
            result.append(word)
    return tuple(result)


_current: Lexicon | None = None


def configure(path: str | Path | None = None) -> Lexicon:
    """Load the lexicon (the container calls this at start) and make it the one `is_abusive` uses."""
    global _current
    _current = Lexicon.load(path)
    return _current


def lexicon() -> Lexicon:
    """The configured lexicon; the default file on first use if nothing configured it."""
    return _current or configure()


def is_abusive(text: Any) -> bool:
    """True when a customer's text contains a word of the profanity lexicon (see the module doc)."""
    return lexicon().is_abusive(text)
