"""The JSON Schema (draft 2020-12) of a handover: `handover.schema.json` beside this module, read
on first use (never at import time)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

CONTRACT_VERSION = 1  # the version of as_public_json's shape and of the schema file
CONTEXT_VERSION = 1  # context.version: the version of the handover context's shape
SCHEMA_PATH = Path(__file__).with_name("handover.schema.json")


@functools.lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def handover_schema() -> dict[str, Any]:
    """The schema of the body of POST /api/handovers (a fresh copy: callers may change it)."""
    return json.loads(_schema_text())
