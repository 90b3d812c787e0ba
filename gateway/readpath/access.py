"""Who may read: `viewer` or above, for the SSOT and the event stream alike (SPEC §5, §6)."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from gateway.auth import AuthError, Principal, authenticate
from gateway.problems import problem_response
from gateway.rbac import role_at_least
from services.common import context

LEAST_ROLE = "viewer"


def trace_id_of(conn: HTTPConnection) -> str:
    h = conn.headers
    return (
        context.parse_traceparent(h.get("traceparent"))
        or context.valid_trace_id(h.get("x-trace-id"))
        or context.new_trace_id()
    )


def require_viewer(conn: HTTPConnection) -> Principal | Response:
    """The caller, or the problem response (401 / 403) to send instead."""
    try:
        principal = authenticate(conn.app.state.settings, conn.headers.get("authorization"))
    except AuthError as exc:
        return problem_response(
            401, "Unauthorized", exc.detail, code="UNAUTHENTICATED", type_="/problems/unauthenticated",
            trace_id=trace_id_of(conn), headers={"WWW-Authenticate": "Bearer"},
        )
    if not role_at_least(principal.roles, LEAST_ROLE):
        return problem_response(
            403, "Forbidden", f"reading the snapshot requires the {LEAST_ROLE} role or above",
            code="PERMISSION_DENIED", type_="/problems/forbidden", trace_id=trace_id_of(conn),
        )
    return principal
