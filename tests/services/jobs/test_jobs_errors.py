"""Bad input gets a clear status naming the problem, and a dead backend stops start-up with one line."""

from __future__ import annotations

import subprocess
import sys
import time

import grpc
import pytest

from admin.jobs.v1 import jobs_pb2
from tests.conftest import ROOT, env_for, free_port
from tests.services.jobs.jobs_helpers import S, error_field, kwargs, wait_status


def _refused(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        call(request, timeout=10)
    return err.value


@pytest.mark.parametrize(
    ("task", "args", "field", "words"),
    [
        ("teleport", {}, "task", "unknown task"),
        ("", {}, "task", "required"),
        ("sleep", {"seconds": "soon"}, "kwargs.seconds", "number"),
        ("sleep", {"seconds": 7200}, "kwargs.seconds", "between"),
        ("sleep", {}, "kwargs.seconds", "required"),
        ("sleep", {"seconds": 1, "extra": 2}, "kwargs.extra", "not an argument"),
        ("echo", {"message": 42}, "kwargs.message", "string"),
        ("report", {"rows": 2.5}, "kwargs.rows", "integer"),
        ("report", {"rows": True}, "kwargs.rows", "integer"),
    ],
)
def test_bad_submission_is_invalid_argument(jobs, task, args, field, words):
    err = _refused(jobs.SubmitJob, jobs_pb2.SubmitJobRequest(task=task, kwargs=kwargs(**args)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_field(err) == field
    assert words in err.details() and field.split(".")[-1] in err.details()


def test_bad_priority_and_unknown_queue(jobs, queue_service):
    err = _refused(
        jobs.SubmitJob, jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="x"), priority=12)
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and error_field(err) == "priority"
    err = _refused(
        jobs.SubmitJob,
        jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="x"), queue="no-such-queue"),
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and "no-such-queue" in err.details()
    assert error_field(err) == "queue"


def test_unknown_and_missing_job_ids(jobs):
    for call, req in (
        (jobs.GetJob, jobs_pb2.GetJobRequest),
        (jobs.CancelJob, jobs_pb2.CancelJobRequest),
        (jobs.TerminateJob, jobs_pb2.TerminateJobRequest),
        (jobs.RetryJob, jobs_pb2.RetryJobRequest),
    ):
        err = _refused(call, req(job_id="job_0123456789abcdef"))
        assert err.code() == grpc.StatusCode.NOT_FOUND and "job_0123456789abcdef" in err.details()
        err = _refused(call, req(job_id=""))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and error_field(err) == "job_id"


def test_terminate_pending_says_use_cancel(jobs, paused_queue):
    job = jobs.SubmitJob(
        jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="x"), queue=paused_queue)
    ).job
    err = _refused(jobs.TerminateJob, jobs_pb2.TerminateJobRequest(job_id=job.job_id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "job.cancel" in err.details()
    err = _refused(jobs.RetryJob, jobs_pb2.RetryJobRequest(job_id=job.job_id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "pending" in err.details()
    jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.job_id))
    wait_status(jobs, job.job_id, S.JOB_STATUS_CANCELLED, timeout=5)


def test_list_rejects_negative_page_size_and_undefined_status(jobs):
    err = _refused(jobs.ListJobs, jobs_pb2.ListJobsRequest(page_size=-1))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and error_field(err) == "page_size"
    err = _refused(jobs.ListJobs, jobs_pb2.ListJobsRequest(status=42))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and error_field(err) == "status"


@pytest.mark.parametrize("module", ["services.jobs", "services.jobs.worker"])
def test_unreachable_database_exits_with_one_line(settings, module):
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/switchboard"
    env = env_for(settings, DATABASE_URL=dead)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", module], env=env, cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert time.monotonic() - started < 30
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0], proc.stderr


def test_a_value_the_database_refuses_is_invalid_argument_not_internal(jobs, queues):
    # Internal callers skip the gateway's payload checks; a NUL in an echo message reaches PostgreSQL.
    with pytest.raises(grpc.RpcError) as err:
        jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="a\x00b")))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "cannot be stored" in err.value.details()


def test_a_malformed_queue_name_is_judged_by_the_queue_service(jobs, queues):
    with pytest.raises(grpc.RpcError) as err:
        jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="x"), queue="Not A Queue"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_field(err.value) == "queue" and "queue_name must match" in err.value.details()
