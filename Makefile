# Jieli 接力 — every command you need. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV := .venv-rasa
RASA_PY   := $(RASA_VENV)/bin/python
RASA      := $(RASA_VENV)/bin/rasa
MODEL     := models/jieli.tar.gz
SHOP_DB   := var/shop.db
export PYTHONPATH := $(CURDIR)
export JIELI_SHOP_DB_URL ?= sqlite:///$(CURDIR)/$(SHOP_DB)
# Rasa and TensorFlow: no telemetry, quiet logs, reproducible threads.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAIN_INPUTS := config.yml domain.yml $(shell find data jieli_contract jieli_nlu jieli_dialogue lexicon -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null)

# The bridge's environment, tests and server (.venv, Python 3.11); the browser tests.
include mk/bridge.mk
include mk/browser.mk
# The benchmarks: make bench-bridge (bench/bridge/), make bench-load and its test make test-load (bench/load/)
include mk/bench.mk
# Agents' suggested replies: make eval-assist (the frozen evaluation), make bench-assist
include mk/assist.mk
# The browser code's tooling: the widget bundle, the JS type check and unit tests (Node.js, npm)
include mk/js.mk
# ruff over the Python code and the JS type check: make lint
include mk/lint.mk
# The scaled set-up (HAProxy, 2 bridges, 2 Rasa nodes, 2 action servers) and both set-ups' tests:
# make setup-scale, make demo-scale, make test-scale
include mk/scale.mk
# 企业微信 微信客服: make test-wechat (against the simulator), make demo-wechat (a WeChat customer in the terminal)
include mk/wechat.mk
test-browser: setup-bridge
test-browser: setup-js  # rasa-webchat 1.0.1 from npm for tests/browser/test_rasa_webchat.py

.PHONY: help setup train shop-db demo eval test test-dialogue test-actions test-stories test-nlu validate nlu-eval calibrate bench clean
.PHONY: export-training test-learning

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

setup: $(RASA_VENV)/.installed setup-bridge ## Create both environments (.venv-rasa: Rasa 3.6 on Python 3.10; .venv: the bridge on 3.11)

$(RASA_VENV)/.installed: requirements/rasa.in requirements/rasa.lock
	@PY310="$$(scripts/find-python310.sh)" && echo "Using $$PY310 for $(RASA_VENV)" && \
	  { [ -x $(RASA_PY) ] || "$$PY310" -m venv $(RASA_VENV); }
	$(RASA_PY) -m pip install --quiet --disable-pip-version-check -r requirements/rasa.in -c requirements/rasa.lock
	@touch $@

train: $(MODEL) ## Train the Rasa model (models/jieli.tar.gz) from scratch when data, lexicon or components changed

$(MODEL): $(RASA_VENV)/.installed $(TRAIN_INPUTS)
	$(RASA) train --force --fixed-model-name jieli --out models --config config.yml --domain domain.yml --data data
	@touch $@

shop-db: setup ## (Re)seed the demo shop database var/shop.db from shop/demo_orders.yml
	@mkdir -p var
	$(RASA_PY) -m actions.shop.seed --db "sqlite:///$(CURDIR)/$(SHOP_DB)" --reset

demo: setup train shop-db ## Run everything (Rasa, actions, bridge, widget, console) on SQLite under supervisord; prints the URLs
	$(BRIDGE_PY) scripts/demo.py

validate: setup ## Check the training data (rasa data validate; also fails on "Issue found" warnings, e.g. a broken example)
	@set -o pipefail; $(RASA) data validate --fail-on-warnings --config config.yml --domain domain.yml --data data 2>&1 \
		| tee /dev/stderr | { ! grep -q "Issue found"; } \
		|| { echo 'error: rasa reported an "Issue found" (or failed) above: the training data has a broken example or file' >&2; exit 1; }

test-actions: setup ## pytest: actions, shop adapters, NLU components
	$(RASA_PY) -m pytest tests/actions tests/nlu

test-stories: train ## Run tests/test_stories.yml against the trained model
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories

test-dialogue: train ## pytest: escalation signals, EscalationPolicy, whole conversations in one process
	$(RASA_PY) -m pytest tests/dialogue

nlu-eval: train ## Every held-out set separately (tests/nlu/heldout.yml, tests/nlu/independent/), then 5-fold cross-validation on data/
	$(RASA_PY) scripts/nlu_eval.py --model $(MODEL) --show-errors heldout --show-errors set_a
	$(RASA_PY) scripts/nlu_crossval.py --folds 5

calibrate: train ## Fit the intent classifier's temperature on the calibration split (set A) and write it into config.yml
	$(RASA_PY) scripts/calibrate_nlu.py --model $(MODEL) --write

test-bot: train ## End-to-end replies through a running action server
	$(RASA_PY) -m pytest tests/e2e

eval: train setup-bridge ## Play the scenarios of tests/scenarios/ through the bridge; report each handover
	$(BRIDGE_PY) scripts/eval_scenarios.py --sealed independent_b --sealed independent_c --sealed independent_d --sealed independent_e --sealed independent_g --sealed independent_h --sealed independent_i --sealed independent_k --sealed independent_m --sealed independent_o --sealed independent_q

export-training: setup-bridge ## Write the review candidates designers accepted into data/nlu/learned_from_agents.yml (then make train)
	$(BRIDGE_PY) -m handover_bridge export-training

test-learning: train setup-bridge ## Learning from agents: a real handover → review → export → rasa data validate → retrain → the bot answers (tests/learning, ~5 min)
	$(BRIDGE_PY) -m pytest -W ignore::DeprecationWarning tests/learning

test: lint test-js validate test-actions test-stories nlu-eval test-dialogue test-bot test-bridge test-wechat test-scale test-load test-learning test-browser eval eval-assist ## The whole suite (what CI runs)

bench: train ## Parse latency (p50/p95) and, with TRAIN=1, training time from scratch
	$(RASA_PY) scripts/bench_nlu.py --model $(MODEL) $(if $(TRAIN),--train,)

clean: ## Remove trained models, results and the demo database
	rm -rf models results var
