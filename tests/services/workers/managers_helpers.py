"""Plain helpers of the managers and schedules tests (the fixtures are in conftest.py and in the
test modules): actions with an idempotency key, direct reads of the rows an action must change,
and replicas of the workers service on ports of their own."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row

from services.common.db import libpq_url
from services.common.settings import Settings
from tests.conftest import Component, free_port, start_service

FAST = {"SWITCHBOARD_LEASE_MS": "2000", "SWITCHBOARD_MANAGER_TICK_S": "0.2"}


def act(api, action: str, payload: dict[str, Any] | None = None, *, trace: str | None = None,
        roles: tuple[str, ...] = ("admin",)):
    """One action through the gateway with a known trace id and a fresh idempotency key."""
    headers = {"X-Trace-Id": trace or secrets.token_hex(16)}
    return api.act(action, payload or {}, key=str(uuid.uuid4()), headers=headers, roles=roles)


def ok(resp) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def problem(resp, status: int, field: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    assert [e["field"] for e in body.get("errors", [])][:1] == [field], body
    return body


def rows(settings: Settings, sql: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(libpq_url(settings.database_url), row_factory=dict_row, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def manager_row(settings: Settings, name: str) -> dict[str, Any]:
    return rows(settings, "SELECT * FROM workers.managers WHERE name = %s", name)[0]


def replica_settings(settings: Settings) -> Settings:
    port = free_port()
    return settings.with_(ports={**settings.ports, "workers": port},
                          addrs={**settings.addrs, "workers": f"127.0.0.1:{port}"})


def start_replica(settings: Settings, logs_dir, **env: str) -> Component:
    """Another workers-service process (its managers contend for the same leases)."""
    comp = start_service("workers", replica_settings(settings), logs_dir, **{**FAST, **env})
    return comp


def pid_of(leader: str) -> int:
    return int(leader.rsplit(":", 1)[1]) if leader else 0
