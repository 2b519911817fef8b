"""Messages that say nothing, told apart from honest questions the shop cannot answer."""

import pytest

from jieli_nlu.nonsense import nonsense
from jieli_nlu.normalize import normalize_text


@pytest.mark.parametrize(
    "text",
    [
        "kjhkjh",
        "qqqqqqq",
        "asdfghjkl",
        "lkjhg",
        "。。。。",
        "？？",
        "😂😂😂",
        "[表情][表情]",
        "1111111",
        "zxcvb mnb",
        "!!!???",
    ],
)
def test_mash_punctuation_and_emoji_say_nothing(text):
    assert nonsense(normalize_text(text))


@pytest.mark.parametrize(
    "text",
    [
        "今天天气怎么样",
        "tui huo",
        "zai ma",
        "hello",
        "ok",
        "rg",
        "[图片]",
        "2024111500034503",
        "订单号 2024111500034503",
        "你好",
        "讲个笑话",
        "help",
    ],
)
def test_words_pinyin_order_numbers_and_pictures_are_something(text):
    assert not nonsense(normalize_text(text))


def test_an_empty_message_is_not_judged_here():
    assert not nonsense("") and not nonsense("   ")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("那个 嗯 就是说 喂喂 听得到吗", True),
        ("喂 喂 信号不好 那个 嗯嗯", True),
        ("嗯", False),
        ("不是", False),
        ("对对 就是这个", False),
        ("那个 嗯 我想退货", False),
        ("嗯 就这个 这个", True),
        ("就那个 耳机 到哪了", False),
    ],
)
def test_voice_filler_alone_says_nothing_yet(text, expected):
    from jieli_nlu.nonsense import only_fillers

    assert only_fillers(normalize_text(text)) is expected
