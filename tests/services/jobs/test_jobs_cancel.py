"""job.cancel of a pending job in one statement (services/jobs/service.py `cancel_job`): the answer,
the row, the event and the refusals are what the ORM version gave, and concurrent cancels of one
job still cancel it once."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from admin.jobs.v1 import jobs_pb2
from tests.services.jobs.jobs_helpers import S, error_field, events_for, kwargs, traced, wait_for


def _submit(jobs, queue: str) -> jobs_pb2.Job:
    return jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="c"), queue=queue,
                                                    priority=3)).job


def test_cancel_answers_the_committed_row_and_emits_one_traced_event(jobs, paused_queue, redis, db):
    job = _submit(jobs, paused_queue)
    trace = secrets.token_hex(16)
    done = jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id), metadata=traced(trace, "carol")).job
    assert done.status == S.JOB_STATUS_CANCELLED and done.cancelled_at.endswith("Z")
    assert done.finished_at == done.cancelled_at and done.started_at == ""
    # The answer is the row as committed: a later read returns the same message.
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job.job_id)).job == done
    assert (done.task, done.queue, done.priority, done.created_at) == (job.task, job.queue, 3, job.created_at)
    assert dict(done.kwargs) == {"message": "c"}
    assert db.execute("SELECT cancelled_while_running FROM jobs.jobs WHERE job_id = %s",
                      (job.job_id,)).fetchone() == (False,)
    ev = wait_for(lambda: events_for(redis, job.job_id, "job.cancelled"), what="job.cancelled event")
    assert len(ev) == 1
    assert ev[0]["data"] == {"job_id": job.job_id, "queue": paused_queue, "terminated": False, "was": "pending"}
    assert ev[0]["trace_id"] == trace and ev[0]["actor"] == "carol" and ev[0]["source"] == "jobs"


def test_cancel_twice_unknown_and_malformed_ids_are_refused_as_before(jobs, paused_queue):
    job = _submit(jobs, paused_queue)
    jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id))
    with pytest.raises(grpc.RpcError) as err:
        jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert err.value.details() == (f"job {job.job_id} is already cancelled; only pending or running jobs "
                                   "can be cancelled")
    assert error_field(err.value) == "job_id"
    with pytest.raises(grpc.RpcError) as err:
        jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id="job_doesnotexist"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert err.value.details() == "job job_doesnotexist not found"
    for bad, code in (("", grpc.StatusCode.INVALID_ARGUMENT), ("x" * 65, grpc.StatusCode.INVALID_ARGUMENT)):
        with pytest.raises(grpc.RpcError) as err:
            jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=bad))
        assert err.value.code() == code and error_field(err.value) == "job_id"


def test_concurrent_cancels_of_one_job_cancel_it_once(jobs, paused_queue, redis):
    job = _submit(jobs, paused_queue)

    def cancel(_: int) -> str:
        try:
            jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id))
            return "ok"
        except grpc.RpcError as exc:
            return exc.code().name

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(cancel, range(8)))
    assert outcomes == ["FAILED_PRECONDITION"] * 7 + ["ok"]
    # Barrier: events leave in commit order; once a later event is out, a second cancel's would be too.
    later = _submit(jobs, paused_queue)
    wait_for(lambda: events_for(redis, later.job_id, "job.submitted"), what="the barrier's event")
    assert len(events_for(redis, job.job_id, "job.cancelled")) == 1
