"""Helpers of the system tests: acting through the gateway with a known trace, reading the SSOT."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.helpers import Api, audit_rows, stream_events, wait_for


def act(api: Api, action: str, payload: dict[str, Any] | None = None, *, status: int = 200,
        roles: tuple[str, ...] = ("admin",), sub: str | None = None, key: bool = False) -> tuple[dict, str]:
    """POST one action with a fresh trace id; asserts the HTTP status; returns (body, trace_id)."""
    trace = secrets.token_hex(16)
    r = api.act(action, payload or {}, roles=roles, sub=sub, headers={"X-Trace-Id": trace},
                key=secrets.token_hex(8) if key else None)
    assert r.status_code == status, f"{action}: {r.status_code} {r.text}"
    return r.json(), trace


def field_of(body: dict) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


def audited(api: Api, trace: str, action: str, outcome: str) -> dict:
    rows = audit_rows(api.settings, trace)
    assert len(rows) == 1 and rows[0]["action"] == action and rows[0]["outcome"] == outcome, rows
    return rows[0]


def event(redis_client, type_: str, trace: str, timeout: float = 10.0) -> dict:  # noqa: ANN001
    """The event of `type_` this trace emitted, once the outbox relay has published it."""
    found = wait_for(lambda: [e for e in stream_events(redis_client, type_) if e["trace_id"] == trace],
                     timeout=timeout, what=f"{type_} with trace {trace}")
    assert len(found) == 1, found
    return found[0]


def ssot_system(api: Api) -> dict:
    r = httpx.get(f"{api.url}/api/admin/ssot", headers={"Authorization": f"Bearer {api.token()}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["system"]
