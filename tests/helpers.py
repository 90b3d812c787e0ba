"""Plain helpers shared by every test module (fixtures live in conftest.py): waiting on a
condition instead of sleeping, reading gRPC error details, reading the event stream, a small
client of the action API (`Api`) and audit records of one trace."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
import redis as redis_sync

from gateway.auth import issue_token
from services.common.errors import FIELD_KEY, REASON_KEY
from services.common.events import STREAM, decode
from services.common.settings import Settings


def wait_for(
    predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = ""
) -> Any:
    """The first truthy value of predicate(), or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate} (last value {value!r})")


def rpc_error(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def error_field(exc: grpc.RpcError) -> str:
    return dict(exc.trailing_metadata() or ()).get(FIELD_KEY, "")  # type: ignore[attr-defined]


def error_reason(exc: grpc.RpcError) -> str:
    return dict(exc.trailing_metadata() or ()).get(REASON_KEY, "")  # type: ignore[attr-defined]


def stream_events(client: redis_sync.Redis, type_: str | None = None, **data: Any) -> list[dict[str, Any]]:
    """Every envelope on the event stream of `type_` (any when None) whose data has these values."""
    out = []
    for sid, fields in client.xrange(STREAM):
        e = decode(sid, fields)
        if (type_ is None or e["type"] == type_) and all(e["data"].get(k) == v for k, v in data.items()):
            out.append(e)
    return out


def uid(prefix: str = "u") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


@dataclass
class Api:
    """A client of one gateway, acting as one user."""

    url: str
    settings: Settings
    http: httpx.Client

    def token(self, sub: str | None = None, roles: tuple[str, ...] = ("admin",)) -> str:
        return issue_token(self.settings, sub or uid(), list(roles))

    def act(self, action: str, payload: dict[str, Any] | None = None, *, token: str | None = None,
            key: str | None = None, headers: dict[str, str] | None = None, roles: tuple[str, ...] = ("admin",),
            sub: str | None = None) -> httpx.Response:
        h = {"Authorization": f"Bearer {token or self.token(sub, roles)}"}
        if key:
            h["Idempotency-Key"] = key
        h.update(headers or {})
        return self.http.post(f"{self.url}/api/admin/action",
                              json={"action": action, "payload": payload or {}}, headers=h)


def audit_rows(settings: Settings, trace_id: str, *, expect: int = 1, timeout: float = 5.0) -> list[dict]:
    """Audit records of one trace, once `expect` are there (writes are batched) plus a moment to
    catch any extra record."""
    import psycopg
    from psycopg.rows import dict_row

    from services.common.db import libpq_url

    deadline = time.monotonic() + timeout
    with psycopg.connect(libpq_url(settings.database_url), row_factory=dict_row) as conn:
        while True:
            rows = conn.execute("SELECT * FROM audit.audit_log WHERE trace_id = %s ORDER BY seq",
                                (trace_id,)).fetchall()
            conn.commit()
            if len(rows) >= expect or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        return conn.execute("SELECT * FROM audit.audit_log WHERE trace_id = %s ORDER BY seq",
                            (trace_id,)).fetchall()


def new_trace() -> tuple[str, dict[str, str]]:
    t = secrets.token_hex(16)
    return t, {"X-Trace-Id": t}
