"""The transactional outbox of the jobs service survives a crash between commit and publish,
and a re-publish after a crash between XADD and the mark carries the same event id.

A second jobs service runs on its own database (so the session's jobs service, whose relay would
publish any row of the shared schema, stays out of it) and with SWITCHBOARD_OUTBOX_RELAY=false."""

from __future__ import annotations

import secrets

import psycopg
import pytest

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.db import drop_database, libpq_url
from services.common.migrate import migrate_all
from tests.conftest import free_port, start_service
from tests.services.jobs.jobs_helpers import events_for, kwargs, wait_for


@pytest.fixture
def crash_settings(settings, queue_service):
    base = settings.database_url.rsplit("/", 1)[0]
    url = f"{base}/sb_jobs_outbox_{secrets.token_hex(4)}"
    migrate_all(url, schemas=["jobs"])
    port = free_port()
    yield settings.with_(
        database_url=url,
        ports={**settings.ports, "jobs": port},
        addrs={**settings.addrs, "jobs": f"127.0.0.1:{port}"},
    )
    drop_database(url)


def _outbox(conn, job_id):
    return conn.execute(
        "SELECT id, event_id::text, published_at FROM jobs.outbox WHERE data->>'job_id' = %s ORDER BY id",
        (job_id,),
    ).fetchall()


def test_crash_before_publish_loses_nothing_and_duplicates_keep_event_id(
    crash_settings, logs_dir, grpc_channel_factory, redis
):
    svc = start_service("jobs", crash_settings, logs_dir, SWITCHBOARD_OUTBOX_RELAY="false")
    try:
        stub = jobs_pb2_grpc.JobsServiceStub(grpc_channel_factory(crash_settings.addr("jobs")))
        # The session's worker may take the message; its wrapper finds no such row there and skips.
        job = stub.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="outbox"))).job
    finally:
        svc.kill()  # SIGKILL: no drain, no last relay pass
    with psycopg.connect(libpq_url(crash_settings.database_url), autocommit=True) as conn:
        rows = _outbox(conn, job.job_id)
        assert len(rows) == 1 and rows[0][2] is None  # committed, not published
        assert events_for(redis, job.job_id) == []  # and the only relay that could is dead

        svc = start_service("jobs", crash_settings, logs_dir)
        try:
            first = wait_for(lambda: events_for(redis, job.job_id, "job.submitted"), what="relayed event")
            assert first[0]["event_id"] == rows[0][1]
            wait_for(lambda: _outbox(conn, job.job_id)[0][2] is not None, what="row marked published")

            # As if the relay died after XADD but before marking the row: it must publish again.
            conn.execute("UPDATE jobs.outbox SET published_at = NULL WHERE id = %s", (rows[0][0],))
            conn.execute("NOTIFY jobs_outbox")
            both = wait_for(
                lambda: (e := events_for(redis, job.job_id, "job.submitted")) and len(e) == 2 and e,
                what="re-published event",
            )
            assert both[0]["event_id"] == both[1]["event_id"] == rows[0][1]
            assert both[0]["id"] != both[1]["id"]
        except BaseException:
            svc.kill()
            raise
        assert svc.stop() == 0  # SIGTERM drains and exits cleanly
