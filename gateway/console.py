"""The admin console (SPEC §9): static files under `gateway/console/`, served at `/`.

`/` answers `index.html`; `/console/<path>` answers the console's modules, styles and vendored
libraries. Files are read once at start-up into memory with a strong ETag (content hash), so a warm
browser cache revalidates with a 304 and nothing is read from disk per request. Versioned vendored
files (their name carries the version) are cached as immutable. Every response carries a
Content-Security-Policy that allows only this origin (no inline script or style, no third party).
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

ROOT = Path(__file__).resolve().parent / "console"
PREFIX = "/console/"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Revalidate each time (ETag → 304): file names carry no content hash, so a newer gateway must be
# picked up at once. Vendored files are named with their version and never change.
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
         ".json": "application/json"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str
    cache_control: str


def load_assets(root: Path = ROOT) -> dict[str, Asset]:
    """Every servable file under `root`, keyed by its path relative to it (LICENSE files included,
    so the vendored licences are served beside their code)."""
    assets: dict[str, Asset] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        rel = path.relative_to(root).as_posix()
        body = path.read_bytes()
        media = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain; charset=utf-8"
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cache = IMMUTABLE if rel.startswith("vendor/") and path.name != "LICENSE" else REVALIDATE
        assets[rel] = Asset(body, media, etag, cache)
    return assets


def _serve(asset: Asset | None, request: Request) -> Response:
    if asset is None:
        return Response("not found", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Cache-Control": asset.cache_control}
    inm = request.headers.get("if-none-match")
    if inm and any(t.strip().removeprefix("W/") == asset.etag for t in inm.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def mount(app: FastAPI, root: Path = ROOT) -> None:
    """Add `GET /` and `GET /console/{path}` to `app`."""
    assets = load_assets(root)

    async def index(request: Request) -> Response:
        return _serve(assets.get("index.html"), request)

    async def asset(request: Request) -> Response:
        return _serve(assets.get(request.path_params["path"]), request)

    app.add_route("/", index, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_route(PREFIX + "{path:path}", asset, methods=["GET", "HEAD"], include_in_schema=False)
