"""Static files: the customer widget (`/widget.js`, `/widget/…`), the agent console
(`/console/…`), the modules both use (`/shared/…`: the console imports them, the widget's bundle has
them built in) and, in demo mode only, the demo shop (`/shop/…`).

Files live in `handover_bridge/static/`. They are read when first asked for and kept in memory
until they change on disk (checked by mtime and size). Every answer has a fitting content type,
an ETag (`If-None-Match` → 304) and a cache policy:

- `/widget.js`: `public, max-age=300` — shops embed it by a fixed URL, so a fix reaches every
  shop within five minutes; it may be loaded from any origin (CORP cross-origin, ACAO *).
- console, shared and shop files: `no-cache` — always revalidated (cheap 304s), never stale after a
  deploy.
- HTML pages carry a Content-Security-Policy that allows only this origin (and its WebSocket),
  so even a slip in the console's rendering could not run injected script.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, redirect

from ..domain.errors import NotFound

STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
WIDGET_CACHE = "public, max-age=300"
REVALIDATE = "no-cache"
# The demo shop's embed snippet names the default demo address; it is served with the address the
# page was actually requested on, so the shop works on any port (tests run on a free one).
DEMO_BRIDGE = "http://127.0.0.1:8080"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

bp = Blueprint("static_files")


@dataclass(frozen=True)
class _Entry:
    stamp: tuple[int, int]
    body: bytes
    etag: str


_cache: dict[Path, _Entry] = {}


def _resolve(folder: str, name: str) -> Path:
    """The file `name` inside static/`folder`; 404 for anything outside it, hidden or unknown."""
    relative = PurePosixPath(name)
    if (
        not name
        or relative.is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in relative.parts)
    ):
        raise NotFound("file not found")
    if relative.suffix.lower() not in CONTENT_TYPES:
        raise NotFound("file not found")
    base = (STATIC_ROOT / folder).resolve()
    path = (base / relative).resolve()
    if base not in path.parents or not path.is_file():
        raise NotFound("file not found")
    return path


def _load(path: Path) -> _Entry:
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    entry = _cache.get(path)
    if entry is None or entry.stamp != stamp:
        body = path.read_bytes()
        entry = _Entry(stamp, body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
        _cache[path] = entry
    return entry


def _origin(request: Request) -> tuple[str, str]:
    """(scheme://host, host) of this request, or the demo default when the Host looks odd."""
    host = request.host or ""
    if not _HOST.match(host):
        return DEMO_BRIDGE, DEMO_BRIDGE.split("://", 1)[1]
    scheme = "https" if request.scheme in ("https", "wss") else "http"
    return f"{scheme}://{host}", host


def _page_headers(request: Request, *, frame: bool) -> dict[str, str]:
    _, host = _origin(request)
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src 'self' ws://{host} wss://{host}; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; " + ("frame-ancestors 'self'" if frame else "frame-ancestors 'none'")
    )
    headers = {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer"}
    if not frame:
        headers["X-Frame-Options"] = "DENY"
    return headers


def _serve(
    request: Request, path: Path, cache: str, extra: dict[str, str] | None = None, body_filter=None
) -> HTTPResponse:
    entry = _load(path)
    body, etag = entry.body, entry.etag
    if body_filter is not None:
        body = body_filter(body)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {"Cache-Control": cache, "ETag": etag, **(extra or {})}
    content_type = CONTENT_TYPES[path.suffix.lower()]
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return HTTPResponse(status=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return HTTPResponse(status=200, headers=headers, content_type=content_type)
    return HTTPResponse(body, status=200, headers=headers, content_type=content_type)


GET = ["GET", "HEAD"]

# ---- the widget ---------------------------------------------------------------------------------

_WIDGET_HEADERS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}


@bp.route("/widget.js", methods=GET)
async def widget_js(request: Request):
    return _serve(request, _resolve("widget", "widget.js"), WIDGET_CACHE, _WIDGET_HEADERS)


@bp.route("/widget/<name:path>", methods=GET)
async def widget_asset(request: Request, name: str):
    return _serve(request, _resolve("widget", name), WIDGET_CACHE, _WIDGET_HEADERS)


# ---- the agent console --------------------------------------------------------------------------


@bp.route("/console", methods=GET, strict_slashes=True)
async def console_root(request: Request):
    return redirect("/console/", status=301)


@bp.route("/console/", methods=GET, strict_slashes=True)
async def console_index(request: Request):
    return _serve(request, _resolve("console", "index.html"), REVALIDATE, _page_headers(request, frame=False))


@bp.route("/console/<name:path>", methods=GET)
async def console_file(request: Request, name: str):
    extra = _page_headers(request, frame=False) if name.endswith(".html") else None
    return _serve(request, _resolve("console", name), REVALIDATE, extra)


@bp.route("/shared/<name:path>", methods=GET)
async def shared_file(request: Request, name: str):
    return _serve(request, _resolve("shared", name), REVALIDATE)


# ---- the demo shop (demo mode only) -------------------------------------------------------------


def _demo_only(request: Request) -> None:
    if not request.app.ctx.bridge.settings.demo_mode:
        raise NotFound("the demo shop is served in demo mode only")


@bp.route("/shop", methods=GET, strict_slashes=True)
async def shop_root(request: Request):
    _demo_only(request)
    return redirect("/shop/", status=302)


@bp.route("/shop/", methods=GET, strict_slashes=True)
async def shop_index(request: Request):
    return await shop_file(request, "index.html")


@bp.route("/shop/<name:path>", methods=GET)
async def shop_file(request: Request, name: str):
    _demo_only(request)
    path = _resolve("shop", name)
    if path.suffix != ".html":
        return _serve(request, path, REVALIDATE)
    origin, _ = _origin(request)

    def here(body: bytes) -> bytes:
        return body.replace(DEMO_BRIDGE.encode(), origin.encode())

    return _serve(request, path, REVALIDATE, _page_headers(request, frame=True), body_filter=here)
