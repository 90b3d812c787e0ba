"""Job commands with side effects, in the order that loses nothing: the database transaction
(row + outbox event) commits first, then Celery is told (enqueue or revoke).

If the broker is unreachable after the commit the job stays recorded and the caller gets
UNAVAILABLE naming it; a cancel whose revoke fails is still a cancel, because the task wrapper
refuses to run a job that is no longer pending.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import Row

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import context
from services.common.celery import RUN_JOB_TASK
from services.common.errors import DomainError, NotFound, Unavailable
from services.common.kit import Runtime
from services.jobs import service
from services.jobs.models import RUNNING, Job
from services.jobs.revoker import Revoker

log = logging.getLogger(__name__)


class JobFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sessions = rt.sessions
        self.reads = rt.read_engine  # queries: autocommit connections (db.read_engine)
        self.celery = rt.celery
        self.revoker = Revoker(self.celery)
        rt.on_close(self.revoker.close)

    # --- queries -----------------------------------------------------------------------------

    async def get(self, *, job_id: str) -> Row:
        async with self.reads.connect() as conn:
            return await service.find_job(conn, job_id=job_id)

    async def list(self, **filters: Any) -> tuple[list[Row], str]:
        async with self.reads.connect() as conn:
            return await service.list_jobs(conn, **filters)

    async def count(self, *, queue: str) -> dict[str, int]:
        async with self.reads.connect() as conn:
            return await service.count_jobs(conn, queue=queue)

    # --- commands ----------------------------------------------------------------------------

    async def submit(self, *, task: str, kwargs: dict[str, Any], queue: str, priority: int) -> Job:
        submission = service.validate_submission(task=task, kwargs=kwargs, queue=queue, priority=priority)
        await self.require_queue(submission.queue)
        ctx = context.current()
        async with self.sessions.begin() as session:
            job = await service.create_job(
                session, submission=submission, trace_id=ctx.trace_id, actor=ctx.actor
            )
        await self.enqueue(job)
        return job

    async def cancel(self, *, job_id: str) -> Job:
        async with self.sessions.begin() as session:
            job, was = await service.cancel_job(session, job_id=job_id)
        if was == RUNNING:
            # SIGTERM lets the task clean up; job.terminate escalates to SIGKILL.
            await self.revoke(job_id, terminate=True, signal="SIGTERM")
        else:
            self.revoker.revoke_later(job_id)  # an optimisation only: see services/jobs/revoker.py
        return job

    async def terminate(self, *, job_id: str) -> Job:
        async with self.sessions.begin() as session:
            job = await service.terminate_job(session, job_id=job_id)
        await self.revoke(job_id, terminate=True, signal="SIGKILL")
        return job

    async def retry(self, *, job_id: str) -> Job:
        async with self.sessions() as session:
            original = await service.get_job(session, job_id=job_id)
        await self.require_queue(original.queue)
        ctx = context.current()
        async with self.sessions.begin() as session:
            job = await service.retry_job(session, job_id=job_id, trace_id=ctx.trace_id, actor=ctx.actor)
        await self.enqueue(job)
        return job

    async def cancel_queued(self, *, queue: str, dry_run: bool) -> int:
        # No revoke: queue.clear purges the broker, and the wrapper skips anything not pending.
        async with self.sessions.begin() as session:
            return await service.cancel_queued_jobs(session, queue=queue, dry_run=dry_run)

    # --- side effects ---------------------------------------------------------------------

    async def require_queue(self, queue: str) -> None:
        """NOT_FOUND unless the queue service knows `queue` (it owns queue definitions)."""
        try:
            await self.rt.call(
                "queue", queue_pb2_grpc.QueueServiceStub, "GetQueue", queue_pb2.GetQueueRequest(queue_name=queue)
            )
        except NotFound:
            raise NotFound(f"queue {queue!r} not found", field="queue") from None
        except DomainError as err:
            # The queue's field is ours too: the caller named it as `queue`.
            if err.field:
                err.field = "queue"
            raise

    async def enqueue(self, job: Job) -> None:
        ctx = context.current()
        try:
            # The Celery task id IS the job id, so revoke and inspect speak job ids.
            await asyncio.to_thread(
                self.celery.send_task,
                RUN_JOB_TASK,
                kwargs={"job_id": job.job_id, "task": job.task, "kwargs": job.kwargs},
                task_id=job.job_id,
                queue=job.queue,
                priority=job.priority,
                headers={"trace_id": ctx.trace_id, "actor": ctx.actor},
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
            )
        except Exception as exc:  # noqa: BLE001 - any broker failure
            log.error("job %s recorded but not enqueued: %s", job.job_id, exc)
            raise Unavailable(f"job {job.job_id} was recorded but the broker is unreachable") from None

    async def revoke(self, job_id: str, **options: Any) -> None:
        try:
            await asyncio.to_thread(self.celery.control.revoke, job_id, **options)
        except Exception as exc:  # noqa: BLE001 - the row is already cancelled; say so in the log
            log.error("revoke of %s failed: %s", job_id, exc)
