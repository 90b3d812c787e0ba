"""Jobs on a real prefork Celery worker, driven over gRPC: terminate (SIGKILL) and cancel (SIGTERM)
of running jobs, cancel of a pending job, success, failure, retry, listing and queue clearing."""

from __future__ import annotations

import os
import secrets

import grpc
import pytest

from admin.jobs.v1 import jobs_pb2
from tests.services.jobs.jobs_helpers import S, events_for, kwargs, traced, wait_for, wait_status


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting to be reaped runs nothing either
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _active_ids(worker) -> set[str]:
    replies = worker.celery.control.inspect(timeout=1.0).active() or {}
    return {t["id"] for tasks in replies.values() for t in tasks}


def _worker_pid(db, job_id: str) -> int:
    return db.execute("SELECT worker_pid FROM jobs.jobs WHERE job_id = %s", (job_id,)).fetchone()[0]


def test_terminate_kills_the_running_process_and_emits_one_traced_event(jobs, job_worker, redis, db):
    trace = secrets.token_hex(16)
    md = traced(trace)
    job = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="sleep", kwargs=kwargs(seconds=30)), metadata=md).job
    assert job.job_id.startswith("job_") and job.status == S.JOB_STATUS_PENDING
    running = wait_status(jobs, job.job_id, S.JOB_STATUS_RUNNING)
    assert running.attempts == 1 and running.worker and running.started_at
    pid = _worker_pid(db, job.job_id)
    assert pid and _pid_alive(pid)
    assert job.job_id in _active_ids(job_worker)

    done = jobs.TerminateJob(jobs_pb2.TerminateJobRequest(job_id=job.job_id), metadata=md).job
    assert done.status == S.JOB_STATUS_CANCELLED and done.cancelled_at

    wait_for(lambda: not _pid_alive(pid), timeout=10, what=f"pool child {pid} to die")
    wait_for(lambda: job.job_id not in _active_ids(job_worker), timeout=10, what="job gone from active()")
    wait_for(lambda: events_for(redis, job.job_id, "job.cancelled"), what="job.cancelled event")
    # Barrier: the relay publishes in commit order, so once an event committed after the cancel is
    # on the stream, a second job.cancelled for this job would be there too.
    later = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="barrier"))).job
    wait_for(lambda: events_for(redis, later.job_id, "job.submitted"), what="the barrier's event")
    cancelled = events_for(redis, job.job_id, "job.cancelled")
    assert len(cancelled) == 1
    assert cancelled[0]["trace_id"] == trace and cancelled[0]["actor"] == "alice"
    assert cancelled[0]["data"] == {
        "job_id": job.job_id, "queue": "default", "terminated": True, "was": "running"
    }
    # The trace crossed into Celery: the worker's job.started event carries it too.
    started = events_for(redis, job.job_id, "job.started")
    assert [e["trace_id"] for e in started] == [trace]
    # The cancel won: nothing overwrote the row after the process died.
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job.job_id)).job.status == S.JOB_STATUS_CANCELLED
    with pytest.raises(grpc.RpcError) as err:
        jobs.TerminateJob(jobs_pb2.TerminateJobRequest(job_id=job.job_id))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_cancel_running_job_stops_it_with_sigterm(jobs, job_worker, redis, db):
    job = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="sleep", kwargs=kwargs(seconds=30))).job
    wait_status(jobs, job.job_id, S.JOB_STATUS_RUNNING)
    pid = _worker_pid(db, job.job_id)
    done = jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id)).job
    assert done.status == S.JOB_STATUS_CANCELLED
    wait_for(lambda: job.job_id not in _active_ids(job_worker), timeout=10, what="job gone from active()")
    wait_for(lambda: not _pid_alive(pid), timeout=10, what=f"pool child {pid} to stop")
    wait_for(lambda: events_for(redis, job.job_id, "job.cancelled"), what="job.cancelled event")
    events = events_for(redis, job.job_id, "job.cancelled")
    assert len(events) == 1
    assert events[0]["data"]["was"] == "running" and events[0]["data"]["terminated"] is False
    assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job.job_id)).job.status == S.JOB_STATUS_CANCELLED
    # A job cancelled while running may be escalated to SIGKILL once, without a second job.cancelled.
    again = jobs.TerminateJob(jobs_pb2.TerminateJobRequest(job_id=job.job_id)).job
    assert again.status == S.JOB_STATUS_CANCELLED
    wait_for(lambda: events_for(redis, job.job_id, "job.terminated"), what="job.terminated event")
    assert len(events_for(redis, job.job_id, "job.cancelled")) == 1
    with pytest.raises(grpc.RpcError) as err:
        jobs.TerminateJob(jobs_pb2.TerminateJobRequest(job_id=job.job_id))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "already terminated" in err.value.details()


def test_cancel_pending_job_never_runs(jobs, job_worker, paused_queue, redis):
    job = jobs.SubmitJob(
        jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="never"), queue=paused_queue)
    ).job
    done = jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id)).job
    assert done.status == S.JOB_STATUS_CANCELLED
    ev = wait_for(lambda: events_for(redis, job.job_id, "job.cancelled"), what="job.cancelled event")
    assert ev[0]["data"] == {
        "job_id": job.job_id, "queue": paused_queue, "terminated": False, "was": "pending"
    }
    with pytest.raises(grpc.RpcError) as err:
        jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "cancelled" in err.value.details()
    again = jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job.job_id)).job
    assert again.attempts == 0 and again.started_at == "" and again.status == S.JOB_STATUS_CANCELLED


def test_echo_succeeds_with_its_result(jobs, job_worker, redis):
    request = jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="hello"), priority=3)
    job = jobs.SubmitJob(request).job
    done = wait_status(jobs, job.job_id, S.JOB_STATUS_SUCCEEDED)
    assert done.result.struct_value["message"] == "hello"
    assert done.attempts == 1 and done.priority == 3 and done.error == ""
    assert done.created_at.endswith("Z") and done.started_at and done.finished_at and done.cancelled_at == ""
    ev = wait_for(lambda: events_for(redis, job.job_id, "job.succeeded"), what="job.succeeded")
    assert ev[0]["data"]["result"] == {"message": "hello"}
    with pytest.raises(grpc.RpcError) as err:
        jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "succeeded" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        jobs.RetryJob(jobs_pb2.RetryJobRequest(job_id=job.job_id))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_report_computes_a_summary(jobs, job_worker):
    job = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="report", kwargs=kwargs(rows=20000))).job
    done = wait_status(jobs, job.job_id, S.JOB_STATUS_SUCCEEDED)
    summary = done.result.struct_value
    assert summary["rows"] == 20000 and 0 <= summary["min"] < summary["mean"] < summary["max"] <= 100


def test_fail_then_retry_links_the_new_job(jobs, job_worker, redis):
    job = jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="fail", kwargs=kwargs(message="disk on fire"))).job
    failed = wait_status(jobs, job.job_id, S.JOB_STATUS_FAILED)
    assert failed.error == "disk on fire" and failed.attempts == 1
    assert "JobFailed" in failed.traceback and failed.finished_at

    retried = jobs.RetryJob(jobs_pb2.RetryJobRequest(job_id=job.job_id)).job
    assert retried.job_id != job.job_id and retried.retry_of == job.job_id
    assert retried.task == "fail" and retried.kwargs["message"] == "disk on fire"
    ev = wait_for(lambda: events_for(redis, retried.job_id, "job.retried"), what="job.retried")
    assert ev[0]["data"]["retry_of"] == job.job_id
    again = wait_status(jobs, retried.job_id, S.JOB_STATUS_FAILED)
    assert again.attempts == 1 and again.retry_of == job.job_id


def test_list_pages_newest_first_and_clear_cancels_pending(jobs, job_worker, paused_queue, redis):
    ids = [
        jobs.SubmitJob(
            jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message=str(i)), queue=paused_queue)
        ).job.job_id
        for i in range(5)
    ]
    seen, token, pages = [], "", 0
    while True:
        resp = jobs.ListJobs(jobs_pb2.ListJobsRequest(queue=paused_queue, page_size=2, page_token=token))
        seen += [j.job_id for j in resp.jobs]
        pages += 1
        token = resp.next_page_token
        if not token:
            break
    assert seen == ids[::-1] and pages == 3
    only = jobs.ListJobs(jobs_pb2.ListJobsRequest(queue=paused_queue, status=S.JOB_STATUS_SUCCEEDED))
    assert list(only.jobs) == []
    with pytest.raises(grpc.RpcError) as err:
        jobs.ListJobs(jobs_pb2.ListJobsRequest(page_token="not-a-token"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in err.value.details()

    dry = jobs.CancelQueuedJobs(jobs_pb2.CancelQueuedJobsRequest(queue=paused_queue, dry_run=True))
    assert dry.cancelled == 5
    counts = jobs.CountJobs(jobs_pb2.CountJobsRequest(queue=paused_queue)).by_status
    assert counts["pending"] == 5 and counts["cancelled"] == 0
    assert jobs.CancelQueuedJobs(jobs_pb2.CancelQueuedJobsRequest(queue=paused_queue)).cancelled == 5
    counts = jobs.CountJobs(jobs_pb2.CountJobsRequest(queue=paused_queue)).by_status
    assert counts["pending"] == 0 and counts["cancelled"] == 5
    for job_id in ids:
        wait_for(lambda j=job_id: events_for(redis, j, "job.cancelled"), what=f"job.cancelled for {job_id}")
        assert len(events_for(redis, job_id, "job.cancelled")) == 1
