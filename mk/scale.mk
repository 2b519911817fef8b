# Jieli past one machine, on one machine: the set-ups of scripts/topology.py under supervisord.
# make demo-scale: HAProxy (from Debian) in front of 2 bridges, 2 Rasa nodes, 2 action servers behind
# HAProxy's action front, on the local PostgreSQL and Redis; make test-scale: both set-ups' tests.
# Included by the top Makefile (it needs its setup, train and shop-db targets).
SCALE_VENV ?= .venv
SCALE_PY   := $(SCALE_VENV)/bin/python
SCALE_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
SCALE_APT  := haproxy

.PHONY: setup-scale demo-scale test-scale

setup-scale: setup-bridge ## HAProxy from Debian (apt-get, only when missing) for make demo-scale and make test-scale
	@if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  echo "Installing $(SCALE_APT) with apt-get"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(SCALE_APT); \
	fi

demo-scale: setup train shop-db setup-scale ## The production topology here: HAProxy, 2 bridges, 2 Rasa nodes, 2 action servers on PostgreSQL and Redis
	cd $(SCALE_DIR) && $(SCALE_PY) scripts/demo.py --scaled

test-scale: train setup-scale ## Both set-ups under supervisord, with kill -9 of Rasa, a bridge and an action server (tests/setups, ~5 min)
	cd $(SCALE_DIR) && PYTHONPATH=$(SCALE_DIR) $(SCALE_PY) -m pytest -W ignore::DeprecationWarning tests/setups
