"""The edge: what every JSON body and WebSocket frame goes through before a handler sees it, in
one place. Pure functions, no Sanic (the API layer and the services both use them).

* JSON is parsed with limits: at most MAX_DEPTH levels of nesting (deeper, even 30,000 levels,
  is a 400, never a RecursionError), integers within a signed 64-bit range (ids beyond it are a
  400), no NaN or Infinity.
* Every string (object keys too) is made safe to store and to send on: a lone surrogate
  ("\\ud800", which UTF-8 cannot encode) becomes U+FFFD, and control characters other than tab,
  line feed and carriage return (C0, DEL, C1) are removed. The text is otherwise kept exactly as
  sent.
* `whole_number` checks integers from query strings and paths the same way.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .domain.errors import Invalid

MAX_DEPTH = 32
MAX_INT64 = 2**63 - 1  # ids in the store (BIGINT)
MAX_INT32 = 2**31 - 1  # seqs and agent ids in the store (INTEGER)

_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SURROGATE = "\ud800-\udfff"
_UNSAFE = re.compile(f"[{_CONTROL}{_SURROGATE}]")
_CONTROLS = re.compile(f"[{_CONTROL}]+")
_SURROGATES = re.compile(f"[{_SURROGATE}]")


class _OutOfRange(ValueError):
    pass


def clean_text(text: str) -> str:
    """A string safe to store and send: lone surrogates → U+FFFD, control characters (but tab,
    LF, CR) removed. Unchanged (the same object) when there is nothing to do."""
    if not _UNSAFE.search(text):
        return text
    return _CONTROLS.sub("", _SURROGATES.sub("\ufffd", text))


def _int(literal: str) -> int:
    value = int(literal)
    if not -MAX_INT64 - 1 <= value <= MAX_INT64:
        raise _OutOfRange(literal)
    return value


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _OutOfRange(literal)
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(raw: bytes | str, what: str = "request body") -> Any:
    """Parse JSON from a client; Invalid (400, a clear message) for anything malformed."""
    try:
        data = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _OutOfRange:
        raise Invalid(
            f"{what}: numbers must be finite, and whole numbers between -2^63 and 2^63-1", "number_out_of_range"
        ) from None
    except RecursionError:
        raise Invalid(f"{what} is nested too deeply (at most {MAX_DEPTH} levels)", "json_too_deep") from None
    except (ValueError, UnicodeDecodeError):
        raise Invalid(f"{what} is not valid JSON", "invalid_json") from None
    return _clean(data, what)


def _clean(data: Any, what: str) -> Any:
    """Strings cleaned (clean_text) and the depth checked, in place (json.loads made fresh
    containers) and without recursion."""
    if isinstance(data, str):
        return clean_text(data)
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(f"{what} is nested too deeply (at most {MAX_DEPTH} levels)", "json_too_deep")
        if isinstance(node, dict):
            if any(_UNSAFE.search(key) for key in node):
                items = list(node.items())
                node.clear()
                node.update((clean_text(key), value) for key, value in items)
            entries = node.items()
        else:
            entries = enumerate(node)
        for key, value in list(entries):
            if isinstance(value, str):
                node[key] = clean_text(value)
            elif isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
    return data


def whole_number(value: Any, name: str, *, minimum: int = 0, maximum: int = MAX_INT64) -> int:
    """An integer from a query string, a path or a JSON field, within [minimum, maximum]; Invalid
    (`invalid_<name>`) otherwise."""
    if isinstance(value, bool):
        raise Invalid(f"{name} must be a whole number", f"invalid_{name}")
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 20 or not text.lstrip("-").isdigit() or not text.isascii():
            raise Invalid(f"{name} must be a whole number", f"invalid_{name}")
        value = int(text)
    if not isinstance(value, int):
        raise Invalid(f"{name} must be a whole number", f"invalid_{name}")
    if value < minimum or value > maximum:
        raise Invalid(f"{name} must be between {minimum} and {maximum}", f"invalid_{name}")
    return value
