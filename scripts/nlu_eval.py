"""Evaluate the trained model on each held-out set, separately, and print what a designer needs.

    .venv-rasa/bin/python scripts/nlu_eval.py --model models/jieli.tar.gz \
        [--data tests/nlu/heldout.yml --data tests/nlu/independent/set_b.yml ...] [--show-errors set_a]

Without --data: every set in SETS below. For each set it prints intent accuracy, per-intent
precision/recall/F1, request_human recall, traps (messages with 人工/真人/活人/机器 that are not
requests) taken for a request, order_id extraction, and how far the confidence can be trusted:
the expected calibration error (ECE, 10 equal-width bins) and selective accuracy (accuracy on the
most confident 90 % of messages, and the coverage at which accuracy reaches 0.98).

Misclassified messages are printed only for the sets named with --show-errors: the independent
sets are judges, not study material (tests/nlu/independent/README.md says which ones were read).

Exits 1 when a figure is under its set's floor (FLOORS, regression guards, not targets) or when a
held-out example also appears in the training data.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from quiet_rasa import quiet_rasa

HUMAN = "request_human"
FALLBACK = "nlu_fallback"
TRAP_MARKERS = ("人工", "真人", "活人", "人類", "人类", "机器")
SETS = ["tests/nlu/heldout.yml", *sorted(glob.glob("tests/nlu/independent/set_*.yml"))]
COVERAGE = 0.90
TARGET_SELECTIVE = 0.98


@dataclass
class Floors:
    """The least a set must score for `make nlu-eval` to pass (what the model reached, minus noise)."""

    accuracy: float = 0.92
    human_recall: float = 0.98
    traps: int = 0
    order_ids: float = 1.0
    independent: bool = True


FLOORS = {
    "heldout": Floors(independent=False),
    # a little under what the model reached on the independent sets (docs/nlu.md): a guard
    # against regressions, not the goal (0.95 and 0.99 are)
    "set_a": Floors(accuracy=0.95, human_recall=0.97, traps=2),
    "set_b": Floors(accuracy=0.93, human_recall=0.95, traps=2),
    "set_c": Floors(accuracy=0.93, human_recall=0.97, traps=2),
    "set_d": Floors(accuracy=0.92, human_recall=0.94, traps=2),
    "set_e": Floors(accuracy=0.95, human_recall=0.97, traps=2),
    "set_f": Floors(accuracy=0.94, human_recall=0.97, traps=2),
    "set_g": Floors(accuracy=0.90, human_recall=0.97, traps=2),
    "set_h": Floors(accuracy=0.89, human_recall=0.96, traps=2),
    "set_i": Floors(accuracy=0.93, human_recall=0.97, traps=2),
    "set_j": Floors(accuracy=0.93, human_recall=0.96, traps=2),
    "set_k": Floors(accuracy=0.95, human_recall=0.98, traps=2),
    "set_l": Floors(accuracy=0.93, human_recall=0.97, traps=2),
    "set_m": Floors(accuracy=0.96, human_recall=0.98, traps=2),
    "set_n": Floors(accuracy=0.95, human_recall=0.97, traps=2),
    "set_o": Floors(accuracy=0.96, human_recall=0.98, traps=2),
    "set_p": Floors(accuracy=0.93, human_recall=0.95, traps=2),
    "set_q": Floors(accuracy=0.96, human_recall=0.98, traps=2),
    "set_r": Floors(accuracy=0.95, human_recall=0.97, traps=3),
    "set_s": Floors(accuracy=0.97, human_recall=0.98, traps=2),
    "set_t": Floors(accuracy=0.96, human_recall=0.98, traps=2),
    "set_u": Floors(accuracy=0.95, human_recall=0.98, traps=2),
}


@dataclass
class Example:
    text: str
    intent: str
    order_ids: list[str] = field(default_factory=list)


def load_examples(path: str) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for message in load_data(path).intent_examples:
        ids = [e["value"] for e in message.get("entities", []) if e["entity"] == "order_id"]
        examples.append(Example(message.get("text"), message.get("intent"), ids))
    return examples


def training_texts(folder: str) -> set[str]:
    from jieli_nlu.normalize import normalize_text

    texts = set()
    for path in sorted(glob.glob(f"{folder}/**/*.yml", recursive=True)):
        texts |= {normalize_text(e.text) for e in load_examples(path)}
    return texts


async def parse_all(agent, texts: list[str]):
    results, timings = [], []
    for text in texts:
        started = time.perf_counter()
        results.append(await agent.parse_message(text))
        timings.append((time.perf_counter() - started) * 1000)
    return results, timings


def best_guess(result: dict) -> tuple[str, float]:
    """The model's intent and confidence; under nlu_fallback, the best intent it fell back from."""
    intent = result.get("intent") or {}
    if intent.get("name") != FALLBACK:
        return intent.get("name") or "None", float(intent.get("confidence") or 0.0)
    for entry in result.get("intent_ranking") or []:
        if entry.get("name") != FALLBACK:
            return entry["name"], float(entry.get("confidence") or 0.0)
    return FALLBACK, 0.0


def expected_calibration_error(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    total, ece = len(confidences), 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if (low < c <= high) or (b == 0 and c == 0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            ece += len(idx) / total * abs(acc - conf)
    return ece


def selective(confidences: list[float], correct: list[bool]) -> tuple[float, float, float]:
    """(accuracy on the most confident COVERAGE share, the confidence there, the largest coverage
    at which accuracy is still ≥ TARGET_SELECTIVE)."""
    order = sorted(range(len(confidences)), key=lambda i: -confidences[i])
    keep = max(1, round(len(order) * COVERAGE))
    acc_at = sum(correct[i] for i in order[:keep]) / keep
    reach, hits = 0.0, 0
    for n, i in enumerate(order, start=1):
        hits += correct[i]
        if hits / n >= TARGET_SELECTIVE:
            reach = n / len(order)
    return acc_at, confidences[order[keep - 1]], reach


def report(name: str, examples: list[Example], results: list[dict], leaks: list[str], show_errors: bool) -> bool:
    from sklearn.metrics import precision_recall_fscore_support

    floors = FLOORS.get(name, Floors(accuracy=0.85, human_recall=0.90, traps=2))
    truth = [e.intent for e in examples]
    said = [(r.get("intent") or {}).get("name") or "None" for r in results]
    guesses = [best_guess(r) for r in results]
    predicted = [g for g, _ in guesses]
    confidences = [c for _, c in guesses]
    correct = [t == p for t, p in zip(truth, predicted)]
    accuracy = sum(t == s for t, s in zip(truth, said)) / len(truth)
    top_accuracy = sum(correct) / len(truth)
    fell_back = said.count(FALLBACK)
    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, said, labels=labels, zero_division=0)

    human_total = truth.count(HUMAN)
    human_hit = sum(1 for t, s in zip(truth, said) if t == HUMAN and s == HUMAN)
    human_recall = human_hit / human_total if human_total else 1.0
    traps = [
        (e.text, s) for e, s in zip(examples, said) if e.intent != HUMAN and any(m in e.text for m in TRAP_MARKERS)
    ]
    trap_hits = [text for text, s in traps if s == HUMAN]
    false_human = sum(1 for t, s in zip(truth, said) if t != HUMAN and s == HUMAN)

    wanted = [(e, r) for e, r in zip(examples, results) if e.order_ids]
    id_misses = []
    for e, r in wanted:
        got = {x["value"] for x in r.get("entities", []) if x["entity"] == "order_id"}
        want = {re.sub(r"\D", "", unicodedata.normalize("NFKC", i)) for i in e.order_ids}
        if not want <= got:
            id_misses.append((e.text, sorted(want), sorted(got)))
    id_rate = 1 - len(id_misses) / len(wanted) if wanted else 1.0
    ece = expected_calibration_error(confidences, correct)
    sel_acc, sel_conf, reach = selective(confidences, correct)

    print(f"\n=== {name}: {len(examples)} messages, {len(labels)} intents ===")
    print(f"{'intent':<18}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}")
    for label, p, r, f, n in zip(labels, precision, recall, f1, support):
        print(f"{label:<18}{p:>10.3f}{r:>8.3f}{f:>8.3f}{n:>6}")
    print(
        f"intent accuracy            {accuracy:.3f}  (floor {floors.accuracy}; nlu_fallback counts as wrong: {fell_back})"
    )
    print(f"top-intent accuracy        {top_accuracy:.3f}  (the best intent, also under nlu_fallback)")
    print(f"request_human recall       {human_recall:.3f}  ({human_hit}/{human_total}, floor {floors.human_recall})")
    print(f"asks for nobody → human    {false_human} of {len(truth) - human_total}")
    print(f"traps → human              {len(trap_hits)} of {len(traps)}  (max {floors.traps})")
    print(f"order_id extracted         {id_rate:.3f}  ({len(wanted) - len(id_misses)}/{len(wanted)})")
    print(f"ECE (10 bins)              {ece:.3f}")
    print(
        f"selective accuracy         {sel_acc:.3f} at {COVERAGE:.0%} coverage (confidence ≥ {sel_conf:.2f}); "
        f"accuracy ≥ {TARGET_SELECTIVE} up to {reach:.0%} coverage"
    )
    print(f"also in training data      {len(leaks)}" + ("" if floors.independent else "  (must be 0)"))
    if leaks and floors.independent:
        # short messages the set's author wrote independently ("谢谢", "转人工") are easy; the rest
        # says more about customers the data never anticipated
        leaked_texts = set(leaks)
        unseen = [(t, s) for e, t, s in zip(examples, truth, said) if e.text not in leaked_texts]
        if unseen:
            unseen_accuracy = sum(t == s for t, s in unseen) / len(unseen)
            print(f"accuracy on the others     {unseen_accuracy:.3f}  ({len(unseen)} messages not in data/)")
    errors = Counter((t, s) for t, s in zip(truth, said) if t != s)
    if errors:
        print(
            "most common confusions (truth → said): " + ", ".join(f"{t}→{s} {n}" for (t, s), n in errors.most_common(8))
        )
    if show_errors:
        misses = defaultdict(list)
        for e, s, (_, c) in zip(examples, said, guesses):
            if e.intent != s:
                misses[e.intent].append(f"{e.text}  → {s} ({c:.2f})")
        for t in sorted(misses):
            for line in misses[t]:
                print(f"  [{t}] {line}")
        for text, want, got in id_misses:
            print(f"  order_id missed: {text}  want {want} got {got}")
        for text in trap_hits:
            print(f"  TRAP taken for a request: {text}")
        for text in leaks:
            print(f"  also in training data: {text}")
    # A set made from data/ must stay out of it; an independent set's author never saw data/, so
    # sharing a short message ("谢谢", "rg") with it is chance, not a leak.
    leaked = bool(leaks) and not floors.independent
    failed = (
        accuracy < floors.accuracy
        or human_recall < floors.human_recall
        or len(trap_hits) > floors.traps
        or id_rate < floors.order_ids
        or leaked
    )
    print(f"{name}: {'FAILED' if failed else 'passed'}")
    return not failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/jieli.tar.gz")
    parser.add_argument("--data", action="append", help="a held-out set (repeatable); default: every set")
    parser.add_argument("--training", default="data/nlu", help="training data folder (leak check)")
    parser.add_argument(
        "--show-errors",
        action="append",
        default=[],
        help="print the misclassified messages of this set (name without .yml; repeatable)",
    )
    args = parser.parse_args()
    quiet_rasa()
    from rasa.core.agent import Agent

    from jieli_nlu.normalize import normalize_text

    agent = Agent.load(args.model)
    seen = training_texts(args.training)
    all_ok, timings = True, []
    for path in args.data or SETS:
        name = Path(path).stem
        examples = load_examples(path)
        results, times = asyncio.run(parse_all(agent, [e.text for e in examples]))
        timings += times
        leaks = [e.text for e in examples if normalize_text(e.text) in seen]
        all_ok &= report(name, examples, results, leaks, name in args.show_errors)
    timings.sort()
    print(
        f"\nparse latency over {len(timings)} messages: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms"
    )
    print("NLU evaluation:", "passed" if all_ok else "FAILED")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
