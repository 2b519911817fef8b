# 企业微信 微信客服 (docs/channels.md): the channel's tests against the local WeChat API simulator, and a
# terminal demo where you type as a WeChat customer. Included by the top Makefile.
.PHONY: test-wechat demo-wechat

test-wechat: setup-bridge ## WeChat channel tests against the simulator (SQLite and PostgreSQL; kill -9, 200 customers)
	$(BRIDGE_PYTEST) tests/wechat

demo-wechat: setup-bridge ## Type as a simulated WeChat customer against a running demo bridge (see docs/channels.md)
	cd $(BRIDGE_DIR) && PYTHONPATH=$(BRIDGE_DIR) $(BRIDGE_PY) scripts/demo_wechat.py $(DEMO_WECHAT_ARGS)
