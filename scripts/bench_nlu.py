"""Measure what the issue targets: parse latency and training time from scratch.

    .venv-rasa/bin/python scripts/bench_nlu.py --model models/jieli.tar.gz [--train] [--rounds 3]

Parse latency is measured in process (Rasa's Agent, as `rasa run` uses it) on every message of
the held-out set, `--rounds` times after one warm-up round. `--train` also times `rasa train`
from scratch: a new output folder and an empty Rasa cache, so nothing is reused.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from quiet_rasa import quiet_rasa

ROOT = Path(__file__).resolve().parent.parent


def time_training() -> float:
    with tempfile.TemporaryDirectory(prefix="jieli-train-") as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache"), "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        subprocess.run(
            [
                str(ROOT / ".venv-rasa/bin/rasa"),
                "train",
                "--out",
                str(Path(tmp) / "models"),
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


async def time_parsing(model: str, texts: list[str], rounds: int) -> list[float]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    for text in texts:  # warm-up
        await agent.parse_message(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/jieli.tar.gz")
    parser.add_argument("--data", default="tests/nlu/heldout.yml")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train", action="store_true", help="also time rasa train from scratch")
    args = parser.parse_args()
    quiet_rasa()

    from rasa.shared.nlu.training_data.loading import load_data

    texts = [m.get("text") for m in load_data(args.data).intent_examples]
    texts += ["", "我要退款" * 1250, "😀😀😀", "???!!!", "Where is my parcel?"]
    timings = sorted(asyncio.run(time_parsing(args.model, texts, args.rounds)))
    pct = lambda q: timings[min(len(timings) - 1, int(len(timings) * q))]  # noqa: E731
    print(f"parse: {len(timings)} parses of {len(texts)} messages")
    print(
        f"  p50 {pct(0.50):.1f} ms   p90 {pct(0.90):.1f} ms   p99 {pct(0.99):.1f} ms   "
        f"mean {statistics.fmean(timings):.1f} ms   max {timings[-1]:.1f} ms"
    )
    print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.train:
        print(f"train from scratch: {time_training():.0f} s on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
