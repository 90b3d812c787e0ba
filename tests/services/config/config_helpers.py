"""Plain helpers of the config service tests (fixtures live in conftest.py)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from services.common.db import libpq_url
from services.common.settings import Settings
from tests.gateway.conftest import Api, audit_rows
from tests.helpers import stream_events, wait_for  # noqa: F401 - re-exported to the tests


def act(api: Api, action: str, payload: dict[str, Any], **kw: Any) -> tuple[httpx.Response, str]:
    """One action with a fresh trace id (and an idempotency key: harmless on queries)."""
    trace = secrets.token_hex(16)
    headers = {"X-Trace-Id": trace, **kw.pop("headers", {})}
    r = api.act(action, payload, key=kw.pop("key", secrets.token_hex(8)), headers=headers, **kw)
    return r, trace


def ok(api: Api, action: str, payload: dict[str, Any], **kw: Any) -> tuple[dict[str, Any], str]:
    r, trace = act(api, action, payload, **kw)
    assert r.status_code == 200, r.text
    return r.json()["data"], trace


def sql(settings: Settings, query: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(libpq_url(settings.database_url), row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def versions(settings: Settings, key: str) -> list[dict[str, Any]]:
    return sql(settings, "SELECT * FROM config.versions WHERE key = %s ORDER BY version", key)


def audited(settings: Settings, trace: str, action: str, outcome: str) -> dict[str, Any]:
    rows = audit_rows(settings, trace)
    assert len(rows) == 1, rows
    assert (rows[0]["action"], rows[0]["outcome"]) == (action, outcome), rows[0]
    return rows[0]


def changed(redis: Any, key: str, **data: Any) -> list[dict[str, Any]]:
    return stream_events(redis, "config.changed", key=key, **data)
