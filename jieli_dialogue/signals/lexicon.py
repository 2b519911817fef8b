"""The frustration lexicon (lexicon/frustration.yml and profanity.yml beside it), compiled and cached,
and the frustration levels it draws (see the package docstring)."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jieli_contract import ANGRY, ANGRY_MIN, CALM, LEVEL_CODES, UPSET, UPSET_MIN, frustration_level  # noqa: F401
from jieli_contract.profanity import ProfanityLexicon
from jieli_nlu.normalize import normalize_text

# this file is jieli_dialogue/signals/lexicon.py: three folders below the repository root
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_LEXICON_PATH = PROJECT_ROOT / "lexicon" / "frustration.yml"
LEXICON_ENV = "JIELI_FRUSTRATION_LEXICON"

# levels (平静 / 不满 / 愤怒, their codes and where they start): jieli_contract's
_LATIN_WORD = re.compile(r"^[a-z0-9 ]+$")


# ---------------------------------------------------------------------------------------------
# the lexicon


@dataclass(frozen=True)
class Lexicon:
    """lexicon/frustration.yml, compiled.

    A message's score = the weights of the distinct `negative` entries and `patterns` found in
    its normalised text (an entry inside a longer hit is not counted again) + `profanity_weight`
    per distinct profane word (jieli_contract.profanity, the matcher the bridge and the console use) + its shouting score + `intent_bonus[intent]`, capped at
    `turn_cap`. The conversation's frustration = 1 − Π(1 − decay^k · score_k) over the last
    `turns` customer messages of the window (k = 0 for the newest).
    """

    negative: tuple[tuple[str, float, re.Pattern | None], ...] = ()
    patterns: tuple[tuple[re.Pattern, float], ...] = ()
    profanity: ProfanityLexicon = ProfanityLexicon()  # profanity.yml's words and allowed phrases
    insistence: tuple[str, ...] = ()
    asking_again: tuple[str, ...] = ()
    not_helped: tuple[str, ...] = ()
    irony: tuple[str, ...] = ()
    request_words: tuple[re.Pattern, ...] = ()
    neutral: tuple[re.Pattern, ...] = ()
    turns: int = 4
    decay: float = 0.7
    turn_cap: float = 0.65
    profanity_weight: float = 0.45
    intent_bonus: Mapping[str, float] = field(default_factory=dict)
    upset_level: float = UPSET_MIN
    angry_level: float = ANGRY_MIN
    source: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Lexicon:
        data = dict(data or {})
        scoring = data.get("scoring") or {}

        def entry(word: Any) -> tuple[str, re.Pattern | None]:
            text = normalize_text(str(word))
            # Latin words only match as whole words: "usb" does not contain "sb"
            pattern = re.compile(r"(?<![a-z])" + re.escape(text) + r"(?![a-z])") if _LATIN_WORD.match(text) else None
            return text, pattern

        negative = []
        for word, weight in (data.get("negative") or {}).items():
            text, pattern = entry(word)
            if text:
                negative.append((text, float(weight), pattern))
        patterns = tuple((re.compile(str(p)), float(w)) for p, w in (data.get("patterns") or {}).items())
        return cls(
            negative=tuple(negative),
            patterns=patterns,
            profanity=ProfanityLexicon.of(data.get("profanity") or [], data.get("profanity_allow") or []),
            insistence=tuple(normalize_text(str(w)) for w in data.get("insistence") or [] if str(w).strip()),
            asking_again=tuple(normalize_text(str(w)) for w in data.get("asking_again") or [] if str(w).strip()),
            not_helped=tuple(normalize_text(str(w)) for w in data.get("not_helped") or [] if str(w).strip()),
            irony=tuple(normalize_text(str(w)) for w in data.get("irony") or [] if str(w).strip()),
            request_words=tuple(re.compile(str(p)) for p in data.get("request_words") or []),
            neutral=tuple(re.compile(str(p)) for p in data.get("neutral") or []),
            turns=max(1, int(scoring.get("turns", 4))),
            decay=float(scoring.get("decay", 0.7)),
            turn_cap=float(scoring.get("turn_cap", 0.65)),
            profanity_weight=float(scoring.get("profanity_weight", 0.45)),
            intent_bonus={str(k): float(v) for k, v in (scoring.get("intent_bonus") or {}).items()},
            upset_level=float(scoring.get("upset_level", UPSET_MIN)),
            angry_level=float(scoring.get("angry_level", ANGRY_MIN)),
            source=data,
        )

    def without_neutral(self, normalized: str) -> str:
        """The normalised text with `neutral` phrases blanked out ("还没用过" is not "没用", "还没拆"
        is not impatience): what the negative words, insistence and not-helped markers look at."""
        for pattern in self.neutral:
            normalized = pattern.sub(" ", normalized)
        return normalized

    def marks(self, markers: tuple[str, ...], normalized: str) -> bool:
        """One of `markers` (insistence, asking_again, not_helped …) occurs in the normalised text,
        `neutral` phrases blanked out first."""
        text = self.without_neutral(normalized or "")
        return bool(text.strip()) and any(marker in text for marker in markers)

    def level(self, frustration: float) -> str:
        return frustration_level(frustration, self.upset_level, self.angry_level)


def profanity_path(path: str | os.PathLike) -> Path:
    """The profanity list that goes with a frustration lexicon: `profanity.yml` beside it, the one
    list the bridge and the agent console use too."""
    return Path(path).with_name("profanity.yml")


def read_lexicon_file(path: str | os.PathLike) -> dict:
    """The lexicon YAML as a dict (what the policy stores inside the model), with the words and
    allowed phrases of `profanity.yml` beside it as `profanity` / `profanity_allow` unless the
    file lists its own `profanity`."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the frustration lexicon must be a mapping")
    if "profanity" not in data and profanity_path(path).exists():
        with open(profanity_path(path), encoding="utf-8") as handle:
            profane = yaml.safe_load(handle) or {}
        if not isinstance(profane, dict):
            raise ValueError(f"{profanity_path(path)}: the profanity lexicon must be a mapping")
        data = {
            **data,
            "profanity": list(profane.get("words") or []),
            "profanity_allow": list(profane.get("allow") or []),
        }
    Lexicon.from_dict(data)  # fail early on a bad regular expression or weight
    return data


@functools.lru_cache(maxsize=4)
def _cached_lexicon(path: str, mtime_ns: int, profanity_mtime_ns: int) -> Lexicon:
    return Lexicon.from_dict(read_lexicon_file(path))


def default_lexicon(path: str | os.PathLike | None = None) -> Lexicon:
    """The lexicon from `path`, else $JIELI_FRUSTRATION_LEXICON, else lexicon/frustration.yml;
    read on first use and again when the file changes. An unreadable file gives an empty
    lexicon (the other signals still work)."""
    chosen = Path(path or os.environ.get(LEXICON_ENV) or DEFAULT_LEXICON_PATH)
    if not chosen.is_absolute():
        chosen = PROJECT_ROOT / chosen
    try:
        profane = profanity_path(chosen)
        return _cached_lexicon(
            str(chosen), os.stat(chosen).st_mtime_ns, os.stat(profane).st_mtime_ns if profane.exists() else 0
        )
    except (OSError, ValueError, yaml.YAMLError, re.error):
        return Lexicon()
