"""GET /openapi.yaml and /openapi.json: the API reference, `handover_bridge/openapi.yaml`, kept by
hand next to the code (tests/bridge/test_openapi.py checks that it describes every route and fuzzes
the bridge against it). Public, like the API it describes; read on first request, then cached."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml
from sanic import Blueprint, Request
from sanic.response import HTTPResponse

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"

bp = Blueprint("openapi")


@functools.lru_cache(maxsize=1)
def _spec() -> tuple[bytes, bytes]:
    text = SPEC_PATH.read_bytes()
    data = yaml.safe_load(text)
    data.pop("x-static", None)  # anchors for the static pages' operations, expanded in `paths`
    return text, json.dumps(data, ensure_ascii=False).encode()


def description() -> dict:
    """The description as a dict (the tests compare it with the registered routes)."""
    return json.loads(_spec()[1])


@bp.get("/openapi.yaml")
async def openapi_yaml(request: Request):
    return HTTPResponse(
        _spec()[0], content_type="application/yaml; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


@bp.get("/openapi.json")
async def openapi_json(request: Request):
    return HTTPResponse(_spec()[1], content_type="application/json", headers={"Cache-Control": "no-cache"})
