"""Messages that say nothing: keyboard mash, a row of emoji or punctuation, one letter held down.

The intent classifier reads such a message as `out_of_scope` ("asdfghjkl" is out of scope), and
an honest question about the weather is out of scope too. The difference matters to escalation: a
customer who sends "？？", "kjhkjh", "😂😂😂" in a row is not being understood, while one who asks
about the weather is answered honestly. `nonsense` tells them apart by rules a designer can read;
the dialogue counts an out-of-scope message that is nonsense as not understood
(`jieli_dialogue/signals/events.py`, `Turn.fell_back`).
"""

from __future__ import annotations

import re

from jieli_nlu.order_ids import find_order_ids

# stickers as chat apps paste them ("[微笑]", "[表情]", "[图片]" is a picture, not nonsense)
_STICKER = re.compile(r"\[(?!图片|视频|语音|文件|链接)[^\[\]]{1,4}\]")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3]")
_PUNCTUATION_AND_SPACE = re.compile(r"[\s\W_]+")
_LATIN_OR_DIGITS = re.compile(r"[a-z0-9 ]+")
_HELD_DOWN = re.compile(r"(.)\1{3,}")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_VOWELS = re.compile("[aeiouv]")


def _keyboard_run(word: str, length: int = 4) -> bool:
    """ "asdf", "lkjh", "qwer": `length` neighbouring keys of one row, either way."""
    for row in _KEYBOARD_ROWS:
        for reading in (row, row[::-1]):
            if any(word[i : i + length] in reading for i in range(len(word) - length + 1)):
                return True
    return False


def _mashed(word: str) -> bool:
    return len(word) >= 3 and (not _VOWELS.search(word) or bool(_HELD_DOWN.search(word)) or _keyboard_run(word))


# what voice input fills a sentence with when the customer has not found their words yet
_FILLERS = re.compile(
    "就那个|就这个|那个|这个|就是说|就是|嗯+|啊+|呃+|额+|哦+|喂+|哎呀|哎|唉|什么来着|怎么说呢|听得到吗|听得见吗|"
    "听到没|信号不好|不是|刚刚|刚才|然后|我想想|等一下|等等"
)


def only_fillers(normalized: str, at_least: int = 3) -> bool:
    """True for voice input that is only filler words, at least `at_least` of them ("那个 嗯 就是说
    喂喂 听得到吗"): nothing to understand yet. One "嗯" or "不是" is an answer, not filler."""
    text = (normalized or "").strip().lower()
    if not text:
        return False
    found = _FILLERS.findall(text)
    rest = _PUNCTUATION_AND_SPACE.sub("", _FILLERS.sub("", text))
    return not rest and len(found) >= at_least


def nonsense(normalized: str) -> bool:
    """True for a (normalised, see `normalize_text`) message with nothing in it to understand:
    only punctuation, emoji or stickers; Latin letters that are keyboard mash ("kjhkjh", "qqqq",
    "asdfgh" — not pinyin, not a word); digits that are no order number; one character held
    down ("啊啊啊啊")."""
    text = (normalized or "").strip().lower()
    if not text:
        return False  # an empty message is another matter (the bridge refuses it)
    content = _PUNCTUATION_AND_SPACE.sub("", _EMOJI.sub("", _STICKER.sub("", text)))
    if not content:
        return True
    if re.fullmatch(r"(.)\1{3,}", content):
        return True
    if _LATIN_OR_DIGITS.fullmatch(_PUNCTUATION_AND_SPACE.sub(" ", text).strip()):
        if find_order_ids(text):
            return False
        words = re.findall(r"[a-z]+", text)
        if not words:
            return len(content) >= 3  # "1111", "233333" is no order number
        return all(_mashed(w) for w in words)
    return False


# Text broken by a wrong encoding on the way: the replacement character, and the classic mojibake
# of Chinese systems (UTF-8 read as GBK: 锟斤拷; uninitialised memory: 烫烫烫, 屯屯屯).
_MOJIBAKE = re.compile(r"\ufffd|锟斤拷|(烫){2,}|(屯){2,}|(�)+")
_CONTENT = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


# UTF-8 read as Latin-1 on the way: "æˆ‘è¦é€€æ¬¾" (我要退款)
_LATIN1_MOJIBAKE = re.compile(
    "[\u00c0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc\u2018-\u203a\u20ac\u2122]"
)


def garbled(text: str) -> bool:
    """True for text with nothing a person wrote in it: empty, only mojibake (and punctuation), or
    text broken on the way (two or more replacement characters; mostly UTF-8-read-as-Latin-1).
    A message of punctuation alone ("???") is the customer's, and is classified as usual."""
    if not (text or "").strip():
        return True
    if text.count("\ufffd") >= 2:
        return True
    visible = [c for c in text if not c.isspace()]
    broken = len(_LATIN1_MOJIBAKE.findall(text))
    if broken >= 4 and broken >= 0.3 * len(visible):
        return True
    return bool(_MOJIBAKE.search(text)) and not _CONTENT.search(_MOJIBAKE.sub("", text))
