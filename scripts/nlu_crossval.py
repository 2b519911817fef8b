"""k-fold cross-validation of the intent classifier on the training data (data/nlu).

    .venv-rasa/bin/python scripts/nlu_crossval.py [--folds 5]

Each fold trains the very model of `CalibratedIntentClassifier` (jieli_nlu/intent_classifier.py:
character n-grams of the NLU text and the E5 vector, logistic regression, the temperature from
config.yml) on the other folds and predicts this one. It shows how consistent the data is with
itself — examples written in one style predicting another — not how the bot does on customers:
that is what the independent held-out sets measure (`make nlu-eval`). The guard and fallback
steps of the pipeline are left out; FAQ examples count as the intent `faq`.
"""

from __future__ import annotations

import argparse
import glob
import sys
from collections import Counter
from pathlib import Path

import yaml

from nlu_eval import expected_calibration_error, selective
from quiet_rasa import quiet_rasa

ROOT = Path(__file__).resolve().parent.parent
CLASSIFIER = "jieli_nlu.intent_classifier.CalibratedIntentClassifier"


def classifier_config() -> dict:
    from jieli_nlu.intent_classifier import CalibratedIntentClassifier

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    mine = next(c for c in config["pipeline"] if c["name"] == CLASSIFIER)
    return {**CalibratedIntentClassifier.get_default_config(), **mine}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20241124)
    parser.add_argument("--min-accuracy", type=float, default=0.88)
    args = parser.parse_args()
    quiet_rasa()
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.model_selection import StratifiedKFold

    from jieli_nlu.components import nlu_text
    from jieli_nlu.intent_classifier import combine, featurize, make_classifier, make_vectorizer
    from jieli_nlu.normalize import mask_numbers
    from jieli_nlu.sentence_encoder import embed

    config = classifier_config()
    texts, labels = [], []
    for path in sorted(glob.glob(str(ROOT / "data" / "nlu" / "*.yml"))):
        for message in load_data(path).intent_examples:
            texts.append(mask_numbers(nlu_text(message.get("text"))))
            labels.append(message.get("intent").split("/")[0])
    vectors = embed(texts)
    predicted: list[str] = [""] * len(texts)
    confidence = [0.0] * len(texts)
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    for train, test in folds.split(texts, labels):
        vectorizer = make_vectorizer(config).fit([texts[i] for i in train])
        model = make_classifier(config).fit(
            featurize(vectorizer, [texts[i] for i in train], vectors[train], float(config["e5_scale"])),
            [labels[i] for i in train],
        )
        probabilities = model.predict_proba(
            featurize(vectorizer, [texts[i] for i in test], vectors[test], float(config["e5_scale"]))
        )
        for i, row in zip(test, probabilities):
            p = combine({}, dict(zip(model.classes_, row)), 0.0, float(config["temperature"]))
            best = max(p, key=p.get)
            predicted[i], confidence[i] = best, p[best]
    correct = [p == t for p, t in zip(predicted, labels)]
    accuracy = sum(correct) / len(correct)
    human = [p == t for p, t in zip(predicted, labels) if t == "request_human"]
    sel_acc, sel_conf, reach = selective(confidence, correct)
    print(f"\n{args.folds}-fold cross-validation on data/nlu: {len(texts)} examples, {len(set(labels))} intents")
    print(f"intent accuracy            {accuracy:.3f}  (min {args.min_accuracy})")
    print(f"request_human recall       {sum(human) / len(human):.3f}  ({sum(human)}/{len(human)})")
    print(f"ECE (10 bins)              {expected_calibration_error(confidence, correct):.3f}")
    print(
        f"selective accuracy         {sel_acc:.3f} at 90% coverage (confidence ≥ {sel_conf:.2f}); "
        f"accuracy ≥ 0.98 up to {reach:.0%} coverage"
    )
    errors = Counter((t, p) for t, p in zip(labels, predicted) if t != p)
    print(
        "most common confusions (truth → predicted): "
        + ", ".join(f"{t}→{p} {n}" for (t, p), n in errors.most_common(8))
    )
    return 0 if accuracy >= args.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())
