# handover_bridge: its environment (.venv, Python 3.11), its tests and its server.
# Included by the top Makefile (`include mk/*.mk`); works alone too: make -f mk/bridge.mk test-bridge
BRIDGE_VENV ?= .venv
BRIDGE_PY   := $(BRIDGE_VENV)/bin/python
BRIDGE_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BRIDGE_TEST_ENV ?=
# pytest's options (-q, no cache, the asyncio loop scope, warnings): [tool.pytest.ini_options] in pyproject.toml
BRIDGE_PYTEST = cd $(BRIDGE_DIR) && PYTHONPATH=$(BRIDGE_DIR) $(BRIDGE_TEST_ENV) $(BRIDGE_PY) -m pytest

.PHONY: setup-bridge test-bridge test-bridge-sqlite test-bridge-postgres bridge bridge-migrate

setup-bridge: $(BRIDGE_VENV)/.installed ## Create .venv (Python 3.11) with the bridge's packages

$(BRIDGE_VENV)/.installed: requirements/bridge.in requirements/bridge.lock
	@PY311=""; \
	for p in "$${PYTHON311:-}" "$$(command -v python3.11 || true)" $$HOME/.pyenv/versions/3.11*/bin/python3.11 \
	         /usr/local/bin/python3.11 /usr/bin/python3.11; do \
	  if [ -n "$$p" ] && [ -x "$$p" ] && "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; \
	  then PY311="$$p"; break; fi; \
	done; \
	[ -n "$$PY311" ] || { echo "error: Python 3.11 not found (set PYTHON311=/path/to/python3.11)" >&2; exit 1; }; \
	[ -x $(BRIDGE_PY) ] || { echo "Using $$PY311 for $(BRIDGE_VENV)"; "$$PY311" -m venv $(BRIDGE_VENV); }
	$(BRIDGE_PY) -m pip install --quiet --disable-pip-version-check -r requirements/bridge.in -c requirements/bridge.lock
	@touch $@

test-bridge: setup-bridge ## Bridge tests on SQLite and PostgreSQL (PostgreSQL required when CI=true)
	$(BRIDGE_PYTEST) tests/bridge

test-bridge-sqlite: BRIDGE_TEST_ENV = JIELI_TEST_STORES=sqlite
test-bridge-sqlite: setup-bridge ## Bridge tests on SQLite only (PostgreSQL-only tests still run when CI=true)
	$(BRIDGE_PYTEST) tests/bridge

test-bridge-postgres: BRIDGE_TEST_ENV = JIELI_TEST_STORES=postgresql
test-bridge-postgres: setup-bridge ## Bridge tests on PostgreSQL only
	$(BRIDGE_PYTEST) tests/bridge

bridge: setup-bridge ## Run the bridge (python -m handover_bridge; settings from JIELI_* variables)
	cd $(BRIDGE_DIR) && PYTHONPATH=$(BRIDGE_DIR) $(BRIDGE_PY) -m handover_bridge

bridge-migrate: setup-bridge ## Apply the bridge's database migrations
	cd $(BRIDGE_DIR) && PYTHONPATH=$(BRIDGE_DIR) $(BRIDGE_PY) -m handover_bridge migrate
