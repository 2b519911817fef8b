"""The action server's configuration, read from the environment once (on first use).

| variable | default | meaning |
|---|---|---|
| JIELI_SHOP_ADAPTER | ``sql`` | ``sql`` (a shop database) or ``http`` (the shop's own order API) |
| JIELI_SHOP_DB_URL | ``sqlite:///<project>/var/shop.db`` | SQLAlchemy URL (SQLite or PostgreSQL) |
| JIELI_SHOP_API_URL | (empty) | base URL of the shop's order API, e.g. ``https://shop.example/api`` |
| JIELI_SHOP_API_TOKEN | (empty) | bearer token for that API |
| JIELI_SHOP_API_TIMEOUT | ``3`` | seconds |
| JIELI_POLICY_PATH | ``shop/policy.yml`` | the shop's policy (relative paths: from the project root) |
| JIELI_MANUALS_PATH | ``shop/manuals.yml`` | product manuals |
| JIELI_BRIDGE_URL | (empty) | handover bridge base URL; empty: no live agents, apologise instead |
| JIELI_ACTION_TOKEN | (empty) | bearer token the bridge expects from the action server |
| JIELI_BRIDGE_TIMEOUT | ``3`` | seconds per attempt |
| JIELI_ORDER_SECOND_FACTOR | ``phone_last4`` | what an anonymous customer may give instead of logging in to see or change an order: ``phone_last4`` (the last four digits of the order's phone) or ``none`` (log in only) |
| JIELI_SECOND_FACTOR_TRIES | ``3`` | wrong second-factor answers in a conversation before the bot stops offering it |
| JIELI_ORDER_LOOKUP_LIMIT | ``5`` | failed order lookups (not found, not theirs, wrong digits) per conversation and per verified customer … |
| JIELI_ORDER_LOOKUP_WINDOW | ``600`` | … within this many seconds, after which the bot stops looking up orders until they age out |

``JIELI_ACTION_TOKEN`` is also the secret of the verified-customer token the bridge puts into each
message's metadata (``jieli_identity``, actions/identity.py).

Nothing is read at import time; `get_settings()` reads once and caches. Tests call
`get_settings.cache_clear()` after changing the environment.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = ("sql", "http")
SECOND_FACTORS = ("phone_last4", "none")


@dataclass(frozen=True)
class Settings:
    shop_adapter: str
    shop_db_url: str
    shop_api_url: str
    shop_api_token: str
    shop_api_timeout: float
    policy_path: Path
    manuals_path: Path
    bridge_url: str
    action_token: str
    bridge_timeout: float
    order_second_factor: str = "phone_last4"
    second_factor_tries: int = 3
    order_lookup_limit: int = 5
    order_lookup_window: float = 600.0


def _path(value: str | None, default: str) -> Path:
    path = Path(value.strip() if value and value.strip() else default)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        logger.warning("%s=%r is not a number; using %s s", name, raw, default)
        return default
    if value <= 0:
        logger.warning("%s must be positive; using %s s", name, default)
        return default
    return value


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        logger.warning("%s=%r is not a positive whole number; using %s", name, raw, default)
        return default
    return value


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    adapter = _env("JIELI_SHOP_ADAPTER", "sql").lower() or "sql"
    if adapter not in ADAPTERS:
        logger.warning("JIELI_SHOP_ADAPTER=%r is unknown (use sql or http); using sql", adapter)
        adapter = "sql"
    second_factor = _env("JIELI_ORDER_SECOND_FACTOR", "phone_last4").lower() or "phone_last4"
    if second_factor not in SECOND_FACTORS:
        logger.warning("JIELI_ORDER_SECOND_FACTOR=%r is unknown (use phone_last4 or none); using none", second_factor)
        second_factor = "none"  # an unknown setting must not open orders up
    return Settings(
        shop_adapter=adapter,
        shop_db_url=_env("JIELI_SHOP_DB_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}",
        shop_api_url=_env("JIELI_SHOP_API_URL").rstrip("/"),
        shop_api_token=_env("JIELI_SHOP_API_TOKEN"),
        shop_api_timeout=_seconds("JIELI_SHOP_API_TIMEOUT", 3.0),
        policy_path=_path(os.environ.get("JIELI_POLICY_PATH"), "shop/policy.yml"),
        manuals_path=_path(os.environ.get("JIELI_MANUALS_PATH"), "shop/manuals.yml"),
        bridge_url=_env("JIELI_BRIDGE_URL").rstrip("/"),
        action_token=_env("JIELI_ACTION_TOKEN"),
        bridge_timeout=_seconds("JIELI_BRIDGE_TIMEOUT", 3.0),
        order_second_factor=second_factor,
        second_factor_tries=_count("JIELI_SECOND_FACTOR_TRIES", 3),
        order_lookup_limit=_count("JIELI_ORDER_LOOKUP_LIMIT", 5),
        order_lookup_window=_seconds("JIELI_ORDER_LOOKUP_WINDOW", 600.0),
    )
