"""Jieli's action server: rasa_sdk's app, answering only Rasa (and the bridge's staff routes).

    python -m actions.server [--port 5055] [--host 127.0.0.1]

Runs the same Sanic app as `rasa run actions --actions actions` (rasa_sdk.endpoint.create_app,
its plugins, its number of workers) with one more rule: every request but `GET /health` must carry
the shared secret `JIELI_ACTIONS_WEBHOOK_TOKEN`, as the query parameter `token` (what Rasa sends
when endpoints.yml says `action_endpoint: {url: …, token: …}`, rasa/utils/endpoints.py
EndpointConfig.combine_parameters) or as `Authorization: Bearer <token>`. Anything else gets 401
`{"error": "unauthorized", "message": …}`; the comparison takes constant time. Without the check,
anything that reaches the port could post a made-up tracker to `/webhook` and make the actions
act with their own credentials (the bridge's action token, the shop's API token).
The bridge's order panel uses two routes under /staff/ (actions/staff.py), which take the bridge's
`JIELI_ACTION_TOKEN` as a bearer token instead (and answer 401 to anything else, the webhook
token included).

The secret must be strong (the bridge's rule, handover_bridge.config.secret_problem) and differ
from JIELI_ACTION_TOKEN; the server refuses to start otherwise, with a message naming the setting.
In demo mode (`JIELI_DEMO_MODE=true`) a missing one is the fixed demo value below and a weak one
is allowed (`make demo` generates a fresh one for every run anyway).

Host: `--host`, else `SANIC_HOST` (as rasa_sdk reads it), else 127.0.0.1 — never all interfaces
unless asked. See docs/security.md for the network policy around Rasa and this server.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
import threading

from handover_bridge.config import GENERATE_HINT, secret_problem

TOKEN_VARIABLE = "JIELI_ACTIONS_WEBHOOK_TOKEN"
DEMO_WEBHOOK_TOKEN = "jieli-demo-actions-webhook-token--not-for-production"
OPEN_PATHS = frozenset({"/health"})
DEFAULT_PORT = 5055

logger = logging.getLogger(__name__)


class ConfigError(ValueError):
    """The environment does not describe a usable action server."""


def _demo_mode(env: dict[str, str]) -> bool:
    return env.get("JIELI_DEMO_MODE", "").strip().lower() in ("1", "true", "yes", "on")


def webhook_token(env: dict[str, str] | None = None) -> str:
    """The secret Rasa must present, checked (ConfigError with a clear message when unusable)."""
    env = dict(os.environ if env is None else env)
    token = env.get(TOKEN_VARIABLE, "").strip()
    if _demo_mode(env):
        return token or DEMO_WEBHOOK_TOKEN
    if not token:
        raise ConfigError(
            f"{TOKEN_VARIABLE} is not set: the action server answers only Rasa, which must "
            f"send this secret (endpoints.yml: action_endpoint.token). Generate one with "
            f"{GENERATE_HINT} and give the same value to Rasa's endpoints.yml "
            "(set JIELI_DEMO_MODE=true for a local demo)"
        )
    if (why := secret_problem(token)) is not None or token == DEMO_WEBHOOK_TOKEN:
        raise ConfigError(
            f"{TOKEN_VARIABLE} {why or 'is the demo value'}. Outside demo mode it must be at "
            f"least 32 random characters: generate one with {GENERATE_HINT}"
        )
    if token == env.get("JIELI_ACTION_TOKEN", "").strip():
        raise ConfigError(
            f"{TOKEN_VARIABLE} and JIELI_ACTION_TOKEN are the same value (use a different secret for each)"
        )
    return token


def presented(request) -> str:
    """The token a request carries: ?token=… (Rasa) or Authorization: Bearer …"""
    token = request.args.get("token")
    if token:
        return token
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def guard(app, token: str, action_token: str = "") -> None:
    """Refuse every request without the token, except the health check; the bridge's staff
    routes (/staff/…, actions/staff.py) take the action token instead, and only it."""
    from sanic import response

    from actions import staff

    expected = token.encode()

    async def check_token(request):
        if request.path in OPEN_PATHS:
            return None
        if request.path.startswith(staff.PREFIX):
            if staff.authorised(request.headers.get("authorization", ""), action_token):
                return None
            logger.warning(
                "refused %s %s from %s: missing or wrong action token", request.method, request.path, request.ip
            )
            return response.json(
                {"error": {"code": "unauthorized", "message": "staff routes need the bridge's action token"}},
                status=401,
            )
        if hmac.compare_digest(presented(request).encode(), expected):
            return None
        logger.warning(
            "refused %s %s from %s: missing or wrong webhook token", request.method, request.path, request.ip
        )
        return response.json(
            {"error": "unauthorized", "message": "the action server answers only Rasa: missing or wrong token"},
            status=401,
        )

    app.register_middleware(check_token, "request")


def create_app(token: str, actions_package: str = "actions"):
    """rasa_sdk's app for `actions_package`, with the token check and rasa_sdk's plugins."""
    from rasa_sdk.endpoint import create_app as sdk_app
    from rasa_sdk.plugin import plugin_manager

    from actions import staff, topic_search
    from actions.shop.factory import get_adapter

    app = sdk_app(actions_package, cors_origins=None)
    guard(app, token, os.environ.get("JIELI_ACTION_TOKEN", "").strip())
    staff.register(app, get_adapter)  # the bridge's order panel (docs/agents.md)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    # the topic search's encoder and index, built while the server starts, not for the first customer
    threading.Thread(target=topic_search.warm_up, name="topic-search-warm-up", daemon=True).start()
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m actions.server", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_PORT, help="port (default 5055)")
    parser.add_argument("--host", default=None, help="address to listen on (default $SANIC_HOST or 127.0.0.1)")
    parser.add_argument("--actions", default="actions", help="package with the actions (default: actions)")
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"), help="logging level (default INFO)")
    args = parser.parse_args(argv)
    try:
        token = webhook_token()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from rasa_sdk import utils

    utils.configure_colored_logging(args.log_level.upper())
    utils.update_sanic_log_level()
    host = args.host or os.environ.get("SANIC_HOST") or "127.0.0.1"
    app = create_app(token, args.actions)
    logger.info("Action endpoint is up and running on http://%s:%s (webhook token required)", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    sys.exit(main())
