"""Issue 8 inside the jobs service (gRPC, real worker): the back-off schedule, a running job
stopped by job.cancel_bulk and by job.mark_state (its process really ends), and the scheduler's
SubmitScheduledJob de-duplicating a tick."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from admin.jobs.v1 import jobs_pb2
from services.jobs.tasks import backoff_s
from tests.services.jobs.jobs_helpers import S, events_for, kwargs, traced, wait_for, wait_status
from tests.services.jobs.test_jobs_lifecycle import _pid_alive, _worker_pid


def test_backoff_doubles_from_one_second_up_to_five_minutes():
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_s(9) == 256 and backoff_s(10) == 300 and backoff_s(60) == 300


def test_cancel_bulk_and_mark_state_stop_running_jobs(jobs, job_worker, redis, db):
    md = traced(secrets.token_hex(16))
    a, b = (jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="sleep", kwargs=kwargs(seconds=60)), metadata=md).job.job_id
            for _ in range(2))
    wait_status(jobs, a, S.JOB_STATUS_RUNNING)
    wait_status(jobs, b, S.JOB_STATUS_RUNNING)
    pid_a, pid_b = _worker_pid(db, a), _worker_pid(db, b)

    got = jobs.CancelBulk(jobs_pb2.CancelBulkRequest(job_ids=[a]), metadata=md)
    assert (got.matched, got.affected) == (1, 1)
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=a)).job.status == S.JOB_STATUS_CANCELLED
    [ev] = wait_for(lambda: events_for(redis, a, "job.cancelled"), what="job.cancelled of a")
    assert ev["data"]["was"] == "running"

    marked = jobs.MarkState(jobs_pb2.MarkStateRequest(job_id=b, status=S.JOB_STATUS_SUCCEEDED, reason="done by hand"),
                            metadata=md).job
    assert marked.status == S.JOB_STATUS_SUCCEEDED and marked.finished_at
    wait_for(lambda: not _pid_alive(pid_a) or _worker_pid(db, a) != pid_a, 20, what="a's pool process to end")
    wait_for(lambda: not _pid_alive(pid_b) or _worker_pid(db, b) != pid_b, 20, what="b's pool process to end")
    # the wrapper's own final write did not undo the overrides
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=b)).job.status == S.JOB_STATUS_SUCCEEDED
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=a)).job.status == S.JOB_STATUS_CANCELLED


def test_scheduled_tick_is_submitted_once(jobs, queue_service):
    name = f"sched-{secrets.token_hex(3)}"
    tick = datetime(2026, 1, 1, 12, 0, tzinfo=UTC).isoformat()
    req = jobs_pb2.SubmitScheduledJobRequest(task="echo", kwargs=kwargs(message="t"), schedule=name,
                                             scheduled_for=tick)
    first = jobs.SubmitScheduledJob(req)
    again = jobs.SubmitScheduledJob(req)
    assert first.created and not again.created and again.job.job_id == first.job.job_id
    assert first.job.schedule == name and first.job.scheduled_for == "2026-01-01T12:00:00Z"
    manual = [jobs.SubmitScheduledJob(jobs_pb2.SubmitScheduledJobRequest(
        task="echo", kwargs=kwargs(message="t"), schedule=name)) for _ in range(2)]
    assert all(m.created for m in manual) and manual[0].job.job_id != manual[1].job.job_id
    assert manual[0].job.scheduled_for == ""
