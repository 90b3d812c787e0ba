"""job.submit in one statement (services/jobs/service.py `submit_job`): the answer is the row as
stored, and its job.submitted event is committed with it."""

from __future__ import annotations

import secrets

from admin.jobs.v1 import jobs_pb2
from tests.services.jobs.jobs_helpers import S, events_for, kwargs, traced, wait_for


def test_submit_answers_the_stored_row_and_emits_its_event(jobs, paused_queue, redis, db):
    trace = secrets.token_hex(16)
    job = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="s"), queue=paused_queue,
                                                   priority=7, max_attempts=3),
                         metadata=traced(trace, "dave")).job
    assert job.job_id.startswith("job_") and job.status == S.JOB_STATUS_PENDING
    assert job.created_at.endswith("Z") and job.trace_id == trace and job.created_by == "dave"
    assert (job.priority, job.max_attempts, job.attempts, job.eta) == (7, 3, 0, "")
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job.job_id)).job == job
    row = db.execute("SELECT held, terminated, cancelled_while_running, error, worker, retry_of FROM jobs.jobs "
                     "WHERE job_id = %s", (job.job_id,)).fetchone()
    assert row == (False, False, False, "", "", None)
    ev = wait_for(lambda: events_for(redis, job.job_id, "job.submitted"), what="job.submitted event")
    assert len(ev) == 1 and ev[0]["trace_id"] == trace and ev[0]["actor"] == "dave"
    assert ev[0]["data"] == {"job_id": job.job_id, "task": "echo", "queue": paused_queue, "priority": 7}


def test_a_delayed_submit_is_held_and_its_event_names_the_eta(jobs, paused_queue, redis, db):
    job = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="later"), queue=paused_queue,
                                                   countdown_s=3600)).job
    assert job.eta.endswith("Z")
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job.job_id)).job == job
    assert db.execute("SELECT held FROM jobs.jobs WHERE job_id = %s", (job.job_id,)).fetchone() == (True,)
    ev = wait_for(lambda: events_for(redis, job.job_id, "job.submitted"), what="job.submitted event")
    assert ev[0]["data"]["eta"] == job.eta
