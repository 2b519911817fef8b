"""The load test through the load balancer, 1 vs 2 Rasa nodes, kill -9 under load: `make bench-load`.

    .venv/bin/python bench/bench_load.py            # or: make bench-load  (about 9 minutes)
    .venv/bin/python bench/bench_load.py --quick    # or: make bench-load BENCH_ARGS=--quick  (a smoke test)
    .venv/bin/python bench/bench_load.py --help     # what it measures, and the options

The code is the package bench/load/: main (the run), phases (one phase: the swarm, samples, kills),
swarm (Locust as a library, in a process of its own), users and wire (the simulated customers and
agents, the WebSocket client), record (what they saw), procs (CPU and memory from /proc), verify
(the bridge's database against what the clients saw), report, script (what they say).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: bench.load, scripts
    from bench.load.main import main

    sys.exit(main())
