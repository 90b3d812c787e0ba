"""Job commands with side effects, in the order that loses nothing: the database transaction
(row + outbox event) commits first, then Celery is told (enqueue or revoke).

If the broker is unreachable after the commit the job stays recorded and the caller gets
UNAVAILABLE naming it; a cancel whose revoke fails is still a cancel, because the task wrapper
refuses to run a job that is no longer pending.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import context
from services.common.celery import RUN_JOB_TASK, broker_priority
from services.common.errors import DomainError, InvalidArgument, NotFound, Unavailable
from services.common.events import STREAM, as_text, xread_entries
from services.common.kit import Runtime
from services.common.times import parse_iso
from services.jobs import analytics, broker, bulk, service
from services.jobs.bulk import Filter
from services.jobs.models import PENDING, RUNNING, Job
from services.jobs.revoker import Revoker

DISPATCH_BATCH = 500

log = logging.getLogger(__name__)


class KnownQueues:
    """Queues the queue service said exist, so job.submit asks it once per queue rather than once
    per job (a gRPC round trip and ~4 ms of the queue service's CPU each, docs/performance.md).

    An entry is trusted only while the event stream is followed: every `queue.*` event (a deletion
    by any replica among them) forgets them all, and so does losing the stream. An answer that was
    in flight when something was forgotten is not remembered (`epoch`); `TTL_S` bounds the rest.
    Only existence is cached: a refusal is asked again each time."""

    TTL_S = 10.0

    def __init__(self, redis: Any, stream: str = STREAM) -> None:
        self.redis = redis
        self.stream = stream
        self._known: dict[str, float] = {}
        self.epoch = 0
        self._following = False
        self._closed = False
        self._task: asyncio.Task | None = None

    def known(self, queue: str) -> bool:
        if not self._closed and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self.follow(), name="jobs-known-queues")
        at = self._known.get(queue)
        return self._following and at is not None and time.monotonic() - at < self.TTL_S

    def remember(self, queue: str, epoch: int) -> None:
        if self._following and epoch == self.epoch:
            self._known[queue] = time.monotonic()

    def forget(self) -> None:
        self._known.clear()
        self.epoch += 1

    async def follow(self) -> None:
        while not self._closed:
            try:
                tail = await self.redis.xrevrange(self.stream, count=1)
                last = tail[0][0] if tail else "0-0"
                self.forget()
                self._following = True
                while not self._closed:
                    reply = await self.redis.xread({self.stream: last}, count=1000, block=1000) or []  # < socket timeout
                    for stream_id, fields in xread_entries(reply):
                        last = stream_id
                        if as_text(fields.get(b"type") or fields.get("type") or "").startswith("queue."):
                            self.forget()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: ask the queue service meanwhile
                log.warning("following the event stream for queue changes failed: %s", exc)
            finally:
                self._following = False
                self.forget()
            await asyncio.sleep(1.0)

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            # Bounded: a client that swallowed the cancellation still leaves within its block time.
            await asyncio.wait({self._task}, timeout=3.0)


class JobFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sessions = rt.sessions
        self.reads = rt.read_engine  # queries: autocommit connections (db.read_engine)
        self.celery = rt.celery
        self.revoker = Revoker(self.celery)
        rt.on_close(self.revoker.close)
        self.queues = KnownQueues(rt.redis)
        rt.on_close(self.queues.close)

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

    async def submit(self, *, task: str, kwargs: dict[str, Any], queue: str, priority: int, eta: str = "",
                     countdown_s: int = 0, max_attempts: int = 0) -> Job:
        submission = service.validate_submission(task=task, kwargs=kwargs, queue=queue, priority=priority,
                                                 eta=eta, countdown_s=countdown_s, max_attempts=max_attempts)
        await self.require_queue(submission.queue)
        ctx = context.current()
        # One statement (row + event) is its own transaction: no BEGIN / COMMIT round trips.
        async with self.reads.connect() as conn:
            job = await service.submit_job(conn, submission=submission, trace_id=ctx.trace_id, actor=ctx.actor)
        await self.enqueue(job)
        return job

    async def submit_scheduled(self, *, task: str, kwargs: dict[str, Any], queue: str, schedule: str,
                               scheduled_for: str) -> tuple[Job, bool]:
        """The scheduler's submission of one tick: at most one job per (schedule, tick)."""
        if not schedule:
            raise InvalidArgument("schedule is required", field="schedule")
        tick = parse_iso(scheduled_for, "scheduled_for")
        submission = replace(service.validate_submission(task=task, kwargs=kwargs, queue=queue, priority=0),
                             schedule=schedule, scheduled_for=tick)
        await self.require_queue(submission.queue)
        ctx = context.current()
        async with self.sessions.begin() as session:
            if tick is not None:
                await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(schedule))))
                existing = (await session.execute(
                    select(Job).where(Job.schedule == schedule, Job.scheduled_for == tick)
                )).scalar_one_or_none()
                if existing is not None:
                    return existing, False
            job = await service.create_job(session, submission=submission, trace_id=ctx.trace_id, actor=ctx.actor)
        await self.enqueue(job)
        return job, True

    async def cancel(self, *, job_id: str) -> Row:
        # One statement is its own transaction: an autocommit connection saves BEGIN and COMMIT.
        async with self.reads.connect() as conn:
            job, was = await service.cancel_job(conn, job_id=job_id)
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
        if self.queues.known(queue):
            return
        epoch = self.queues.epoch
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
        self.queues.remember(queue, epoch)

    async def enqueue(self, job: Any) -> None:
        """Send the job's broker message, unless it is held for a future eta (the dispatcher sends it)."""
        if getattr(job, "held", False):
            return
        try:
            await asyncio.to_thread(self._send, job, context.current())
        except Exception as exc:  # noqa: BLE001 - any broker failure
            log.error("job %s recorded but not enqueued: %s", job.job_id, exc)
            raise Unavailable(f"job {job.job_id} was recorded but the broker is unreachable") from None

    def _send(self, job: Any, ctx: context.CallContext) -> None:
        # The Celery task id IS the job id, so revoke and inspect speak job ids.
        self.celery.send_task(
            RUN_JOB_TASK,
            kwargs={"job_id": job.job_id, "task": job.task, "kwargs": job.kwargs, "queue": job.queue},
            task_id=job.job_id,
            queue=job.queue,
            priority=broker_priority(job.priority),
            headers={"trace_id": ctx.trace_id, "actor": ctx.actor},
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
        )

    def _send_many(self, jobs: builtins.list[Any], ctx: context.CallContext | None = None) -> None:
        for job in jobs:
            self._send(job, ctx or context.CallContext(trace_id=job.trace_id or context.new_trace_id(),
                                                      actor=job.created_by or "system"))

    async def send_many(self, jobs: builtins.list[Any], *, own_context: bool = False) -> None:
        if jobs:
            await asyncio.to_thread(self._send_many, jobs, None if own_context else context.current())

    async def revoke(self, job_id: str | builtins.list[str], **options: Any) -> None:
        try:
            await asyncio.to_thread(self.celery.control.revoke, job_id, **options)
        except Exception as exc:  # noqa: BLE001 - the row is already cancelled; say so in the log
            log.error("revoke of %s failed: %s", job_id, exc)

    # --- options: the dispatcher of held jobs ----------------------------------------------------

    async def dispatch_due(self) -> int:
        """Send the messages of held jobs whose eta has passed; returns how many rows it handled.
        The send happens inside the transaction: if the broker refuses, the rows stay held."""
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            jobs = (await session.execute(
                select(Job).where(Job.held, Job.eta <= now).order_by(Job.eta)
                .limit(DISPATCH_BATCH).with_for_update(skip_locked=True)
            )).scalars().all()
            if not jobs:
                return 0
            for job in jobs:
                job.held = False
            await session.flush()
            await self.send_many([j for j in jobs if j.status == PENDING], own_context=True)
        return len(jobs)

    async def run_dispatcher(self, poll_s: float = 0.2) -> None:
        while True:
            try:
                n = await self.dispatch_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatching held jobs failed")
                n = 0
            if n < DISPATCH_BATCH:
                await asyncio.sleep(poll_s)

    # --- bulk actions --------------------------------------------------------------------------

    async def _dry(self, flt: Filter, elig: bulk.Eligibility) -> bulk.BulkResult:
        bulk.check_filter(flt, elig)
        async with self.reads.connect() as conn:
            await bulk.check_listed(conn, flt, elig)
            return await bulk.dry_run(conn, flt, elig)

    async def retry_bulk(self, flt: Filter, *, dry_run: bool, elig: bulk.Eligibility = bulk.RETRYABLE,
                         event: str = "job.bulk_retried") -> bulk.BulkResult:
        if dry_run:
            return await self._dry(flt, elig)
        bulk.check_filter(flt, elig)
        async with self.sessions.begin() as session:
            await bulk.check_listed(await session.connection(), flt, elig)
            jobs = await bulk.retry_matching(session, flt, elig, event=event)
        await self.send_many(jobs)
        return bulk.BulkResult(len(jobs), len(jobs), [])

    async def cancel_bulk(self, flt: Filter, *, dry_run: bool) -> bulk.BulkResult:
        if dry_run:
            return await self._dry(flt, bulk.CANCELLABLE)
        bulk.check_filter(flt, bulk.CANCELLABLE)
        async with self.sessions.begin() as session:
            await bulk.check_listed(await session.connection(), flt, bulk.CANCELLABLE)
            done = await bulk.cancel_matching(session, flt)
        await self._after_cancel(done)
        return bulk.BulkResult(done.count, done.count, [])

    async def _after_cancel(self, done: bulk.Cancelled) -> None:
        # Pending: their messages leave the broker (the wrapper would skip them anyway). Running:
        # SIGTERM, as job.cancel does.
        for queue, ids in done.pending_by_queue.items():
            await broker.remove(self.rt.redis, queue, ids)
        if done.running:
            await self.revoke(done.running, terminate=True, signal="SIGTERM")

    async def delete_bulk(self, flt: Filter, *, dry_run: bool, elig: bulk.Eligibility, event: str,
                          event_extra: dict[str, Any] | None = None) -> bulk.BulkResult:
        if dry_run:
            return await self._dry(flt, elig)
        bulk.check_filter(flt, elig)
        async with self.sessions.begin() as session:
            await bulk.check_listed(await session.connection(), flt, elig)
            n = await bulk.delete_matching(session, flt, elig, event=event, event_extra=event_extra)
        return bulk.BulkResult(n, n, [])

    # --- single-job overrides ------------------------------------------------------------------

    async def delete(self, *, job_id: str) -> Job:
        async with self.sessions.begin() as session:
            return await bulk.delete_job(session, job_id=job_id)

    async def promote(self, *, job_id: str) -> Job:
        async with self.sessions.begin() as session:
            job, send = await bulk.promote_job(session, job_id=job_id)
        if send:
            await self.enqueue(job)
        return job

    async def set_priority(self, *, job_id: str, priority: int) -> Job:
        async with self.sessions.begin() as session:
            job = await bulk.set_priority(session, job_id=job_id, priority=priority)
        # Re-queue the message at its new priority step; when a worker already took it, there is
        # nothing to move (and nothing to send twice). A held job has no message yet.
        if not job.held and await broker.remove(self.rt.redis, job.queue, [job.job_id]):
            await self.enqueue(job)
        return job

    async def mark_state(self, *, job_id: str, status: str, reason: str) -> Job:
        async with self.sessions.begin() as session:
            job, previous = await bulk.mark_state(session, job_id=job_id, status=status, reason=reason)
        if previous == PENDING:
            await broker.remove(self.rt.redis, job.queue, [job.job_id])
            await self.revoke(job.job_id)
        elif previous == RUNNING:
            await self.revoke(job.job_id, terminate=True, signal="SIGTERM")
        return job

    async def dead_letters(self, **kw: Any) -> tuple[builtins.list[Any], str]:
        async with self.reads.connect() as conn:
            return await bulk.list_dead_letters(conn, **kw)

    async def dashboard_counts(self) -> tuple[int, int]:
        async with self.reads.connect() as conn:
            return await bulk.count_dashboard(conn)

    # --- analytics -----------------------------------------------------------------------------

    async def summary(self, **kw: Any) -> analytics.Summary:
        return await analytics.summary(self.reads, **kw)

    async def timeseries(self, **kw: Any) -> tuple[int, builtins.list[dict[str, Any]]]:
        return await analytics.timeseries(self.reads, **kw)

    async def export_jobs(self, **kw: Any) -> analytics.Export:
        async with self.reads.connect() as conn:
            return await analytics.export_jobs(conn, **kw)

    async def export_metrics(self, **kw: Any) -> analytics.Export:
        return await analytics.export_metrics(self.reads, **kw)

    # --- for the queue service ------------------------------------------------------------------

    async def peek(self, *, queue: str, limit: int) -> builtins.list[Any]:
        """The next broker messages of `queue` whose jobs are pending and not held."""
        if not 0 <= limit <= 100:
            raise InvalidArgument("limit must be between 1 and 100", field="limit")
        n = limit or 10
        ids = await broker.peek(self.rt.redis, queue, n * 3 + 10)
        if not ids:
            return []
        async with self.reads.connect() as conn:
            rows = {r.job_id: r for r in (await conn.execute(
                select(bulk.JOBS.c.job_id, bulk.JOBS.c.task, bulk.JOBS.c.priority)
                .where(bulk.JOBS.c.job_id.in_(ids), bulk.JOBS.c.status == PENDING, ~bulk.JOBS.c.held,
                       bulk.JOBS.c.queue == queue)
            )).all()}
        return [rows[i] for i in dict.fromkeys(ids) if i in rows][:n]

    async def move(self, *, queue: str, target: str, job_ids: builtins.list[str]) -> int:
        if target == queue:
            raise InvalidArgument("target_queue must differ from queue_name", field="target_queue")
        async with self.sessions.begin() as session:
            rows = await bulk.move_jobs(session, queue=queue, target=target, job_ids=job_ids)
        ready = [r for r in rows if not r.held]
        removed = await broker.remove(self.rt.redis, queue, [r.job_id for r in ready])
        # Only what left the source is sent again: a message a worker already took runs once.
        await self.send_many([r for r in ready if r.job_id in removed], own_context=False)
        return len(rows)

