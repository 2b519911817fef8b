"""The handover bridge's benchmark (bench/bench_bridge.py runs it; see main.py)."""
