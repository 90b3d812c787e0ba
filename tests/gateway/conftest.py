"""Fixtures of the gateway tests: the real gateway as a subprocess (`python -m gateway`) on a free
port against the session's PostgreSQL and Redis, tokens, and a small client for the action API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth import issue_token
from services.common.settings import Settings
from tests.conftest import Component, start_gateway  # noqa: F401 - re-exported to the tests here


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


@pytest.fixture(scope="session")
def gateway(settings: Settings, logs_dir: Path) -> Iterator[tuple[Component, str]]:
    comp, url = start_gateway(settings, logs_dir)
    yield comp, url
    comp.stop()


@pytest.fixture(scope="session")
def api(gateway: tuple[Component, str], settings: Settings) -> Iterator[Api]:
    with httpx.Client(timeout=30) as http:
        yield Api(gateway[1], settings, http)


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
