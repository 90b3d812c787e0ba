"""The sample job types and the one Celery task that runs them all (`switchboard.run_job`).

`validate_kwargs` is what the jobs service checks at submit time, so a bad job is refused with
INVALID_ARGUMENT instead of failing later on a worker. `register(app, settings)` adds the task
wrapper to a Celery app; only the job worker calls it. The wrapper owns the job's lifecycle on
the worker side: pending → running (skipped if the job was cancelled meanwhile), then succeeded or
failed — each step one transaction with its outbox event, and the final step conditional on the
job still running so that a cancel always wins.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
import traceback as tb
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.common import context
from services.common.db import sync_engine
from services.common.errors import InvalidArgument
from services.common.outbox import Outbox
from services.common.settings import Settings
from services.jobs.celery_app import RUN_JOB_TASK
from services.jobs.models import FAILED, PENDING, RUNNING, SUCCEEDED, Job, outbox

SOURCE = "jobs"
OUTBOX = Outbox(outbox, SOURCE)


# --- sample job types ------------------------------------------------------------------------


class JobFailed(Exception):
    """What the `fail` sample raises: the message is the job's error."""


def sleep(*, seconds: float) -> dict[str, Any]:
    time.sleep(seconds)
    return {"slept": seconds}


def echo(*, message: str) -> dict[str, Any]:
    return {"message": message}


def fail(*, message: str) -> None:
    raise JobFailed(message)


def report(*, rows: int) -> dict[str, Any]:
    """CPU-bound: statistics over a deterministic pseudo-random series of `rows` values."""
    x, total, sq, lo, hi = 12345, 0.0, 0.0, math.inf, -math.inf
    digest = hashlib.sha256()
    for _ in range(rows):
        x = (1103515245 * x + 12345) % 2**31  # an LCG, so the report is reproducible
        v = x / 2**31 * 100
        total += v
        sq += v * v
        lo, hi = min(lo, v), max(hi, v)
        digest.update(x.to_bytes(4, "little"))
    mean = total / rows
    return {
        "rows": rows,
        "mean": round(mean, 6),
        "stddev": round(math.sqrt(max(sq / rows - mean * mean, 0.0)), 6),
        "min": round(lo, 6),
        "max": round(hi, 6),
        "digest": digest.hexdigest()[:16],
    }


# --- kwargs validation -----------------------------------------------------------------------


def _number(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument(f"kwargs.{name} must be a number", field=f"kwargs.{name}")
    if not lo <= value <= hi:
        raise InvalidArgument(f"kwargs.{name} must be between {lo:g} and {hi:g}", field=f"kwargs.{name}")
    return value


def _integer(name: str, value: Any, lo: int, hi: int) -> int:
    # Struct carries every number as a double: 5.0 is the integer 5, 5.5 is not.
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise InvalidArgument(f"kwargs.{name} must be an integer", field=f"kwargs.{name}")
    if not lo <= value <= hi:
        raise InvalidArgument(f"kwargs.{name} must be between {lo} and {hi}", field=f"kwargs.{name}")
    return int(value)


def _string(name: str, value: Any, max_len: int = 10_000) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"kwargs.{name} must be a string", field=f"kwargs.{name}")
    if len(value) > max_len:
        raise InvalidArgument(f"kwargs.{name} must be at most {max_len} characters", field=f"kwargs.{name}")
    return value


# task name -> (function, {kwarg: validator})
SAMPLES: dict[str, tuple[Callable[..., Any], dict[str, Callable[[str, Any], Any]]]] = {
    "sleep": (sleep, {"seconds": lambda n, v: _number(n, v, 0, 3600)}),
    "echo": (echo, {"message": _string}),
    "fail": (fail, {"message": _string}),
    "report": (report, {"rows": lambda n, v: _integer(n, v, 1, 1_000_000)}),
}


def validate_kwargs(task: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The kwargs normalised for `task`, or InvalidArgument naming the field at fault."""
    if task not in SAMPLES:
        known = ", ".join(sorted(SAMPLES))
        raise InvalidArgument(f"unknown task {task!r}; known tasks: {known}", field="task")
    _, spec = SAMPLES[task]
    for name in kwargs:
        if name not in spec:
            raise InvalidArgument(
                f"kwargs.{name} is not an argument of task {task!r}", field=f"kwargs.{name}"
            )
    out = {}
    for name, check in spec.items():
        if name not in kwargs:
            raise InvalidArgument(f"kwargs.{name} is required for task {task!r}", field=f"kwargs.{name}")
        out[name] = check(name, kwargs[name])
    return out


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
        try:
            engine = _engine_for(settings)
            with Session(engine, expire_on_commit=False) as session, session.begin():
                job = start_job(session, job_id=job_id, worker=self.request.hostname or "", pid=os.getpid())
            if job is None:
                return  # cancelled (or unknown) before a worker got to it
            # The row, not the message, says what to run: it is what the service validated.
            fn, _ = SAMPLES[job.task]
            try:
                result = fn(**job.kwargs)
            except Exception as exc:  # noqa: BLE001 - any task error is the job's failure
                message = str(exc) or type(exc).__name__
                with Session(engine, expire_on_commit=False) as session, session.begin():
                    finish_job(session, job_id=job_id, queue=job.queue, error=message, trace=tb.format_exc())
                return
            with Session(engine, expire_on_commit=False) as session, session.begin():
                finish_job(session, job_id=job_id, queue=job.queue, result=result)
        finally:
            context.reset(token)

    return run_job
