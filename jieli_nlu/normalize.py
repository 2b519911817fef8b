"""Normalise Chinese customer text before the NLU sees it.

One function, `normalize_text`, used by the Rasa pipeline component and by the actions (keyword
matching against the shop policy), so both see the same text:

* Unicode NFKC: full-width letters, digits and punctuation become half-width (ＡＢＣ１２３！ → ABC123!);
* Traditional → Simplified Chinese (OpenCC ``t2s``: 轉人工 → 转人工, 訂單 → 订单);
* variant characters OpenCC keeps folded to the everyday form (妳/祢 → 你, 牠/祂 → 它);
* lower case (RenGong → rengong);
* runs of punctuation folded (！！！ → !, ？？？ → ?, ?!?! → ?!, 。。。 → 。);
* numbers read out digit by digit, as voice input writes them, become digits (二零二四 一一一五 →
  20241115: six or more in a row; 十 / 百 are not digits, so 二十一 and 一一回复 stay);
* drawn-out modal particles folded (发货啊啊啊啊 → 发货啊, 在吗吗吗 → 在吗): three or more of the
  same particle in a row are one; words and digits are never folded (好好, 人工人工, 88888);
* invisible characters dropped and whitespace collapsed.

The customer's original text is never replaced in the tracker: Rasa keeps the text it received
in the `UserUttered` event; only the NLU parse sees the normalised form.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Punctuation that customers repeat for emphasis. ASCII forms cover the full-width ones after NFKC.
_PUNCT = "!?.,~…。,、;:·-_*#"
_PUNCT_RUN = re.compile("[" + re.escape(_PUNCT) + r"\s]*[" + re.escape(_PUNCT) + "]")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
# Modal particles and interjections customers draw out ("啊啊啊啊", "哈哈哈哈", "呜呜呜").
_PARTICLE_RUN = re.compile(r"([啊阿呀哇哦噢喔呢吧嘛吗么哈呵嘿呜唉哎额呃嗯喂])\1{2,}")
# Variants Taiwanese and Hong Kong customers type that OpenCC t2s leaves alone.
# Digits said one by one ("二零二四一一一五零零零六", "幺三八…"), spaces between groups allowed.
_SPOKEN_DIGIT = "零〇一二三四五六七八九幺"
_SPOKEN_RUN = re.compile(f"[{_SPOKEN_DIGIT}](?:\\s?[{_SPOKEN_DIGIT}]){{5,}}")
_DIGITS = str.maketrans({ch: str(i) for i, ch in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1"})
_LONG_NUMBER = re.compile(r"\d{7,}")
NUMBER_MASK = "0000000"
_VARIANTS = str.maketrans({"妳": "你", "祢": "你", "牠": "它", "祂": "它"})


@functools.lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # imported lazily: nothing runs at import time

    return OpenCC("t2s")


def _fold_punct_run(match: re.Match[str]) -> str:
    run = match.group(0)
    seen: list[str] = []
    for ch in run:
        if ch.isspace():
            continue
        if ch not in seen:
            seen.append(ch)
    return "".join(seen)


def fold_punctuation(text: str) -> str:
    """Fold runs of repeated punctuation: '!!!' → '!', '?!?!' → '?!', '。。。' → '。'."""
    return _PUNCT_RUN.sub(lambda m: _fold_punct_run(m) if len(m.group(0)) > 1 else m.group(0), text)


def normalize_text(text: str | None) -> str:
    """Return the normalised form of a customer message (see the module docstring)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _t2s().convert(text).translate(_VARIANTS)
    text = text.lower()
    text = fold_punctuation(text)
    text = _SPOKEN_RUN.sub(lambda m: m.group(0).replace(" ", "").translate(_DIGITS), text)
    text = _PARTICLE_RUN.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def mask_numbers(text: str) -> str:
    """What the intent models read of a long number (an order, phone or tracking number): one
    placeholder, whatever its digits. Which digits a customer's order happens to have must never
    change what they are taken to want ('查一下订单 2024…03' read as a question about the order,
    '…04' as a bare order number); the entity extractors still read the real digits."""
    return _LONG_NUMBER.sub(NUMBER_MASK, text)
