"""Job commands with side effects, in the order that loses nothing: the database transaction
(row + outbox event) commits first, then Celery is told (enqueue or revoke).

If the broker is unreachable after the commit the job stays recorded and the caller gets
UNAVAILABLE naming it; a cancel whose revoke fails is still a cancel, because the task wrapper
refuses to run a job that is no longer pending.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import grpc
from celery import Celery
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import clients, context
from services.common.errors import InvalidArgument, NotFound, Unavailable
from services.common.settings import Settings
from services.jobs import service
from services.jobs.celery_app import RUN_JOB_TASK
from services.jobs.models import RUNNING, Job
from services.jobs.revoker import Revoker

log = logging.getLogger(__name__)


@dataclass
class JobFlows:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    celery: Celery
    revoker: Revoker = field(init=False)

    def __post_init__(self) -> None:
        self.revoker = Revoker(self.celery)

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
        stub = queue_pb2_grpc.QueueServiceStub(clients.channel(self.settings.addr("queue")))
        try:
            await stub.GetQueue(
                queue_pb2.GetQueueRequest(queue_name=queue),
                metadata=clients.metadata(),
                timeout=self.settings.rpc_timeout_ms / 1000,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(f"queue {queue!r} not found", field="queue") from None
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidArgument(exc.details() or f"queue {queue!r} is invalid", field="queue") from None
            raise Unavailable(f"cannot check queue {queue!r}: queue service {exc.code().name}") from None

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
