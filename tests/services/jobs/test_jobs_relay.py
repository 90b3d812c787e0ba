"""The outbox relay on a plain psycopg connection of its own (services/common/outbox.py): a batch is
published and marked, a connection killed under it (a PostgreSQL restart) costs a retry, never an
event, and a failure mid-batch leaves no claim held."""

from __future__ import annotations

import secrets
import uuid

import psycopg
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

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
    client = Redis.from_url(settings.redis_url)
    relay = OutboxRelay(client, outbox, database_url=relay_db)
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
                    assert failures <= 1  # the next batch reconnects
            assert failures == 1  # the relay's connection was really killed
            assert len(stream_events(redis, "relay.probe", job_id=second)) == 1
            assert conn.execute("SELECT count(*) FROM jobs.outbox WHERE published_at IS NULL").fetchone() == (0,)
    finally:
        await relay.close()
        await client.aclose()


async def test_a_batch_that_fails_mid_way_leaves_no_claim_and_is_published_later(settings, relay_db, redis):
    # A relay whose Redis cannot be reached claims the rows, then fails on XADD: a real failure.
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    down = OutboxRelay(unreachable, outbox, database_url=relay_db)
    client = Redis.from_url(settings.redis_url)
    relay = OutboxRelay(client, outbox, database_url=relay_db)
    marker = f"relay-{secrets.token_hex(4)}"
    try:
        with psycopg.connect(libpq_url(relay_db), autocommit=True) as conn:
            _add(conn, marker)
            with pytest.raises(RedisConnectionError):
                await down.publish_pending()
            # No claim left behind: the row can be locked (waiting at most for the failed
            # relay's backend to end), and the other relay publishes it.
            conn.execute("SET lock_timeout = '5s'")
            locked = conn.execute("SELECT count(*) FROM (SELECT id FROM jobs.outbox WHERE published_at IS NULL "
                                  "FOR UPDATE) AS t").fetchone()
            assert locked == (1,)
            assert await relay.publish_pending() == 1
            assert len(stream_events(redis, "relay.probe", job_id=marker)) == 1
            assert conn.execute("SELECT count(*) FROM jobs.outbox WHERE published_at IS NULL").fetchone() == (0,)
    finally:
        await down.close()
        await relay.close()
        await unreachable.aclose()
        await client.aclose()
