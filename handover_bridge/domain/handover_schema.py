"""A handover body checked against jieli_contract's JSON Schema (draft 2020-12, jsonschema_rs):
what the action sends must be what the agent's card, the queue and the priority rule read. A body
that is not is refused with 422 `invalid_handover`, naming the field in plain words. Pure: no Sanic."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs

import jieli_contract as contract

from .errors import ServiceError


class InvalidHandover(ServiceError):
    status, code = 422, "invalid_handover"


@functools.lru_cache(maxsize=1)
def validator() -> jsonschema_rs.Draft202012Validator:
    """Compiled once, on first use (the schema file is read then, not at import time)."""
    return jsonschema_rs.Draft202012Validator(contract.handover_schema())


def field_name(path: Any) -> str:
    """["context", "transcript", 3, "sender"] → "context.transcript[3].sender"."""
    name = ""
    for part in path or []:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "the body"


def problems(body: Any) -> list[str]:
    """What is wrong with the body, one plain sentence per field (empty: it is a handover)."""
    found = []
    for error in validator().iter_errors(body):
        where = field_name(error.instance_path)
        if type(error.kind).__name__ == "Pattern":
            found.append(f"{where}: {str(error.instance)[:60]!r} is not an accepted value")
        else:
            found.append(f"{where}: {error.message[:200]}")
    return found


def check(body: Any) -> None:
    """InvalidHandover unless the body matches the schema (contract version CONTRACT_VERSION)."""
    found = problems(body)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InvalidHandover(f"the handover does not match the contract: {found[0]}{more}")
