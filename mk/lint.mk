# Lint: ruff (lint and format check, settings in pyproject.toml) over every Python file, then the
# JS type check (lint-js, mk/js.mk). Included by the top Makefile; ruff comes with `make setup-bridge`.
# Fix what ruff can: .venv/bin/ruff check --fix . && .venv/bin/ruff format .
LINT_VENV ?= .venv
RUFF      ?= $(LINT_VENV)/bin/ruff
LINT_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

.PHONY: lint lint-python

lint: lint-python ## ruff check and ruff format --check (Python), then the JS type check
	$(MAKE) lint-js

lint-python: setup-bridge ## ruff check . and ruff format --check . (settings in pyproject.toml)
	@cd $(LINT_DIR) && [ -x $(RUFF) ] || { echo "error: $(RUFF) is missing (make setup-bridge)" >&2; exit 1; }
	cd $(LINT_DIR) && $(RUFF) check .
	cd $(LINT_DIR) && $(RUFF) format --check .
