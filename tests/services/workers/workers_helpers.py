"""Plain helpers of the workers service tests (fixtures live in conftest.py)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row

from services.common.db import libpq_url
from services.common.settings import Settings
from tests.helpers import stream_events, wait_for  # noqa: F401 - re-exported to the tests

HIGH = {"worker.quiet", "worker.shutdown", "worker.pool_restart", "worker.autoscale", "worker.add_consumer",
        "worker.cancel_consumer", "worker.rate_limit", "worker.time_limit", "job.submit", "queue.create",
        "queue.pause", "queue.resume"}


def registry_row(settings: Settings, hostname: str) -> dict[str, Any] | None:
    with psycopg.connect(libpq_url(settings.database_url), row_factory=dict_row) as conn:
        return conn.execute("SELECT * FROM workers.workers WHERE hostname = %s", (hostname,)).fetchone()


def act(api, action: str, payload: dict[str, Any] | None = None, *, trace: str | None = None, roles=("admin",)):
    """One action through the gateway with a known trace id (and an idempotency key when required)."""
    headers = {"X-Trace-Id": trace or secrets.token_hex(16)}
    key = str(uuid.uuid4()) if action in HIGH else None
    return api.act(action, payload or {}, key=key, headers=headers, roles=roles)


def ok(resp) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


def live_stats(api, host: str) -> dict[str, Any]:
    data = ok(act(api, "worker.inspect", {"destination": host}))
    [reply] = data["replies"]
    assert reply["ok"], reply
    return reply
