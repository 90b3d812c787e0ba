"""Group commit of the audit log on real PostgreSQL: `record` returns only once the record is
visible to anyone, concurrent records share transactions, and two writers (two gateway replicas)
still build one chain."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.auditlog import AuditLog, Entry, verify
from services.common.db import async_engine, libpq_url


def _entry(n: int = 0, trace: str | None = None) -> Entry:
    return Entry(trace_id=trace or secrets.token_hex(16), action="job.get", risk="low", payload={"n": n},
                 outcome="succeeded", status=200, error_code="", duration_ms=0.5, actor="tester")


def _rows(settings, traces: list[str]) -> list[tuple[str, int]]:
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        return conn.execute("SELECT trace_id, xmin::text::bigint FROM audit.audit_log WHERE trace_id = ANY(%s)",
                            (traces,)).fetchall()


async def test_record_returns_once_committed(settings):
    engine = async_engine(settings.database_url, pool_size=2)
    log = AuditLog(engine)
    log.start()
    try:
        for _ in range(5):
            e = _entry()
            await log.record(e)
            # another connection (another gateway's audit.search) sees it at once
            assert len(await asyncio.to_thread(_rows, settings, [e.trace_id])) == 1
    finally:
        await log.close()
        await engine.dispose()


async def test_concurrent_records_share_transactions(settings):
    engine = async_engine(settings.database_url, pool_size=2)
    log = AuditLog(engine)
    log.start()
    try:
        entries = [_entry(i) for i in range(60)]
        await asyncio.gather(*(log.record(e) for e in entries))
        rows = await asyncio.to_thread(_rows, settings, [e.trace_id for e in entries])
        assert len(rows) == 60
        transactions = {xmin for _, xmin in rows}
        assert len(transactions) <= 5, f"60 concurrent records took {len(transactions)} transactions"
    finally:
        await log.close()
        await engine.dispose()


@contextlib.asynccontextmanager
async def replicas(settings, n: int = 2) -> AsyncIterator[tuple[list[AsyncEngine], list[AuditLog]]]:
    """The audit writers of `n` gateway replicas, each on its own engine; closed afterwards."""
    engines = [async_engine(settings.database_url, pool_size=2) for _ in range(n)]
    logs = [AuditLog(e) for e in engines]
    try:
        yield engines, logs
    finally:
        for log in logs:
            await log.close()
        for e in engines:
            await e.dispose()


async def test_two_replicas_writing_at_once_keep_one_chain(settings):
    async with replicas(settings) as (engines, logs):
        async def burst(log: AuditLog, k: int) -> None:
            for round_ in range(10):
                await asyncio.gather(*(log.record(_entry(k * 1000 + round_ * 10 + i)) for i in range(10)))

        await asyncio.gather(burst(logs[0], 1), burst(logs[1], 2), burst(logs[0], 3), burst(logs[1], 4))
        ok, checked, broken = await verify(engines[0])
        assert ok and broken == 0 and checked >= 400


async def test_flush_waits_for_everything_queued(settings):
    engine = async_engine(settings.database_url, pool_size=2)
    log = AuditLog(engine)
    try:
        entries = [_entry(i) for i in range(20)]
        for e in entries:
            log.submit(e)
        await log.flush()
        assert len(await asyncio.to_thread(_rows, settings, [e.trace_id for e in entries])) == 20
    finally:
        await log.close()
        await engine.dispose()


async def test_a_writer_whose_head_moved_links_to_the_new_one(settings):
    """Each writer appends after the head it last wrote, in one statement; when another replica
    appended meanwhile the database refuses the fork and the writer reads the head again."""
    async with replicas(settings) as (engines, (a, b)):
        first, second, third = _entry(1), _entry(2), _entry(3)
        await a.record(first)
        await b.record(second)  # after a's record: a's head is stale now
        await a.record(third)
        with psycopg.connect(libpq_url(settings.database_url)) as conn:
            recs = {t: (prev, h) for t, prev, h in conn.execute(
                "SELECT trace_id, prev_hash, hash FROM audit.audit_log WHERE trace_id = ANY(%s)",
                ([first.trace_id, second.trace_id, third.trace_id],)).fetchall()}
        assert recs[second.trace_id][0] == recs[first.trace_id][1]
        assert recs[third.trace_id][0] == recs[second.trace_id][1]  # not a's stale head
        ok, _, broken = await verify(engines[0])
        assert ok and broken == 0


async def test_the_database_refuses_a_second_record_after_the_same_one(settings):
    async with replicas(settings, 1) as (_, (log,)):
        await log.record(_entry())
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        (prev,) = conn.execute("SELECT prev_hash FROM audit.audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO audit.audit_log (ts, trace_id, action, risk, payload, outcome, status, "
                         "duration_ms, prev_hash, hash) VALUES (now(), 'fork', 'job.get', 'low', '{}', "
                         "'succeeded', 200, 0, %s, 'fork')", (prev,))
