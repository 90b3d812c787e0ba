"""Step 3: outcomes by result, one record per request (401s and failures included), fail-closed for
CRITICAL actions, and the hash chain on real PostgreSQL."""

import secrets

import psycopg
import pytest
from sqlalchemy import text

from gateway.auditlog import AuditLog, Entry, append, verify
from gateway.pipeline import audit
from gateway.pipeline.call import Reply
from services.common.db import async_engine, libpq_url
from tests.gateway.pipeline.conftest import Terminal, make_call


@pytest.mark.parametrize("reply,outcome", [
    (Reply(200, b""), "succeeded"), (Reply(200, b"", replayed=True), "replayed"), (Reply(400, b""), "invalid"),
    (Reply(401, b""), "unauthenticated"), (Reply(403, b""), "denied"),
    (Reply(409, b"", code="IDEMPOTENCY_IN_FLIGHT"), "conflict"),
    (Reply(422, b"", code="IDEMPOTENCY_KEY_REUSED"), "conflict"), (Reply(409, b"", code="QUEUE_EXISTS"), "failed"),
    (Reply(429, b""), "rate_limited"), (Reply(503, b""), "unavailable"), (Reply(504, b""), "unavailable"),
    (Reply(404, b""), "failed"), (Reply(500, b""), "failed"),
])
def test_outcomes(reply, outcome):
    assert audit.outcome(reply) == outcome


@pytest.fixture
async def engine(settings):
    eng = async_engine(settings.database_url, pool_size=2)
    yield eng
    await eng.dispose()


async def records(engine, trace_id):
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT * FROM audit.audit_log WHERE trace_id = :t"),
                                   {"t": trace_id})).mappings().all()


async def test_one_scrubbed_record_per_request_even_on_failure(engine):
    log = AuditLog(engine)
    log.start()

    class Boom(Terminal):
        async def __call__(self, call):
            raise RuntimeError("bug")

    step = audit.wrap(Boom(), log)
    call = make_call(action="job.get", payload={"job_id": "j", "password": "hunter2"})
    call.trace_id = secrets.token_hex(16)
    reply = await step(call)
    assert reply.status == 500 and reply.code == "INTERNAL"
    await log.close()
    [rec] = await records(engine, call.trace_id)
    assert rec["outcome"] == "failed" and rec["payload"] == {"job_id": "j", "password": "[Filtered]"}
    assert rec["actor"] == "tester" and rec["ip"] == "10.1.2.3"


async def test_critical_fails_closed_when_audit_cannot_be_written(settings):
    broken = async_engine(settings.database_url.rsplit("/", 1)[0] + "/no_such_db_" + secrets.token_hex(3))
    term = Terminal()
    log = AuditLog(broken, wait_s=0.3)
    reply = await audit.wrap(term, log)(make_call(action="job.terminate", payload={"job_id": "j"}))
    assert reply.status == 503 and not term.calls
    await broken.dispose()
    # A non-critical action still runs, but its answer cannot leave without its record: 503.
    late = await audit.wrap(term, log)(make_call(action="job.get"))
    assert len(term.calls) == 1
    assert late.status == 503 and late.code == "UNAVAILABLE" and b"/problems/audit-unavailable" in late.body
    await log.close(timeout_s=0.2)


async def test_chain_detects_alteration(engine, settings):
    await append(engine, [Entry(trace_id=secrets.token_hex(16), action="job.get", risk="low",
                                payload={"n": 1.5, "big": 1e20, "huge": 1.2345678901234568e+29, "s": "5", "i": 5}, outcome="succeeded", status=200, error_code="",
                                duration_ms=1.23456) for _ in range(3)])
    ok, checked, broken = await verify(engine)
    assert ok and broken == 0 and checked >= 3
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit.audit_log SET outcome = 'x'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit.audit_log")


async def test_concurrent_writers_keep_one_chain(settings):
    """Two gateway replicas (two engines) appending at once still build one unbroken chain: each
    batch reads the head only after it holds the chain lock."""
    import asyncio

    engines = [async_engine(settings.database_url, pool_size=4) for _ in range(2)]
    try:
        def batch(n: int) -> list[Entry]:
            return [Entry(trace_id=secrets.token_hex(16), action="job.get", risk="low", payload={"n": n},
                          outcome="succeeded", status=200, error_code="", duration_ms=0.5) for _ in range(3)]

        await asyncio.gather(*(append(engines[i % 2], batch(i)) for i in range(40)))
        ok, checked, broken = await verify(engines[0])
        assert ok and broken == 0 and checked >= 120
    finally:
        for e in engines:
            await e.dispose()


async def test_values_postgresql_cannot_store_never_block_the_chain(engine, settings):
    """A NUL anywhere (a token's sub, a payload key or value) is stored as U+FFFD; the batch it
    rode in is written, and the chain still verifies."""
    trace = secrets.token_hex(16)
    await append(engine, [
        Entry(trace_id=trace, action="job.get", risk="low", payload={"k\x00": ["v\x00"], "n": 1e20},
              outcome="invalid", status=400, error_code="INVALID_ARGUMENT", duration_ms=0.1,
              actor="mallory\x00", user_agent="ua\x00"),
        Entry(trace_id=trace, action="job.get", risk="low", payload={}, outcome="succeeded", status=200,
              error_code="", duration_ms=0.1, actor="alice"),
    ])
    rows = await records(engine, trace)
    assert len(rows) == 2
    bad = next(r for r in rows if r["status"] == 400)
    assert bad["actor"] == "mallory\ufffd" and bad["payload"]["k\ufffd"] == ["v\ufffd"]
    ok, _, broken = await verify(engine)
    assert ok and broken == 0
