"""Orchestration of the queue actions, in the order side effects must happen: the database
change and its outbox event commit together, then the broker and Celery workers are told.

The jobs service is asked over gRPC (its schema is not ours) for `queue.clear`.
"""

from __future__ import annotations

from dataclasses import dataclass

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.kit import Runtime
from services.queue import broker, service
from services.queue.broker import ConsumerControl
from services.queue.models import QueueRow


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

    async def list(self) -> list[QueueView]:
        async with self.reads() as session:
            rows = await service.list_queues(session)
        depth = await broker.depths(self.redis, [r.queue_name for r in rows])
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

    async def _view(self, row: QueueRow) -> QueueView:
        depth = await broker.depths(self.redis, [row.queue_name])
        return QueueView(row, depth[row.queue_name])
