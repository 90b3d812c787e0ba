"""RFC 9457 problem responses with Switchboard's extension members (SPEC §4): every refusal the
gateway makes, and every service error it relays, leaves through here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"


def problem_body(
    status: int, title: str, detail: str, *, code: str, type_: str, action: str | None,
    trace_id: str, errors: Iterable[Mapping[str, str]] = (),
) -> bytes:
    return orjson.dumps({
        "type": type_, "title": title, "status": status, "detail": detail, "success": False,
        "action": action, "trace_id": trace_id, "code": code, "errors": list(errors),
    })


def problem_response(
    status: int, title: str, detail: str, *, code: str, type_: str, action: str | None = None,
    trace_id: str, errors: Iterable[Mapping[str, str]] = (), headers: Mapping[str, str] | None = None,
) -> Response:
    body = problem_body(status, title, detail, code=code, type_=type_, action=action,
                        trace_id=trace_id, errors=errors)
    return Response(body, status_code=status, media_type=PROBLEM_JSON,
                    headers={"X-Trace-Id": trace_id, **(headers or {})})
