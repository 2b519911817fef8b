# The browser code's tooling (Node.js and npm): esbuild bundles the widget, tsc type-checks the JSDoc
# types, node --test runs the unit tests. Versions pinned in package.json / package-lock.json.
# Included by the top Makefile; works alone too: make -f mk/js.mk test-js
JS_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
NPM    ?= npm
NODE   ?= node

.PHONY: setup-js widget lint-js test-js

setup-js: $(JS_DIR)/node_modules/.installed ## npm ci: esbuild and typescript, as package-lock.json pins them

$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@command -v $(NODE) >/dev/null 2>&1 || { echo "error: Node.js (18 or later) is missing" >&2; exit 1; }
	cd $(JS_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

widget: setup-js ## Rebuild handover_bridge/static/widget/widget.js from widget/src/ (commit the result)
	cd $(JS_DIR) && $(NODE) scripts/build_widget.mjs

lint-js: setup-js ## Type-check the browser code (// @ts-check, JSDoc) with tsc -p jsconfig.json
	cd $(JS_DIR) && ./node_modules/.bin/tsc -p jsconfig.json

test-js: setup-js setup-bridge ## JS unit tests (node --test tests/js/) and the committed widget.js equal to a fresh build
	cd $(JS_DIR) && $(NODE) --test tests/js/
	cd $(JS_DIR) && $(NODE) scripts/build_widget.mjs --check
