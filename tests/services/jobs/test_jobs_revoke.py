"""Cancelling pending jobs revokes them on every worker — coalesced, so a burst of cancels costs
few broadcasts (services/jobs/revoker.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from admin.jobs.v1 import jobs_pb2
from tests.services.jobs.jobs_helpers import S, kwargs, wait_for


def _revoked(worker) -> set[str]:
    replies = worker.celery.control.inspect(timeout=1.0).revoked() or {}
    return {job_id for ids in replies.values() for job_id in ids}


def test_cancelled_pending_jobs_are_revoked_on_the_worker(jobs, job_worker, paused_queue):
    ids = [
        jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs=kwargs(message="x"), queue=paused_queue)).job.job_id
        for _ in range(6)
    ]
    with ThreadPoolExecutor(6) as pool:  # a burst: these land in one or two broadcasts
        done = list(pool.map(lambda i: jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=i)).job, ids))
    assert all(j.status == S.JOB_STATUS_CANCELLED for j in done)
    wait_for(lambda: set(ids) <= _revoked(job_worker), timeout=10, what="revoked on the worker")
