# Agents' suggested replies (handover_bridge/services/assist/, docs/agents.md).
# make eval-assist (scripts/eval_assist.py): top-1 and top-3 hit rates of the suggestions over the
# frozen sets tests/assist/dev.yml and tests/assist/sealed.yml, per set and per section; exits 1 when
# the sealed set's top-3 is below 0.80. A second or two.
# make bench-assist (bench/bench_assist.py): p50/p95 latency of GET …/suggestions on a real bridge
# (SQLite, the demo week as history); target p95 < 300 ms. About 15 seconds. BENCH_ASSIST_ARGS: --strict …
# Included by the top Makefile; works alone too: make -f mk/assist.mk eval-assist
ASSIST_VENV ?= .venv
ASSIST_PY   := $(ASSIST_VENV)/bin/python
ASSIST_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BENCH_ASSIST_ARGS ?=

.PHONY: eval-assist bench-assist

eval-assist: ## Suggested replies: top-1/top-3 hit rates on tests/assist/{dev,sealed}.yml (fails if sealed top-3 < 0.80)
	@cd $(ASSIST_DIR) && [ -x $(ASSIST_PY) ] || { echo "error: $(ASSIST_PY) is missing (make setup-bridge)" >&2; exit 1; }
	cd $(ASSIST_DIR) && $(ASSIST_PY) scripts/eval_assist.py

bench-assist: ## Suggested replies: p50/p95 latency of GET …/suggestions on a real bridge with a seeded history
	@cd $(ASSIST_DIR) && [ -x $(ASSIST_PY) ] || { echo "error: $(ASSIST_PY) is missing (make setup-bridge)" >&2; exit 1; }
	cd $(ASSIST_DIR) && PYTHONPATH=$(ASSIST_DIR) $(ASSIST_PY) bench/bench_assist.py $(BENCH_ASSIST_ARGS)
