"""Orchestration of the queue actions, in the order side effects must happen: the database
change and its outbox event commit together, then the broker and Celery workers are told.

The jobs service is asked over gRPC (its schema is not ours) for `queue.clear`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.celery import depths
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.kit import Runtime
from services.queue import broker, service
from services.queue.broker import ConsumerControl
from services.queue.models import QueueRow

FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class QueueView:
    row: QueueRow
    depth: int


@dataclass(frozen=True, slots=True)
class Cleared:
    cleared: int
    purged: int
    dry_run: bool


class QueueFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sessions = rt.sessions
        self.reads = rt.reads  # queries only (db.read_sessionmaker)
        self.redis = rt.redis
        self.consumers = ConsumerControl(rt.celery)

    async def list(self) -> builtins.list[QueueView]:
        async with self.reads() as session:
            rows = await service.list_queues(session)
        depth = await depths(self.redis, [r.queue_name for r in rows])
        return [QueueView(r, depth[r.queue_name]) for r in rows]

    async def get(self, *, queue_name: str) -> QueueView:
        async with self.reads() as session:
            row = await service.get_queue(session, queue_name=queue_name)
        return await self._view(row)

    async def create(self, *, queue_name: str, description: str) -> QueueView:
        async with self.sessions.begin() as session:
            row = await service.create_queue(session, queue_name=queue_name, description=description)
        # After commit: running workers start consuming it (later workers read the table).
        await self.consumers.add(queue_name)
        return await self._view(row)

    async def pause(self, *, queue_name: str) -> QueueView:
        return await self._set_paused(queue_name, paused=True)

    async def resume(self, *, queue_name: str) -> QueueView:
        return await self._set_paused(queue_name, paused=False)

    async def _set_paused(self, queue_name: str, *, paused: bool) -> QueueView:
        async with self.sessions.begin() as session:
            row, _changed = await service.set_paused(session, queue_name=queue_name, paused=paused)
        # Broadcast even when nothing changed: a broadcast is fire-and-forget, so repeating the
        # action is how an operator repairs a worker that missed the first one.
        if paused:
            await self.consumers.cancel(queue_name)
        else:
            await self.consumers.add(queue_name)
        return await self._view(row)

    async def clear(self, *, queue_name: str, dry_run: bool) -> Cleared:
        async with self.reads() as session:
            await service.get_queue(session, queue_name=queue_name)
        if dry_run:
            would = await self._cancel_pending(queue_name, dry_run=True)
            return Cleared(cleared=would, purged=0, dry_run=True)
        # Purge before cancelling: a job submitted concurrently then either loses its message
        # before being cancelled, or keeps a message its cancelled row makes the worker skip, or
        # is untouched — never pending without a message. If the cancel fails after the purge,
        # the error reaches the caller and repeating the clear cancels what is left.
        purged = await broker.purge(self.redis, queue_name=queue_name)
        cleared = await self._cancel_pending(queue_name, dry_run=False)
        async with self.sessions.begin() as session:
            await service.record_cleared(session, queue_name=queue_name, cleared=cleared, purged=purged)
        return Cleared(cleared=cleared, purged=purged, dry_run=False)

    async def _cancel_pending(self, queue_name: str, *, dry_run: bool) -> int:
        """JobsService.CancelQueuedJobs on behalf of the current caller (trace and actor travel)."""
        resp = await self.rt.call(
            "jobs", jobs_pb2_grpc.JobsServiceStub, "CancelQueuedJobs",
            jobs_pb2.CancelQueuedJobsRequest(queue=queue_name, dry_run=dry_run),
        )
        return int(resp.cancelled)

    # --- queue.peek / move / clean / set_rate_limit / delete ------------------------------------

    async def _jobs(self, method: str, request: Any) -> Any:
        return await self.rt.call("jobs", jobs_pb2_grpc.JobsServiceStub, method, request)

    async def _exists(self, queue_name: str, field: str = "queue_name") -> QueueRow:
        try:
            async with self.reads() as session:
                return await service.get_queue(session, queue_name=queue_name)
        except (NotFound, InvalidArgument) as err:
            err.field = field
            raise

    async def peek(self, *, queue_name: str, limit: int) -> builtins.list[Any]:
        await self._exists(queue_name)
        resp = await self._jobs("PeekJobs", jobs_pb2.PeekJobsRequest(queue=queue_name, limit=limit))
        return list(resp.messages)

    async def move(self, *, queue_name: str, target_queue: str, job_ids: builtins.list[str]) -> int:
        await self._exists(queue_name)
        if not target_queue:
            raise InvalidArgument("target_queue is required", field="target_queue")
        if target_queue == queue_name:
            raise InvalidArgument("target_queue must be another queue", field="target_queue")
        await self._exists(target_queue, "target_queue")
        resp = await self._jobs("MoveJobs", jobs_pb2.MoveJobsRequest(
            queue=queue_name, target_queue=target_queue, job_ids=job_ids))
        return int(resp.moved)

    async def clean(self, *, queue_name: str, status: str, task: str, older_than_s: int, job_ids: builtins.list[str],
                    dry_run: bool) -> Any:
        await self._exists(queue_name)
        if status and status not in FINISHED:
            raise InvalidArgument(f"status must be one of {', '.join(FINISHED)} here", field="status")
        enum = jobs_pb2.JobStatus.Value(f"JOB_STATUS_{status.upper()}") if status else jobs_pb2.JOB_STATUS_UNSPECIFIED
        return await self._jobs("CleanJobs", jobs_pb2.CleanJobsRequest(
            queue=queue_name, status=enum, task=task, older_than_s=older_than_s, job_ids=job_ids,
            dry_run=dry_run))

    async def set_rate_limit(self, *, queue_name: str, rate_limit_per_s: float) -> QueueView:
        async with self.sessions.begin() as session:
            row = await service.set_rate_limit(session, queue_name=queue_name, rate_limit_per_s=rate_limit_per_s)
        await broker.set_rate_limit(self.redis, queue_name=queue_name, rate_limit_per_s=row.rate_limit_per_s)
        return await self._view(row)

    async def delete(self, *, queue_name: str, force: bool) -> tuple[QueueView, int]:
        service.check_deletable(queue_name)
        row = await self._exists(queue_name)
        view = await self._view(row)
        counts = (await self._jobs("CountJobs", jobs_pb2.CountJobsRequest(queue=queue_name))).by_status
        busy = int(counts.get("pending", 0)) + int(counts.get("running", 0))
        cancelled = 0
        if busy and not force:
            raise FailedPrecondition(
                f"queue {queue_name!r} holds {busy} pending or running jobs; cancel them first or pass force",
                field="queue_name")
        if busy:
            resp = await self._jobs("CancelBulk", jobs_pb2.CancelBulkRequest(queue=queue_name, dry_run=False))
            cancelled = int(resp.affected)
        async with self.sessions.begin() as session:
            await service.delete_queue(session, queue_name=queue_name, cancelled=cancelled)
        # After commit: nothing is left to consume, no limit to apply.
        await broker.purge(self.redis, queue_name=queue_name)
        await broker.set_rate_limit(self.redis, queue_name=queue_name, rate_limit_per_s=0)
        await self.consumers.cancel(queue_name)
        return view, cancelled

    async def sync_rate_limits(self) -> None:
        async with self.reads() as session:
            rows = await service.list_queues(session)
        await broker.sync_rate_limits(self.redis, {r.queue_name: r.rate_limit_per_s for r in rows
                                                   if r.rate_limit_per_s > 0})

    async def _view(self, row: QueueRow) -> QueueView:
        depth = await depths(self.redis, [row.queue_name])
        return QueueView(row, depth[row.queue_name])
