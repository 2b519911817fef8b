"""The text rules of the training data (pure): the project's normal form and the dedupe key two
examples must share to count as the same, and what makes a customer's line or an agent's answer
safe in Rasa's YAML (training_export.py writes the file with them).

The normal form is a light copy of jieli_nlu/normalize.py (NFKC, Traditional → Simplified when
OpenCC is installed, lower case): the bridge has no OpenCC.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
# What a YAML stream may not carry (YAML 1.2 "c-printable": C0 but tab and line breaks, DEL, C1,
# surrogates, U+FFFE/FFFF) and the line breaks YAML sees that a text line must not hold (NEL,
# U+2028, U+2029): Rasa refuses the whole file for one of them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")
_VARIANTS = str.maketrans({"妳": "你", "祢": "你", "牠": "它", "祂": "它"})
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_ORDER_ID = re.compile(r"(?<![0-9])([0-9]{12,20})(?![0-9])")


@functools.lru_cache(maxsize=1)
def _t2s():
    try:
        from opencc import OpenCC  # the Rasa environment has it; the bridge's may not
    except ImportError:
        return None
    return OpenCC("t2s")


def normalize(text: str | None) -> str:
    """The project's normal form: NFKC, no invisible characters, Simplified (when OpenCC is
    installed), everyday variants, lower case, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    converter = _t2s()
    if converter is not None:
        text = converter.convert(text)
    text = text.translate(_VARIANTS).lower()
    return " ".join(text.split())


def plain(text: str) -> str:
    """An example without entity annotations: '[2024…](order_id)到哪了' → '2024…到哪了'."""
    return _ANNOTATION.sub(r"\1", text)


def dedupe_key(text: str | None) -> str:
    """What two examples must share to count as the same: normalised, annotations, spaces,
    punctuation and symbols (emoji included) removed."""
    folded = normalize(plain(text or ""))
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC")


def printable(text: str) -> str:
    """Text a YAML file (and so Rasa) can read: control characters and lone surrogates removed,
    YAML's extra line breaks (NEL, U+2028, U+2029) made plain line feeds."""
    return _UNPRINTABLE.sub("", _YAML_BREAKS.sub("\n", text))


def clean_example(text: Any) -> str:
    """One line of customer text, safe inside a Rasa `examples: |` block: control characters
    removed (printable), whitespace collapsed, ASCII square brackets made full-width (they would
    start an entity annotation)."""
    if not isinstance(text, str):
        return ""
    text = " ".join(printable(text).split())
    return text.replace("[", "【").replace("]", "】")


def clean_answer(text: Any) -> str:
    """A response text: braces would be read as slot placeholders, so they become full-width."""
    if not isinstance(text, str):
        return ""
    lines = [" ".join(line.split()) for line in printable(text).strip().splitlines()]
    return "\n".join(line for line in lines if line).replace("{", "｛").replace("}", "｝")


def annotate(example: str) -> str:
    """Order numbers (12–20 digits) annotated as the order_id entity, as in data/nlu/orders.yml."""
    return _ORDER_ID.sub(r"[\1](order_id)", example)


def faq_key(conversation_id: str, handover_id: int) -> str:
    """An ASCII key for `faq/<key>`, stable for one handover and unique across stores."""
    prefix = re.sub(r"[^0-9a-z]", "", (conversation_id or "").lower())[:8] or "x"
    return f"learned_{prefix}_{int(handover_id)}"
