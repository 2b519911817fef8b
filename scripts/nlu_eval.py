"""Evaluate the trained model on the held-out set and print what a designer needs to know.

    .venv-rasa/bin/python scripts/nlu_eval.py --model models/jieli.tar.gz --data tests/nlu/heldout.yml

Prints intent accuracy, per-intent precision/recall/F1, request_human recall, hard-negative false
positives (messages with 人工/真人/活人 that are not requests, classified as request_human) and the
order_id extraction rate. Exits 1 when a figure is under its threshold or when a held-out example
also appears in the training data (the split must stay out of training).
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import logging
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from quiet_rasa import quiet_rasa

HUMAN = "request_human"
HARD_NEGATIVE_MARKERS = ("人工", "真人", "活人", "人類", "人类")


def load_examples(paths: list[str]) -> list[tuple[str, str, list[str]]]:
    """(text, intent, [order ids]) for every example in the given Rasa NLU YAML files."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in paths:
        data = load_data(path)
        for message in data.intent_examples:
            ids = [e["value"] for e in message.get("entities", []) if e["entity"] == "order_id"]
            examples.append((message.get("text"), message.get("intent"), ids))
    return examples


def leaked(heldout, training_files) -> list[str]:
    from jieli_nlu.normalize import normalize_text

    seen = {normalize_text(t) for t, _, _ in load_examples(training_files)}
    return [t for t, _, _ in heldout if normalize_text(t) in seen]


async def parse_all(model: str, texts: list[str]):
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results, timings = [], []
    for text in texts:
        started = time.perf_counter()
        results.append(await agent.parse_message(text))
        timings.append((time.perf_counter() - started) * 1000)
    return results, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/jieli.tar.gz")
    parser.add_argument("--data", default="tests/nlu/heldout.yml")
    parser.add_argument("--training", default="data/nlu", help="training data folder (leak check)")
    parser.add_argument("--min-accuracy", type=float, default=0.92)
    parser.add_argument("--min-human-recall", type=float, default=0.98)
    parser.add_argument("--max-hard-negative-fp", type=int, default=0)
    parser.add_argument("--min-order-id-rate", type=float, default=1.0)
    args = parser.parse_args()
    quiet_rasa()

    from rasa.shared.nlu.constants import INTENT_NAME_KEY
    from sklearn.metrics import precision_recall_fscore_support

    heldout = load_examples([args.data])
    training_files = sorted(glob.glob(f"{args.training}/**/*.yml", recursive=True))
    leaks = leaked(heldout, training_files)
    results, timings = asyncio.run(parse_all(args.model, [t for t, _, _ in heldout]))

    truth = [intent for _, intent, _ in heldout]
    predicted = [r["intent"][INTENT_NAME_KEY] if r.get("intent") else "None" for r in results]
    accuracy = sum(t == p for t, p in zip(truth, predicted)) / len(truth)
    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )

    human_total = truth.count(HUMAN)
    human_hit = sum(1 for t, p in zip(truth, predicted) if t == HUMAN and p == HUMAN)
    human_recall = human_hit / human_total if human_total else 1.0
    hard = [(text, p) for (text, t, _), p in zip(heldout, predicted)
            if t != HUMAN and any(m in text for m in HARD_NEGATIVE_MARKERS)]
    hard_fp = [text for text, p in hard if p == HUMAN]

    wanted_ids = [(text, ids, r) for (text, _, ids), r in zip(heldout, results) if ids]
    id_misses = []
    for text, ids, result in wanted_ids:
        got = {e["value"] for e in result.get("entities", []) if e["entity"] == "order_id"}
        want = {re.sub(r"\D", "", __import__("unicodedata").normalize("NFKC", i)) for i in ids}
        if not want <= got:
            id_misses.append((text, sorted(want), sorted(got)))
    id_rate = 1 - len(id_misses) / len(wanted_ids) if wanted_ids else 1.0

    print(f"\nNLU evaluation on {args.data}: {len(heldout)} held-out examples, {len(labels)} intents")
    print(f"{'intent':<18}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}")
    for label, p, r, f, n in zip(labels, precision, recall, f1, support):
        print(f"{label:<18}{p:>10.3f}{r:>8.3f}{f:>8.3f}{n:>6}")
    print(f"\nintent accuracy            {accuracy:.3f}  (min {args.min_accuracy})")
    print(f"request_human recall       {human_recall:.3f}  ({human_hit}/{human_total}, min {args.min_human_recall})")
    print(f"hard negatives → human     {len(hard_fp)} of {len(hard)}  (max {args.max_hard_negative_fp})")
    print(f"order_id extracted         {id_rate:.3f}  ({len(wanted_ids) - len(id_misses)}/{len(wanted_ids)})")
    print(f"parse latency              p50 {statistics.median(timings):.1f} ms, "
          f"p95 {sorted(timings)[int(len(timings) * 0.95) - 1]:.1f} ms")
    print(f"held-out examples also in training data: {len(leaks)}")

    errors = Counter((t, p) for t, p in zip(truth, predicted) if t != p)
    if errors:
        print("\nmost common confusions (truth → predicted):")
        for (t, p), n in errors.most_common(10):
            print(f"  {t} → {p}: {n}")
    misses = defaultdict(list)
    for (text, t, _), p in zip(heldout, predicted):
        if t != p:
            misses[t].append(f"{text}  → {p}")
    if misses:
        print("\nmisclassified:")
        for t in sorted(misses):
            for line in misses[t]:
                print(f"  [{t}] {line}")
    for text in hard_fp:
        print(f"  HARD NEGATIVE taken for a request: {text}")
    for text, want, got in id_misses:
        print(f"  order_id missed: {text}  want {want} got {got}")
    for text in leaks:
        print(f"  LEAK (also in training data): {text}")

    failed = (
        accuracy < args.min_accuracy
        or human_recall < args.min_human_recall
        or len(hard_fp) > args.max_hard_negative_fp
        or id_rate < args.min_order_id_rate
        or leaks
    )
    print("\nNLU evaluation:", "FAILED" if failed else "passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
