"""The outbox relay on plain psycopg (services/common/outbox.py): a batch is published and marked,
and connections killed under it (a PostgreSQL restart) cost retries, never events."""

from __future__ import annotations

import secrets
import uuid

import psycopg
import pytest
from redis.asyncio import Redis

from services.common import db
from services.common.db import drop_database, libpq_url
from services.common.migrate import migrate_all
from services.common.outbox import OutboxRelay
from services.jobs.models import outbox
from tests.services.jobs.jobs_helpers import stream_events


@pytest.fixture
def relay_db(settings):
    url = f"{settings.database_url.rsplit('/', 1)[0]}/sb_jobs_relay_{secrets.token_hex(4)}"
    migrate_all(url, schemas=["jobs"])
    yield url
    drop_database(url)


def _add(conn: psycopg.Connection, marker: str) -> None:
    conn.execute(
        "INSERT INTO jobs.outbox (event_id, type, source, ts, trace_id, actor, data) "
        "VALUES (%s, 'relay.probe', 'jobs', now(), %s, 'tester', jsonb_build_object('job_id', %s::text))",
        (str(uuid.uuid4()), "ab" * 16, marker),
    )


async def test_relay_publishes_marks_and_survives_killed_connections(settings, relay_db, redis):
    engine = db.async_engine(relay_db, pool_size=3)
    client = Redis.from_url(settings.redis_url)
    relay = OutboxRelay(engine, client, outbox, database_url=relay_db)
    first, second = f"relay-{secrets.token_hex(4)}", f"relay-{secrets.token_hex(4)}"
    try:
        with psycopg.connect(libpq_url(relay_db), autocommit=True) as conn:
            _add(conn, first)
            _add(conn, first)
            assert await relay.publish_pending() == 2
            assert await relay.publish_pending() == 0
            assert [e["data"] for e in stream_events(redis, "relay.probe", job_id=first)] == [{"job_id": first}] * 2
            marked = conn.execute("SELECT count(*) FROM jobs.outbox WHERE published_at IS NOT NULL "
                                  "AND stream_id IS NOT NULL").fetchone()
            assert marked == (2,)

            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            _add(conn, second)
            failures = 0
            while True:
                try:
                    assert await relay.publish_pending() == 1
                    break
                except psycopg.OperationalError:
                    failures += 1
                    assert failures <= 3  # at most each pooled connection once
            assert failures >= 1  # the killed connection was really in the pool
            assert len(stream_events(redis, "relay.probe", job_id=second)) == 1
            assert conn.execute("SELECT count(*) FROM jobs.outbox WHERE published_at IS NULL").fetchone() == (0,)
    finally:
        await client.aclose()
        await engine.dispose()
