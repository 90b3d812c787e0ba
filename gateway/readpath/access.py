"""Who may read: `viewer` or above, for the SSOT and the event stream alike (SPEC §5, §6)."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from gateway.auth import AuthError, Principal, authenticate, challenge
from gateway.pipeline.validate import trace_id_of
from gateway.problems import problem_response
from gateway.rbac import role_at_least

LEAST_ROLE = "viewer"


def require_viewer(conn: HTTPConnection) -> Principal | Response:
    """The caller, or the problem response (401 / 403) to send instead."""
    try:
        principal = authenticate(conn.app.state.settings, conn.headers.get("authorization"))
    except AuthError as exc:
        return problem_response(
            401, "Unauthorized", exc.detail, code="UNAUTHENTICATED", type_="/problems/unauthenticated",
            trace_id=trace_id_of(conn.headers),
            headers={"WWW-Authenticate": challenge(bool(conn.headers.get("authorization")))},
        )
    if not role_at_least(principal.roles, LEAST_ROLE):
        return problem_response(
            403, "Forbidden", f"reading the snapshot requires the {LEAST_ROLE} role or above",
            code="PERMISSION_DENIED", type_="/problems/forbidden", trace_id=trace_id_of(conn.headers),
        )
    return principal
