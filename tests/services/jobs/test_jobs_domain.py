"""Pure logic of the jobs service (kwargs validation, page tokens) and the task wrapper's state
transitions against the real jobs schema: a cancelled job never starts, and a cancel wins over a
finishing task."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import paging
from services.common.db import sync_engine
from services.common.errors import InvalidArgument
from services.jobs import samples, service, tasks
from services.jobs.models import CANCELLED, PENDING, RUNNING, Job, outbox


def test_validate_kwargs_normalises_and_names_fields():
    assert samples.validate_kwargs("sleep", {"seconds": 1.5}) == {"seconds": 1.5}
    assert samples.validate_kwargs("report", {"rows": 10.0}) == {"rows": 10}
    with pytest.raises(InvalidArgument) as err:
        samples.validate_kwargs("report", {"rows": 0})
    assert err.value.field == "kwargs.rows"
    with pytest.raises(InvalidArgument) as err:
        samples.validate_kwargs("sleep", {"seconds": float("nan")})
    assert err.value.field == "kwargs.seconds"


def test_report_is_deterministic_and_scales_with_rows():
    a, b = samples.report(rows=1000), samples.report(rows=1000)
    assert a == b and a["rows"] == 1000
    assert samples.report(rows=1001)["digest"] != a["digest"]


def test_page_tokens_round_trip_and_reject_garbage():
    assert paging.decode_page_token(paging.encode_page_token(12345)) == 12345
    for bad in ("%%%", "djI6MTI", paging.encode_page_token(1).upper(), "djE6LTE"):
        with pytest.raises(InvalidArgument) as err:
            paging.decode_page_token(bad)
        assert err.value.field == "page_token"


@pytest.fixture
def session(settings):
    engine = sync_engine(settings.database_url, pool_size=1)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def _insert(session, status):
    job = Job(
        job_id=service.new_job_id(), task="echo", queue="default", status=status, kwargs={"message": "m"}
    )
    session.add(job)
    session.commit()
    return job


def _events(session, job_id):
    rows = session.execute(select(outbox.c.type).where(outbox.c.data["job_id"].astext == job_id))
    return [r[0] for r in rows]


def test_cancelled_job_is_not_started(session):
    job = _insert(session, CANCELLED)
    with session.begin():
        assert tasks.start_job(session, job_id=job.job_id, worker="w@h", pid=1) is None
    session.refresh(job)
    assert job.attempts == 0 and job.started_at is None and _events(session, job.job_id) == []


def test_start_then_cancel_wins_over_finish(session):
    job = _insert(session, PENDING)
    with session.begin():
        started = tasks.start_job(session, job_id=job.job_id, worker="w@h", pid=4242)
    assert started is not None and started.status == RUNNING and started.attempts == 1
    assert started.worker == "w@h" and started.worker_pid == 4242
    with session.begin():
        session.execute(Job.__table__.update().where(Job.job_id == job.job_id).values(status=CANCELLED))
    with session.begin():
        assert tasks.finish_job(session, job_id=job.job_id, queue="default", result={"x": 1}) is False
    session.refresh(job)
    assert job.status == CANCELLED and job.result is None
    assert _events(session, job.job_id) == ["job.started"]
