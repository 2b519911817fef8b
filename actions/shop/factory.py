"""`get_adapter()`: the shop adapter the settings ask for, created on first use and cached."""

from __future__ import annotations

import threading

from actions.settings import Settings, get_settings
from actions.shop.base import ShopAdapter

_adapters: dict[Settings, ShopAdapter] = {}
_lock = threading.Lock()


def create_adapter(settings: Settings) -> ShopAdapter:
    if settings.shop_adapter == "http":
        from actions.shop.http import HttpShopAdapter

        return HttpShopAdapter(settings.shop_api_url, settings.shop_api_token, settings.shop_api_timeout)
    from actions.shop.sql import SqlShopAdapter

    return SqlShopAdapter(settings.shop_db_url)


def get_adapter() -> ShopAdapter:
    settings = get_settings()
    with _lock:
        adapter = _adapters.get(settings)
        if adapter is None:
            adapter = _adapters[settings] = create_adapter(settings)
        return adapter


def reset_adapters() -> None:
    """Close and forget every cached adapter (tests; configuration reloads)."""
    with _lock:
        for adapter in _adapters.values():
            adapter.close()
        _adapters.clear()
