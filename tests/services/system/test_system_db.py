"""db.* through the gateway: statistics, VACUUM / ANALYZE with their effect on pg_stat, refusals of
foreign or malformed tables, migrations per schema, the cleanup bound — and a statement that hits
its timeout answers 504 with the database left as it was."""

from __future__ import annotations

import secrets
import threading

import psycopg
import pytest

from services.common.db import libpq_url
from tests.conftest import free_port, start_gateway, start_service
from tests.helpers import wait_for
from tests.services.system.system_helpers import act, audited, field_of

SCHEMAS = ["jobs", "queue", "workers", "system", "config", "logs", "audit"]


def _counts(pg, table: str) -> tuple[int, int]:  # noqa: ANN001
    schema, name = table.split(".")
    return pg.execute("SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s",
                      (schema, name)).fetchone()


def test_stats(sys_api, pg) -> None:
    body, trace = act(sys_api, "db.stats")
    audited(sys_api, trace, "db.stats", "succeeded")
    d = body["data"]
    assert d["database"] == pg.execute("SELECT current_database()").fetchone()[0]
    assert d["size_bytes"] > 0 and d["connections"] >= 1
    assert [s["name"] for s in d["schemas"]] == SCHEMAS
    system = next(s for s in d["schemas"] if s["name"] == "system")
    assert system["tables"] >= 5 and system["size_bytes"] > 0  # maintenance, pause_all, …, outbox


def test_vacuum_and_analyze_one_table(sys_api, pg) -> None:
    v0, a0 = _counts(pg, "system.maintenance")
    body, trace = act(sys_api, "db.vacuum", {"table": "system.maintenance"}, key=True)
    assert body["data"]["tables"] == ["system.maintenance"] and body["data"]["duration_ms"] >= 0
    audited(sys_api, trace, "db.vacuum", "succeeded")
    wait_for(lambda: _counts(pg, "system.maintenance")[0] > v0, timeout=5, what="vacuum_count")
    body, _ = act(sys_api, "db.analyze", {"table": "system.maintenance"})
    assert body["data"]["tables"] == ["system.maintenance"]
    wait_for(lambda: _counts(pg, "system.maintenance")[1] > a0, timeout=5, what="analyze_count")


def test_analyze_every_project_table(sys_api, pg) -> None:
    body, _ = act(sys_api, "db.analyze", {"table": ""})
    tables = body["data"]["tables"]
    assert "system.maintenance" in tables and "queue.queues" in tables and "audit.audit_log" in tables
    assert all(t.split(".")[0] in SCHEMAS for t in tables)


@pytest.mark.parametrize("table", ["public.anything", "pg_catalog.pg_class", "information_schema.tables",
                                   "nodot", "jobs.jobs; DROP TABLE x", "a.b.c"])
def test_vacuum_outside_the_projects_schemas_is_400(sys_api, table) -> None:
    body, trace = act(sys_api, "db.vacuum", {"table": table}, status=400, key=True)
    assert field_of(body) == ["table"], body
    audited(sys_api, trace, "db.vacuum", "invalid")


def test_unknown_table_of_a_project_schema_is_404(sys_api) -> None:
    body, _ = act(sys_api, "db.analyze", {"table": "jobs.no_such_table"}, status=404)
    assert field_of(body) == ["table"]


def test_migrations(sys_api) -> None:
    body, trace = act(sys_api, "db.migrations")
    audited(sys_api, trace, "db.migrations", "succeeded")
    by = {s["name"]: s for s in body["data"]["schemas"]}
    assert list(by) == SCHEMAS
    assert by["system"] == {"name": "system", "revision": "0001", "head": "0001", "up_to_date": True}
    assert by["jobs"]["up_to_date"] is True and by["jobs"]["revision"]
    assert by["audit"]["revision"] == by["audit"]["head"] != ""


@pytest.mark.parametrize("payload", [{}, {"older_than_s": 0}, {"older_than_s": -5, "dry_run": True}])
def test_cleanup_needs_a_bound(sys_api, payload) -> None:
    body, trace = act(sys_api, "db.cleanup", payload, status=400, key=True)
    assert field_of(body) == ["older_than_s"], body
    audited(sys_api, trace, "db.cleanup", "invalid")


def test_cleanup_refuses_unfinished_status(sys_api) -> None:
    body, _ = act(sys_api, "db.cleanup", {"older_than_s": 60, "status": "running"}, status=400, key=True)
    assert field_of(body) == ["status"]


@pytest.fixture(scope="module")
def short_timeout_gateway(settings, logs_dir, system_up):  # noqa: ANN001, ANN201
    """A second system service with a 300 ms statement timeout, and a gateway routing to it."""
    port = free_port()
    s2 = settings.with_(ports={**settings.ports, "system": port},
                        addrs={**settings.addrs, "system": f"127.0.0.1:{port}"})
    svc = start_service("system", s2, logs_dir, SWITCHBOARD_DB_STATEMENT_TIMEOUT_MS="300")
    gw, url = start_gateway(s2, logs_dir)
    yield s2, url
    gw.stop()
    svc.stop()


def test_statement_timeout_is_504_and_changes_nothing(sys_api, short_timeout_gateway, settings, pg) -> None:
    import httpx

    from gateway.auth import issue_token

    s2, url = short_timeout_gateway
    table = "system.paused_items"
    before = _counts(pg, table)
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:  # ANALYZE waits on this lock until its statement timeout
        with psycopg.connect(libpq_url(settings.database_url)) as conn:
            conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)
            conn.rollback()

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        assert locked.wait(10)
        trace = secrets.token_hex(16)
        r = httpx.post(f"{url}/api/admin/action", json={"action": "db.analyze", "payload": {"table": table}},
                       headers={"Authorization": f"Bearer {issue_token(s2, 'dba', ['admin'])}",
                                "X-Trace-Id": trace}, timeout=30)
    finally:
        release.set()
        t.join()
    assert r.status_code == 504 and r.json()["code"] == "DEADLINE_EXCEEDED", r.text
    audited(sys_api, trace, "db.analyze", "unavailable")
    assert _counts(pg, table) == before
    assert pg.execute(f"SELECT count(*) FROM {table}").fetchone() is not None  # still there, usable
