"""The Sanic application factory. Nothing happens at import time: `create_app()` wires routes and
listeners; the store, Redis, the Rasa client and the background sweeper start in listeners."""

from __future__ import annotations

import itertools

from sanic import Sanic

from .config import Settings
from .services.wiring.container import Bridge

_names = itertools.count(1)


def create_app(settings: Settings | None = None, *, background: bool = True) -> Sanic:
    from .api import agent, customer, handovers, health, metrics, middleware, ws_agent, ws_customer
    from .api.common import dumps
    from .api.errors import JsonErrorHandler

    settings = settings or Settings.from_env()
    number = next(_names)
    app = Sanic(
        "jieli_bridge" if number == 1 else f"jieli_bridge_{number}",
        error_handler=JsonErrorHandler(),
        dumps=dumps,
        configure_logging=False,
    )
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.WEBSOCKET_MAX_SIZE = 64 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.PROXIES_COUNT = settings.proxies_count
    app.config.KEEP_ALIVE_TIMEOUT = 75
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 5.0
    app.ctx.settings = settings
    app.ctx.bridge = bridge = Bridge(settings)

    for blueprint in (customer.bp, agent.bp, handovers.bp, health.bp, metrics.bp, ws_customer.bp, ws_agent.bp):
        app.blueprint(blueprint)
    from .api import static_files  # widget, agent console, demo shop (static/)

    app.blueprint(static_files.bp)
    from .api import analytics, lexicon  # the lead's dashboard API; the profanity lexicon

    app.blueprint(analytics.bp)
    app.blueprint(lexicon.bp)
    from .api import contract  # jieli_contract's labels for the pages

    app.blueprint(contract.bp)
    from .api import review  # learning from agents: review queue, intents, export

    app.blueprint(review.bp)
    from .api import assist  # suggested replies and the one-click wrap-up

    app.blueprint(assist.bp)
    if settings.demo_mode:  # the demo shop's "模拟登录": never registered outside demo mode
        from .api import demo_identity

        app.blueprint(demo_identity.bp)
    if settings.wechat_enabled:  # 企业微信 微信客服's callback URL (docs/channels.md)
        from .api import wechat

        app.blueprint(wechat.bp)
        app.blueprint(wechat.agent_bp)
    from .api import openapi  # the API reference: /openapi.yaml, /openapi.json

    app.blueprint(openapi.bp)
    from .api import socketio_webchat  # /socket.io: rasa-webchat's drop-in (Rasa's socket.io channel)

    socketio_webchat.install(app)
    middleware.install(app)

    @app.before_server_start
    async def start_bridge(app_, _loop=None):
        await bridge.start(background=background)

    @app.before_server_stop
    async def stop_bridge(app_, _loop=None):
        await bridge.stop()

    return app


def create_worker_app(settings: Settings) -> Sanic:
    """The factory each worker process calls (`--workers N`): its logging, then the app."""
    import logging.config

    from .jsonlog import logging_config

    logging.config.dictConfig(logging_config(settings.log_level))
    return create_app(settings)
