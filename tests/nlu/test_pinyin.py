"""The sound view of a message: homophones and typed pinyin meet the words they stand for."""

import pytest

from jieli_nlu.pinyin import to_pinyin


@pytest.mark.parametrize("typed", ["人工", "人公", "仁工", "ren gong", "rengong", "REN GONG"])
def test_homophones_and_typed_pinyin_sound_like_the_word(typed):
    assert to_pinyin(typed) == "rengong"


def test_punctuation_separates_runs_and_order_numbers_are_dropped():
    assert to_pinyin("退货，订单2024111500034503 谢谢！") == "tuihuo dingdan xiexie"
    assert to_pinyin("") == "" and to_pinyin("👍👍") == "" and to_pinyin("???") == ""


def test_the_classifier_reads_typed_pinyin_through_the_sound_view():
    """Trained only on characters, the model understands the same words typed as pinyin or with
    the wrong character — which the character n-grams alone cannot."""
    from jieli_nlu.intent_classifier import CalibratedIntentClassifier, make_classifier, make_vectorizer

    config = {**CalibratedIntentClassifier.get_default_config(), "pinyin_weight": 1.0}
    texts = [
        "我要退货",
        "怎么退货",
        "退货地址在哪",
        "想退个货",
        "快递到哪了",
        "物流怎么不动",
        "什么时候发货",
        "催一下发货",
    ]
    labels = ["return_exchange"] * 4 + ["order_status"] * 4
    vectorizer = make_vectorizer(config).fit(texts)
    model = make_classifier(config).fit(vectorizer.transform(texts), labels)
    assert list(model.predict(vectorizer.transform(["tui huo", "wo yao tuihuo", "kuai di dao na le"]))) == [
        "return_exchange",
        "return_exchange",
        "order_status",
    ]
