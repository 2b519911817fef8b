# Browser tests of the widget, the demo shop and the agent console: Debian's Chromium driven by
# Playwright for Python (`playwright install` is not used: its browser download does not work here).
# Included by the top Makefile (`include mk/*.mk`); works alone too: make -f mk/browser.mk test-browser
BROWSER_VENV ?= .venv
BROWSER_PY   := $(BROWSER_VENV)/bin/python
BROWSER_DIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
# a CJK font, and an emoji font (the bot's and agents' replies use a few): else boxes in screenshots
BROWSER_APT  := chromium fonts-wqy-microhei fonts-noto-color-emoji

.PHONY: setup-browser test-browser

setup-browser: ## Chromium, a CJK and an emoji font from apt (only when missing) and Playwright for Python in .venv
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-wqy-microhei fonts-noto-color-emoji >/dev/null 2>&1; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  echo "Installing $(BROWSER_APT) with apt-get"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(BROWSER_APT); \
	fi
	@[ -x $(BROWSER_PY) ] || { echo "error: $(BROWSER_PY) is missing (make setup-bridge)" >&2; exit 1; }
	@cd $(BROWSER_DIR) && $(BROWSER_PY) -c "import playwright.sync_api" 2>/dev/null || \
	  $(BROWSER_PY) -m pip install --quiet --disable-pip-version-check playwright -c requirements/bridge.lock

test-browser: setup-browser ## The widget and the agent console in headless Chromium (tests/browser)
	cd $(BROWSER_DIR) && PYTHONPATH=$(BROWSER_DIR) $(BROWSER_PY) -m pytest -W ignore::DeprecationWarning tests/browser
