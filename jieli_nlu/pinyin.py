"""The sound of a message: toneless pinyin, so typos, homophones and typed pinyin meet the words
they stand for.

Customers type with a pinyin input method and pick the wrong character (人公, 仁工, 退宽, 发漂),
or give up and type the pinyin itself ("tui huo", "zhuanrengong", "zai ma"). Written as sound,
each of those is the same string as the word it means: 人公 → "rengong" = 人工. The intent
classifier reads this view of the text beside the characters (`jieli_nlu/intent_classifier.py`).

`to_pinyin` joins the syllables of a run of Chinese and Latin letters without spaces (so "tui
huo", "tuihuo" and 退货 all read "tuihuo"); punctuation separates runs; digits are dropped (an order
number says nothing about the intent). pypinyin's dictionary ships inside its wheel.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[^a-z\u3400-\u4dbf\u4e00-\u9fff\s]+")
_SPACES = re.compile(r"\s+")


def to_pinyin(text: str) -> str:
    """ "人公客服, tui huo 2024…" → "rengongkefu tuihuo"."""
    from pypinyin import Style, lazy_pinyin

    runs = _SEPARATORS.split((text or "").lower())
    out = []
    for run in runs:
        run = _SPACES.sub("", run)
        if run:
            out.append("".join(lazy_pinyin(run, style=Style.NORMAL, errors="default")))
    return " ".join(out)
