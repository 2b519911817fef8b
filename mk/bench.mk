# The benchmarks. make bench-bridge (bench/bench_bridge.py): real Rasa + action server + one bridge,
# all on free ports on 127.0.0.1; prints bot-turn overhead, relay latency with 500 sockets and
# memory, with PASS/FAIL against the targets of the bridge issue. About 3 minutes.
# Included by the top Makefile (`include mk/*.mk`); works alone too: make -f mk/bench.mk bench-bridge
# BENCH_ARGS: e.g. --strict (exit 1 when a target is missed), --database-url postgresql://…, --verbose
BENCH_VENV ?= .venv
BENCH_PY   := $(BENCH_VENV)/bin/python
BENCH_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BENCH_ARGS ?=

.PHONY: bench-bridge bench-load test-load

bench-bridge: ## Benchmark the bridge against real Rasa: bot-turn overhead, relay with 500 sockets, memory
	@cd $(BENCH_DIR) && [ -x $(BENCH_PY) ] || { echo "error: $(BENCH_PY) is missing (make setup)" >&2; exit 1; }
	@cd $(BENCH_DIR) && [ -f models/jieli.tar.gz ] || { echo "error: no trained model: run make train first" >&2; exit 1; }
	cd $(BENCH_DIR) && PYTHONPATH=$(BENCH_DIR) $(BENCH_PY) bench/bench_bridge.py $(BENCH_ARGS)

# The long-conversation curve (bench/long_conversation.py): one customer talks to Rasa's REST channel
# for 200 turns (real model, action server, SQLite tracker store); prints the bot-turn p50/p95 over
# turns 1–20, 91–110, 181–200 and their ratio (target ≤ 1.25). About 3 minutes.
# LONG_ARGS: e.g. --conversations 3, --tracker-store memory|postgresql://…, --strict, --json
LONG_ARGS ?=

BENCH_RASA_PY ?= .venv-rasa/bin/python

.PHONY: bench-long bench-long-cpu

bench-long: ## The long-conversation curve: bot-turn p50/p95 over turns 1–20, 91–110, 181–200 of a 200-turn conversation
	@cd $(BENCH_DIR) && [ -x $(BENCH_PY) ] || { echo "error: $(BENCH_PY) is missing (make setup)" >&2; exit 1; }
	@cd $(BENCH_DIR) && [ -f models/jieli.tar.gz ] || { echo "error: no trained model: run make train first" >&2; exit 1; }
	cd $(BENCH_DIR) && PYTHONPATH=$(BENCH_DIR) $(BENCH_PY) bench/long_conversation.py $(LONG_ARGS)

bench-long-cpu: ## CPU per bot turn over a 200-turn conversation in one process; LONG_ARGS="--profile": what grows (bench/long_conversation_cpu.py)
	@cd $(BENCH_DIR) && [ -x $(BENCH_RASA_PY) ] || { echo "error: $(BENCH_RASA_PY) is missing (make setup)" >&2; exit 1; }
	@cd $(BENCH_DIR) && [ -f models/jieli.tar.gz ] || { echo "error: no trained model: run make train first" >&2; exit 1; }
	cd $(BENCH_DIR) && PYTHONPATH=$(BENCH_DIR) $(BENCH_RASA_PY) bench/long_conversation_cpu.py $(LONG_ARGS)

# The load test (bench/bench_load.py, code in bench/load/): Locust customers and agents through HAProxy
# against scripts/topology.py's scaled set-up on the local PostgreSQL (databases of its own, dropped at
# the end) and a Redis of its own; 1 vs 2 Rasa nodes, a mixed load with kill -9 of a Rasa node, an action
# server and a bridge, the stored messages checked in the bridge's database, the long-conversation curve.
# BENCH_ARGS: --quick (the embedded set-up, about 2 minutes), --strict, --json FILE, --help
bench-load: ## The load test through HAProxy: 1 vs 2 Rasa nodes, kill -9 under load, 0 lost / 0 doubled (about 10 minutes)
	@cd $(BENCH_DIR) && [ -x $(BENCH_PY) ] || { echo "error: $(BENCH_PY) is missing (make setup)" >&2; exit 1; }
	@cd $(BENCH_DIR) && [ -f models/jieli.tar.gz ] || { echo "error: no trained model: run make train first" >&2; exit 1; }
	@cd $(BENCH_DIR) && $(BENCH_PY) -c "import locust, supervisor" 2>/dev/null || { echo "error: locust or supervisor missing in $(BENCH_VENV) (make setup-bridge)" >&2; exit 1; }
	@case " $(BENCH_ARGS) " in *" --quick "*) ;; *) command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || \
	  { echo "error: HAProxy is missing (make setup-scale)" >&2; exit 1; } ;; esac
	cd $(BENCH_DIR) && PYTHONPATH=$(BENCH_DIR) $(BENCH_PY) bench/bench_load.py $(BENCH_ARGS)

test-load: ## The load test's pieces on the embedded set-up: customers, an agent, a bridge killed under load (tests/load, ~2 min)
	cd $(BENCH_DIR) && PYTHONPATH=$(BENCH_DIR) $(BENCH_PY) -m pytest -W ignore::DeprecationWarning tests/load
