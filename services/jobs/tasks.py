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
import traceback as tb
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.common import context
from services.common.db import sync_engine
from services.common.outbox import Outbox
from services.common.settings import Settings
from services.common.celery import RUN_JOB_TASK
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


# --- the Celery task ------------------------------------------------------------------------

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

    @app.task(name=RUN_JOB_TASK, bind=True, ignore_result=True)
    def run_job(self: Task, job_id: str, task: str = "", kwargs: dict[str, Any] | None = None) -> None:
        token = context.set_current(_context_from(self.request))
        job_token = context.set_job_id(job_id)  # every record of this attempt carries the job id
        try:
            engine = _engine_for(settings)
            with Session(engine, expire_on_commit=False) as session, session.begin():
                job = start_job(session, job_id=job_id, worker=self.request.hostname or "", pid=os.getpid())
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
                with Session(engine, expire_on_commit=False) as session, session.begin():
                    changed = finish_job(session, job_id=job_id, queue=job.queue, error=message, trace=trace)
                log.error("job attempt failed: %s", message, extra={"task": job.task, "traceback": trace})
                log.info("job attempt ended", extra={"task": job.task, "outcome": "failed" if changed else "cancelled"})
                return
            with Session(engine, expire_on_commit=False) as session, session.begin():
                changed = finish_job(session, job_id=job_id, queue=job.queue, result=result)
            log.info("job attempt ended", extra={"task": job.task, "outcome": "succeeded" if changed else "cancelled"})
        finally:
            context.reset_job_id(job_token)
            context.reset(token)

    return run_job
