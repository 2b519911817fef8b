"""Benchmark of the handover bridge against the real Rasa and action server: `make bench-bridge`.

    .venv/bin/python bench/bench_bridge.py            # or: make bench-bridge  (about 3 minutes)
    .venv/bin/python bench/bench_bridge.py --help     # what it measures, and the options

The code is the package bench/bridge/: main (command line, the run), services (start and stop
Rasa, the action server and the bridge), bot_turns (part 1), relay (part 2), report, common.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: bench.bridge, scripts
    from bench.bridge.main import main

    sys.exit(main())
