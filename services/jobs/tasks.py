"""The one Celery task that runs every job type (`switchboard.run_job`); the types themselves are
in services/jobs/samples.py. `register(app, settings)` adds the task
wrapper to a Celery app; only the job worker calls it. The wrapper owns the job's lifecycle on
the worker side: pending → running (skipped if the job was cancelled meanwhile), then succeeded or
failed — each step one transaction with its outbox event, and the final step conditional on the
job still running so that a cancel always wins.
"""

from __future__ import annotations

import logging
import os
import time
import traceback as tb
from datetime import UTC, datetime
from typing import Any

import redis as redis_sync
from celery import Celery, Task
from sqlalchemy import func, literal_column, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from services.common import context
from services.common.celery import RATE_LIMITS_KEY, RUN_JOB_TASK, rate_slot_key
from services.common.db import sync_engine
from services.common.outbox import Outbox
from services.common.settings import Settings
from services.common.times import iso
from services.jobs.models import FAILED, PENDING, RUNNING, SUCCEEDED, Job, outbox
from services.jobs.samples import SAMPLES

log = logging.getLogger("services.jobs.tasks")

SOURCE = "jobs"
OUTBOX = Outbox(outbox, SOURCE)


# --- the wrapper's state transitions (sync: they run in the worker's child processes) ---------


def start_job(session: Session, *, job_id: str, worker: str, pid: int) -> Job | None:
    """pending → running, or None when the job is no longer pending (cancelled: run nothing)."""
    job = session.execute(
        update(Job)
        .where(Job.job_id == job_id, Job.status == PENDING)
        .values(
            status=RUNNING,
            attempts=Job.attempts + 1,
            started_at=datetime.now(UTC),
            worker=worker,
            worker_pid=pid,
        )
        .returning(Job)
    ).scalar_one_or_none()
    if job is not None:
        OUTBOX.emit_sync(
            session,
            "job.started",
            {
                "job_id": job_id,
                "queue": job.queue,
                "task": job.task,
                "worker": worker,
                "attempts": job.attempts,
            },
        )
    return job


def finish_job(
    session: Session, *, job_id: str, queue: str, result: Any = None, error: str = "", trace: str = ""
) -> bool:
    """running → succeeded/failed; False when the job was cancelled while it ran (the cancel wins)."""
    status = FAILED if error else SUCCEEDED
    values: dict[str, Any] = {"status": status, "finished_at": datetime.now(UTC)}
    values.update({"error": error, "traceback": trace} if error else {"result": result})
    changed = session.execute(
        update(Job).where(Job.job_id == job_id, Job.status == RUNNING).values(**values).returning(Job.job_id)
    ).first()
    if changed is None:
        return False
    data: dict[str, Any] = {"job_id": job_id, "queue": queue}
    data.update({"error": error} if error else {"result": result})
    OUTBOX.emit_sync(session, f"job.{status}", data)
    return True


MAX_BACKOFF_S = 300.0


def backoff_s(attempts: int) -> float:
    """The wait before attempt n + 1 after n failed attempts: 2^(n-1) s, 1, 2, 4 … at most 300 s."""
    return min(MAX_BACKOFF_S, 2.0 ** max(attempts - 1, 0))


def retry_later(session: Session, *, job_id: str, error: str, trace: str) -> bool:
    """running → pending, held until now + back-off (the jobs service's dispatcher sends it again);
    False when the job was cancelled while it ran."""
    # One statement: the back-off depends on the attempts the row has counted.
    wait_s = func.least(MAX_BACKOFF_S, func.power(2, func.greatest(Job.attempts - 1, 0)))
    row = session.execute(
        update(Job).where(Job.job_id == job_id, Job.status == RUNNING)
        .values(status=PENDING, held=True, error=error, traceback=trace,
                eta=func.clock_timestamp() + wait_s * literal_column("interval '1 second'"))
        .returning(Job.attempts, Job.max_attempts, Job.queue, Job.eta)
    ).first()
    if row is None:
        return False
    eta = row.eta
    OUTBOX.emit_sync(session, "job.retrying", {
        "job_id": job_id, "queue": row.queue, "attempts": row.attempts, "max_attempts": row.max_attempts,
        "eta": iso(eta), "error": error,
    })
    return True


# --- the shared start rate of a queue (queue.set_rate_limit) -----------------------------------

# KEYS[1] the queue's slot key; ARGV[1] the interval between starts in µs. Starts are spaced at
# least one interval apart across every worker (Redis' clock): returns 0 when this start may go,
# else the µs to wait.
_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], now + interval, 'PX', math.floor(interval / 1000) + 1000)
return 0
"""

_redis: redis_sync.Redis | None = None
_redis_pid: int | None = None


def _redis_for(settings: Settings) -> redis_sync.Redis:
    global _redis, _redis_pid
    if _redis is None or _redis_pid != os.getpid():
        _redis = redis_sync.Redis.from_url(settings.redis_url)
        _redis_pid = os.getpid()
    return _redis


def wait_for_slot(settings: Settings, queue: str) -> None:
    """Block until the queue's rate limit lets one more job start (no limit: at once). A throttled
    job waits here, still pending, no attempt counted; it never fails for it."""
    if not queue:
        return
    client = _redis_for(settings)
    while True:
        try:
            rate = float(client.hget(RATE_LIMITS_KEY, queue) or 0)
            if rate <= 0:
                return
            wait_us = int(client.eval(_TAKE_SLOT, 1, rate_slot_key(queue), max(1, int(1_000_000 / rate))))
        except redis_sync.RedisError:
            return  # Redis is the broker too: without it nothing runs anyway; don't block forever
        if wait_us <= 0:
            return
        time.sleep(min(wait_us / 1_000_000, 1.0))


# --- the Celery task ------------------------------------------------------------------------

# Seconds before a job whose start failed on an unreachable backend is tried again.
START_RETRY_S = 1

_engine: Engine | None = None
_engine_pid: int | None = None


def _engine_for(settings: Settings) -> Engine:
    """One small engine per child process: pooled connections must not cross a fork."""
    global _engine, _engine_pid
    if _engine is None or _engine_pid != os.getpid():
        _engine = sync_engine(settings.database_url, pool_size=1)
        _engine_pid = os.getpid()
    return _engine


def _context_from(request: Any) -> context.CallContext:
    headers = dict(getattr(request, "headers", None) or {})
    trace_id = context.valid_trace_id(headers.get("trace_id") or getattr(request, "trace_id", None))
    actor = headers.get("actor") or getattr(request, "actor", None) or "system"
    return context.CallContext(trace_id=trace_id or context.new_trace_id(), actor=str(actor))


def register(app: Celery, settings: Settings) -> Task:
    """Add `switchboard.run_job` to `app` (the job worker's app)."""

    # max_retries=None: the only Celery retry is the one below (infrastructure down before the
    # job started), and a job must not be dropped however long the outage lasts.
    @app.task(name=RUN_JOB_TASK, bind=True, ignore_result=True, max_retries=None)
    def run_job(
        self: Task, job_id: str, task: str = "", kwargs: dict[str, Any] | None = None, queue: str = ""
    ) -> None:
        token = context.set_current(_context_from(self.request))
        job_token = context.set_job_id(job_id)  # every record of this attempt carries the job id
        try:
            engine = _engine_for(settings)
            try:
                # The queue's shared start rate (queue.set_rate_limit): wait, still pending, no attempt.
                wait_for_slot(settings, queue or (self.request.delivery_info or {}).get("routing_key", ""))
                with Session(engine, expire_on_commit=False) as session, session.begin():
                    job = start_job(session, job_id=job_id, worker=self.request.hostname or "", pid=os.getpid())
            except (OperationalError, InterfaceError, redis_sync.ConnectionError) as exc:
                # PostgreSQL or Redis unreachable before the job started: this message will be
                # acknowledged when the task returns, so without a new one the job would stay
                # pending forever. Send it again (same task id, queue and headers); it runs once back.
                log.warning("job not started, backend unreachable; retrying in %ss: %s", START_RETRY_S, exc)
                raise self.retry(exc=exc, countdown=START_RETRY_S) from None
            if job is None:
                return  # cancelled (or unknown) before a worker got to it
            log.info("job attempt started", extra={"task": job.task, "attempt": job.attempts})
            # The row, not the message, says what to run: it is what the service validated.
            fn, _ = SAMPLES[job.task]
            try:
                result = fn(**job.kwargs)
            except Exception as exc:  # noqa: BLE001 - any task error is the job's failure
                message = str(exc) or type(exc).__name__
                trace = tb.format_exc()
                retry = job.attempts < (job.max_attempts or 1)
                with Session(engine, expire_on_commit=False) as session, session.begin():
                    if retry:  # attempts left: back to pending, held for the back-off
                        changed = retry_later(session, job_id=job_id, error=message, trace=trace)
                    else:
                        changed = finish_job(session, job_id=job_id, queue=job.queue, error=message, trace=trace)
                log.error("job attempt failed: %s", message, extra={"task": job.task, "traceback": trace})
                outcome = ("retrying" if retry else "failed") if changed else "cancelled"
                log.info("job attempt ended", extra={"task": job.task, "outcome": outcome})
                return
            with Session(engine, expire_on_commit=False) as session, session.begin():
                changed = finish_job(session, job_id=job_id, queue=job.queue, result=result)
            log.info("job attempt ended", extra={"task": job.task, "outcome": "succeeded" if changed else "cancelled"})
        finally:
            context.reset_job_id(job_token)
            context.reset(token)

    return run_job
