"""Fit the intent classifier's temperature on a calibration split, and say what changed.

    .venv-rasa/bin/python scripts/calibrate_nlu.py --model models/jieli.tar.gz \
        [--data tests/nlu/independent/set_a.yml] [--write]

The calibration split must be a set no model trained on (by default the independent set A, the
one set of this project that designers may read; sets B and C stay judges). For every message the
parse result carries the classifier's raw ranking (`intent_sources`, with a prior model's ranking
when one runs before it); this script searches the temperature T (and the prior's weight w, when
there is a prior) that minimise the log loss of the true intent, prints accuracy, log loss and the
expected calibration error (ECE) before and after, and with --write puts them into config.yml
(retrain afterwards: `make train`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import sys
from pathlib import Path

from nlu_eval import expected_calibration_error, load_examples
from quiet_rasa import quiet_rasa

ROOT = Path(__file__).resolve().parent.parent
CLASSIFIER = "CalibratedIntentClassifier"
WEIGHTS = [i / 10 for i in range(11)]
TEMPERATURES = [round(0.5 + i * 0.05, 2) for i in range(71)]  # 0.5 … 4.0


def score(rows, weight: float, temperature: float) -> tuple[float, float, float]:
    """(log loss, accuracy, ECE) of the combined distribution over the rows."""
    from jieli_nlu.intent_classifier import combine

    loss, confidences, correct = 0.0, [], []
    for truth, diet, lr in rows:
        p = combine(diet, lr, weight, temperature)
        best = max(p, key=p.get)
        loss -= math.log(max(p.get(truth, 0.0), 1e-6))
        confidences.append(p[best])
        correct.append(best == truth)
    return loss / len(rows), sum(correct) / len(rows), expected_calibration_error(confidences, correct)


async def rankings(model: str, texts: list[str]):
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(t) for t in texts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/jieli.tar.gz")
    parser.add_argument("--data", default="tests/nlu/independent/set_a.yml")
    parser.add_argument("--write", action="store_true", help="write the fitted values into config.yml")
    args = parser.parse_args()
    quiet_rasa()

    examples = load_examples(args.data)
    results = asyncio.run(rankings(args.model, [e.text for e in examples]))
    rows = []
    for example, result in zip(examples, results):
        sources = result.get("intent_sources")
        if not sources:
            print("the model has no CalibratedIntentClassifier (no intent_sources in its parse results)")
            return 1
        rows.append(
            (
                example.intent,
                {r["name"]: r["confidence"] for r in sources.get("prior") or []},
                {r["name"]: r["confidence"] for r in sources["lr"]},
            )
        )

    current = _current()
    print(f"calibration split {args.data}: {len(rows)} messages")
    has_prior = any(prior for _, prior, _ in rows)
    shown = [("prior alone", (1.0, 1.0)), ("LR alone", (0.0, 1.0))] if has_prior else [("uncalibrated", (0.0, 1.0))]
    for label, (w, t) in (*shown, ("config.yml now", current)):
        loss, acc, ece = score(rows, w, t)
        print(f"  {label:<16} w={w:.1f} T={t:.2f}: accuracy {acc:.3f}, log loss {loss:.3f}, ECE {ece:.3f}")
    weights = WEIGHTS if has_prior else [0.0]
    best = min(((w, t) for w in weights for t in TEMPERATURES), key=lambda wt: score(rows, *wt)[0])
    loss, acc, ece = score(rows, *best)
    print(f"  {'fitted':<16} w={best[0]:.1f} T={best[1]:.2f}: accuracy {acc:.3f}, log loss {loss:.3f}, ECE {ece:.3f}")
    if args.write:
        _write(*best)
        print("config.yml updated: retrain (make train) for the model to use it")
    return 0


def _current() -> tuple[float, float]:
    text = (ROOT / "config.yml").read_text(encoding="utf-8")
    block = text.split(CLASSIFIER, 1)[1].split("- name:", 1)[0]
    w = re.search(r"prior_weight:\s*([\d.]+)", block)
    t = float(re.search(r"temperature:\s*([\d.]+)", block).group(1))
    return (float(w.group(1)) if w else 0.0), t


def _write(weight: float, temperature: float) -> None:
    path = ROOT / "config.yml"
    head, block = path.read_text(encoding="utf-8").split(CLASSIFIER, 1)
    if weight:
        block = re.sub(r"prior_weight:\s*[\d.]+", f"prior_weight: {weight:.1f}", block, count=1)
    block = re.sub(r"temperature:\s*[\d.]+", f"temperature: {temperature:.2f}", block, count=1)
    path.write_text(head + CLASSIFIER + block, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
