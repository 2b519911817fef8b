"""handover_bridge — Jieli's customer gateway, durable store and live-agent queue.

`create_app()` (handover_bridge.app) builds the Sanic app; `python -m handover_bridge` runs it.
"""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(*args, **kwargs):
    from .app import create_app as factory

    return factory(*args, **kwargs)
