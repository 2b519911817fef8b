# The handover bridge's benchmark (bench/bench_bridge.py): real Rasa + action server + one bridge,
# all on free ports on 127.0.0.1; prints bot-turn overhead, relay latency with 500 sockets and
# memory, with PASS/FAIL against the targets of the bridge issue. About 3 minutes.
# Included by the top Makefile (`include mk/*.mk`); works alone too: make -f mk/bench.mk bench-bridge
# BENCH_ARGS: e.g. --strict (exit 1 when a target is missed), --database-url postgresql://…, --verbose
BENCH_VENV ?= .venv
BENCH_PY   := $(BENCH_VENV)/bin/python
BENCH_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BENCH_ARGS ?=

.PHONY: bench-bridge

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
