"""Pause state reaches real prefork Celery workers: a pause stops consumption now (broadcast
cancel_consumer), a worker started later honours it (it reads ListQueues at start-up), and a
queue created after a worker started is consumed (broadcast add_consumer)."""

from __future__ import annotations

from admin.jobs.v1 import jobs_pb2
from admin.queue.v1 import queue_pb2 as q
from services.common.celery import make_celery
from tests.conftest import start_worker
from tests.services.queue.queue_helpers import status, submit, wait_for

PENDING = jobs_pb2.JOB_STATUS_PENDING
SUCCEEDED = jobs_pb2.JOB_STATUS_SUCCEEDED


def barrier(jobs) -> None:
    """Until a job submitted now to `default` has run: the workers have polled the broker since
    (one prefetch each, consumed in order), so a message they were going to take is taken."""
    job_id = submit(jobs, task="echo", kwargs={"message": "barrier"}, queue="default")
    wait_for(lambda: status(jobs, job_id) == SUCCEEDED, timeout=20)


def consumed_queues(app) -> dict[str, set[str]]:
    """Worker node → names of the queues it consumes right now (Celery inspect)."""
    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    return {node: {queue["name"] for queue in qs} for node, qs in replies.items()}


def test_queue_created_after_the_worker_started_is_consumed(queues, jobs, qname, job_worker) -> None:
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname))
    job_id = submit(jobs, task="echo", kwargs={"message": "hello"}, queue=qname)
    wait_for(lambda: status(jobs, job_id) == SUCCEEDED, timeout=20)
    assert any(qname in names for names in consumed_queues(job_worker.celery).values())


def test_pause_stops_consumption_until_resume(queues, jobs, qname, job_worker) -> None:
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname))
    queues.PauseQueue(q.PauseQueueRequest(queue_name=qname))
    assert not any(qname in names for names in consumed_queues(job_worker.celery).values())
    job_id = submit(jobs, task="echo", kwargs={"message": "held"}, queue=qname)
    barrier(jobs)
    assert status(jobs, job_id) == PENDING
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.depth == 1

    queues.ResumeQueue(q.ResumeQueueRequest(queue_name=qname))
    wait_for(lambda: status(jobs, job_id) == SUCCEEDED, timeout=20)
    assert queues.GetQueue(q.GetQueueRequest(queue_name=qname)).queue.depth == 0


def test_worker_started_after_the_pause_honours_it(queues, jobs, qname, settings, logs_dir) -> None:
    queues.CreateQueue(q.CreateQueueRequest(queue_name=qname))
    queues.PauseQueue(q.PauseQueueRequest(queue_name=qname))
    app = make_celery(settings)
    before = set(consumed_queues(app))
    late = start_worker(settings, logs_dir, concurrency=1)
    try:
        # start_worker returns once any worker answers a ping; wait for this one to show up.
        node = wait_for(lambda: next(iter(set(consumed_queues(app)) - before), None), timeout=30)
        at_start = consumed_queues(app)[node]
        assert "default" in at_start and qname not in at_start

        job_id = submit(jobs, task="echo", kwargs={"message": "late"}, queue=qname)
        barrier(jobs)
        assert status(jobs, job_id) == PENDING

        queues.ResumeQueue(q.ResumeQueueRequest(queue_name=qname))
        assert qname in consumed_queues(app)[node]
        wait_for(lambda: status(jobs, job_id) == SUCCEEDED, timeout=20)
    finally:
        assert late.stop(timeout=30) is not None
