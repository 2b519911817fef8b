"""Offline evaluation of agents' suggested replies (make eval-assist).

For every case of a frozen set (tests/assist/dev.yml, tests/assist/sealed.yml) the suggestion index
of the bridge (handover_bridge/services/assist: the shop's policy and manuals, the same retrieval
the console gets) is asked with the case's customer messages; a case is a top-1 hit when the first
suggestion is one of its right topics, a top-3 hit when any of the first three is. Prints the hit
rates per set and per section; exits 1 when the sealed set's top-3 rate is below --min-top3
(0.80). The sealed set is written by someone else and read only here: do not tune on it.

    .venv/bin/python scripts/eval_assist.py                  # dev and sealed
    .venv/bin/python scripts/eval_assist.py --sets dev -v    # dev only, with each miss
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handover_bridge.services.assist.knowledge import ShopFiles  # noqa: E402
from handover_bridge.services.assist.retrieval import Index  # noqa: E402

SETS = {"dev": ROOT / "tests/assist/dev.yml", "sealed": ROOT / "tests/assist/sealed.yml"}


def load_cases(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cases = data.get("cases") or []
    for case in cases:
        if not case.get("customer") or not case.get("answers"):
            raise SystemExit(f"{path}: case {case.get('id')} needs customer and answers")
    return cases


def evaluate(index: Index, cases: list[dict], verbose: bool = False) -> dict:
    per_section: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # cases, top1, top3
    top1 = top3 = 0
    for case in cases:
        answers = set(case["answers"])
        hits = [h.entry.topic for h in index.search([str(m) for m in case["customer"]], k=3)]
        first = bool(hits) and hits[0] in answers
        any3 = bool(answers.intersection(hits))
        top1 += first
        top3 += any3
        row = per_section[case["answers"][0].split(".")[0]]
        row[0] += 1
        row[1] += first
        row[2] += any3
        if verbose and not any3:
            print(f"  miss {case['id']}: {case['customer']} want {sorted(answers)} got {hits}")
    n = len(cases)
    return {
        "cases": n,
        "top1": top1 / n if n else 0.0,
        "top3": top3 / n if n else 0.0,
        "sections": {s: (c, t1 / c, t3 / c) for s, (c, t1, t3) in sorted(per_section.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="dev,sealed", help="comma list of dev, sealed")
    parser.add_argument("--min-top3", type=float, default=0.80, help="the sealed set's top-3 must reach this")
    parser.add_argument("--policy", default=str(ROOT / "shop/policy.yml"))
    parser.add_argument("--manuals", default=str(ROOT / "shop/manuals.yml"))
    parser.add_argument("-v", "--verbose", action="store_true", help="print each miss (dev only)")
    args = parser.parse_args(argv)
    index = Index(ShopFiles(Path(args.policy), Path(args.manuals)).entries())
    status = 0
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        if name not in SETS:
            parser.error(f"unknown set {name!r}")
        result = evaluate(index, load_cases(SETS[name]), verbose=args.verbose and name == "dev")
        print(f"{name}: {result['cases']} cases  top-1 {result['top1']:.3f}  top-3 {result['top3']:.3f}")
        for section, (count, t1, t3) in result["sections"].items():
            print(f"  {section:<18} {count:>4}  top-1 {t1:.3f}  top-3 {t3:.3f}")
        if name == "sealed" and result["top3"] < args.min_top3:
            print(f"sealed top-3 {result['top3']:.3f} is below {args.min_top3:.2f}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
