"""`GET /api/admin/ssot` (SPEC §5): the snapshot, with ETag / If-None-Match and X-Cache.

The hit path stays small on purpose: authenticate, one Redis GET, compare the stored ETag with the
header as bytes, and hand the stored JSON bytes to the response without parsing them.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gateway.readpath.access import require_viewer

router = APIRouter()


def etag_matches(if_none_match: str, etag: bytes) -> bool:
    """RFC 9110 weak comparison: any listed tag (W/ or not) equal to ours, or `*`."""
    ours = etag.decode()
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == ours:
            return True
    return False


@router.get("/api/admin/ssot", tags=["read"], summary="The SSOT snapshot for every console view")
async def get_ssot(request: Request) -> Response:
    principal = require_viewer(request)
    if isinstance(principal, Response):
        return principal
    served = await request.app.state.readpath.cache.get()
    headers = {"ETag": served.etag.decode(), "X-Cache": served.x_cache, "Cache-Control": "no-cache"}
    inm = request.headers.get("if-none-match")
    if inm and etag_matches(inm, served.etag):
        return Response(status_code=304, headers=headers)
    return Response(served.body, media_type="application/json", headers=headers)
