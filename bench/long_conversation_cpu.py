"""CPU work per bot turn over a long conversation, in one process: what grows with the tracker.

    .venv-rasa/bin/python bench/long_conversation_cpu.py                      # SQLite, rolled every 20 (make demo)
    .venv-rasa/bin/python bench/long_conversation_cpu.py --roll-after 0 --profile
    .venv-rasa/bin/python bench/long_conversation_cpu.py --store memory       # Rasa's default store

The trained bot in one process (tests/dialogue/harness.py: the real actions, called with the JSON
Rasa would post), on a tracker store of `--store`: `sqlite` (RollingSQLTrackerStore in a
temporary folder, `--roll-after` messages per Rasa session; 0: never roll) or `memory`.
TensorFlow and the sentence encoder run on one thread each, so that CPU time measures work rather
than threads spinning on a busy machine — a steadier figure than `make bench-long`'s latencies
when other processes share the cores (they still slow every turn: compare windows of one run).
The conversations are staggered and played in turns as in bench/long_conversation.py. Prints the CPU p50 and mean per turn over turns 1–20,
91–110 and 181–200 of each conversation; with `--profile`, the functions whose CPU time per turn
grew most from the first window to the last (cProfile, which slows Python code several times).
"""

from __future__ import annotations

import os

# before TensorFlow or the encoder load: one thread each (see the docstring)
for _name in ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "dialogue"), str(ROOT / "bench")]

from long_conversation import MODEL, SCRIPT, WINDOWS, default_stagger  # noqa: E402


def load_bot(model: Path, store: str, roll_after: int, tmp: Path):
    """The agent (model, in-process actions) on the tracker store asked for, and its event loop."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore

    from actions.settings import get_settings
    from actions.shop.seed import seed
    from harness import InProcessActions, quiet

    seed(f"sqlite:///{tmp / 'shop.db'}", reset=True)
    os.environ.update(JIELI_SHOP_ADAPTER="sql", JIELI_SHOP_DB_URL=f"sqlite:///{tmp / 'shop.db'}", JIELI_BRIDGE_URL="")
    get_settings.cache_clear()
    quiet()
    loop = asyncio.new_event_loop()
    agent = Agent.load(str(model), action_endpoint=InProcessActions())
    if store == "sqlite":
        from jieli_dialogue.tracker_store import RollingSQLTrackerStore

        rolling = RollingSQLTrackerStore(
            domain=agent.domain, dialect="sqlite", db=str(tmp / "trackers.db"), roll_after=roll_after
        )
        agent.tracker_store = agent.processor.tracker_store = FailSafeTrackerStore(rolling)
    return agent, loop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    parser.add_argument("--roll-after", type=int, default=20, help="messages per Rasa session (sqlite; 0: never)")
    parser.add_argument("--conversations", type=int, default=3, help="staggered and played in turns")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="which functions grew (cProfile)")
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    with tempfile.TemporaryDirectory(prefix="jieli-cpu-") as tmp:
        agent, loop = load_bot(args.model, args.store, args.roll_after, Path(tmp))

        def say(sender: str, text: str) -> None:
            loop.run_until_complete(agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender)))

        for text in SCRIPT:  # warm up: code loaded, caches filled
            say("warm-up", text)
        first, last = WINDOWS[0], WINDOWS[-1]
        profiles = {first: cProfile.Profile(time.process_time), last: cProfile.Profile(time.process_time)}
        # staggered and played in turns, as bench/long_conversation.py play(): early and late turns
        # are measured side by side, under the same load from whatever else runs
        senders = [f"cpu-{uuid.uuid4().hex[:10]}" for _ in range(args.conversations)]
        cpu: list[list[float]] = [[] for _ in senders]
        stagger = default_stagger(args.turns, args.conversations)
        for step in range(args.turns + stagger * (args.conversations - 1)):
            for number, sender in enumerate(senders):
                turn = step - number * stagger + 1
                if not 1 <= turn <= args.turns:
                    continue
                window = next((w for w in profiles if w[0] <= turn <= w[1]), None)
                profile = profiles[window] if args.profile and window else None
                started = time.process_time()
                if profile:
                    profile.enable()
                say(sender, SCRIPT[(turn - 1) % len(SCRIPT)])
                if profile:
                    profile.disable()
                cpu[number].append(time.process_time() - started)
        loop.close()

    label = "memory" if args.store == "memory" else f"sqlite, roll_after {args.roll_after}"
    print(f"CPU per bot turn in one process ({label}), {args.conversations} conversation(s) of {args.turns} turns")
    for a, b in WINDOWS:
        values = [v for row in cpu for v in row[a - 1 : b]]
        if values:
            print(
                f"  turns {a:>3}-{b:<3}  p50 {statistics.median(values) * 1000:6.1f} ms"
                f"  mean {statistics.mean(values) * 1000:6.1f} ms"
            )
    if args.profile and last[1] <= args.turns:
        stats = {window: pstats.Stats(profile).stats for window, profile in profiles.items()}
        turns = args.conversations * (first[1] - first[0] + 1)
        for title, column in (("with what they call", 3), ("in their own code", 2)):
            grown = []
            for key, late in stats[last].items():
                early = stats[first].get(key, (0, 0, 0.0, 0.0, None))[column]
                grown.append(
                    ((late[column] - early) / turns * 1000, early / turns * 1000, late[column] / turns * 1000, key)
                )
            print(
                f"  CPU per turn that grew most, turns {first[0]}-{first[1]} → {last[0]}-{last[1]}, {title} (cProfile):"
            )
            for growth, early, late, (path, line, name) in sorted(grown, reverse=True)[:15]:
                where = path.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
                print(f"    +{growth:7.1f} ms  ({early:6.1f} → {late:6.1f})  {where}:{line} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
