"""Bulk and administrative job operations (payloads/jobs.md): the shared filter, dead letters, and
the single-job overrides (delete, promote, set_priority, mark_state).

Domain functions on the caller's session: rows change and their outbox events are written in the
caller's one transaction; the flow tells the broker afterwards (services/jobs/flows.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, exists, func, insert, literal, select, tuple_, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from services.common import context
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.paging import decode_page_token, encode_page_token
from services.common.paging import page_size as _page_size
from services.common.times import iso
from services.jobs.models import (
    CANCELLED,
    FAILED,
    FINISHED,
    PENDING,
    RUNNING,
    STATUSES,
    SUCCEEDED,
    Job,
    outbox,
)
from services.jobs.service import OUTBOX, SOURCE, _check_job_id, check_priority, new_job_id

JOBS = cast(Table, Job.__table__)
MAX_FILTER_IDS = 1000
SAMPLE_SIZE = 20
RETRIED = aliased(JOBS, name="retried")


def retried_exists(table: Any = JOBS) -> Any:
    """Whether some job retries the row of `table` (it has `retry_of` = its id)."""
    return exists().where(RETRIED.c.retry_of == table.c.job_id)


def is_dead_letter(table: Any = JOBS) -> Any:
    return and_(table.c.status == FAILED, ~retried_exists(table))


@dataclass(frozen=True)
class Filter:
    """The flat filter of a bulk action; an empty member does not filter."""

    status: str = ""
    queue: str = ""
    task: str = ""
    older_than_s: int = 0
    job_ids: list[str] = field(default_factory=list)

    def sent(self) -> dict[str, Any]:
        """The members the caller sent (for the bulk event)."""
        out: dict[str, Any] = {}
        for name in ("status", "queue", "task", "older_than_s"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.job_ids:
            out["job_ids"] = list(self.job_ids)
        return out


@dataclass(frozen=True)
class Eligibility:
    """Which jobs a bulk action applies to: statuses, plus an optional extra condition."""

    statuses: tuple[str, ...]
    extra: Any = None  # a SQL condition on JOBS (e.g. not retried yet)
    describe: str = ""


RETRYABLE = Eligibility((FAILED, CANCELLED), ~retried_exists(), "failed or cancelled and not retried yet")
CANCELLABLE = Eligibility((PENDING, RUNNING), None, "pending or running")
DEAD_LETTERS = Eligibility((FAILED,), ~retried_exists(), "a dead letter (failed, not retried yet)")
FINISHED_JOBS = Eligibility(FINISHED, None, "finished (succeeded, failed or cancelled)")


def check_filter(flt: Filter, elig: Eligibility | None) -> None:
    if flt.status:
        allowed = elig.statuses if elig else STATUSES
        if flt.status not in allowed:
            raise InvalidArgument(f"status must be one of {', '.join(allowed)} here, got {flt.status!r}",
                                  field="status")
    if flt.older_than_s < 0:
        raise InvalidArgument("older_than_s must not be negative", field="older_than_s")
    if len(flt.job_ids) > MAX_FILTER_IDS:
        raise InvalidArgument(f"job_ids holds at most {MAX_FILTER_IDS} ids", field="job_ids")
    for job_id in flt.job_ids:
        if not job_id or len(job_id) > 64:
            raise InvalidArgument("job_ids must hold job ids", field="job_ids")


def conditions(flt: Filter, elig: Eligibility | None, table: Any = JOBS) -> list[Any]:
    conds: list[Any] = []
    if flt.status:
        conds.append(table.c.status == flt.status)
    elif elig is not None:
        conds.append(table.c.status.in_(elig.statuses))
    if elig is not None and elig.extra is not None:
        conds.append(elig.extra)
    if flt.queue:
        conds.append(table.c.queue == flt.queue)
    if flt.task:
        conds.append(table.c.task == flt.task)
    if flt.older_than_s:
        cutoff = datetime.now(UTC) - timedelta(seconds=flt.older_than_s)
        conds.append(func.coalesce(table.c.finished_at, table.c.created_at) < cutoff)
    if flt.job_ids:
        conds.append(table.c.job_id.in_(list(flt.job_ids)))
    return conds


async def check_listed(conn: Any, flt: Filter, elig: Eligibility) -> None:
    """Every id of `job_ids` exists (else 404) and is eligible (else FAILED_PRECONDITION), before
    anything changes."""
    if not flt.job_ids:
        return
    ids = list(dict.fromkeys(flt.job_ids))
    stmt = select(JOBS.c.job_id, JOBS.c.status, (elig.extra if elig.extra is not None else literal(True)).label("ok"))
    rows = {r.job_id: r for r in (await conn.execute(stmt.where(JOBS.c.job_id.in_(ids)))).all()}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"job {missing[0]} not found", field="job_ids")
    for i in ids:
        r = rows[i]
        if r.status not in elig.statuses or not r.ok:
            state = r.status if r.status not in elig.statuses else f"{r.status} and already retried"
            raise FailedPrecondition(f"job {i} is {state}; this action needs jobs that are {elig.describe}",
                                     field="job_ids")


@dataclass(frozen=True)
class BulkResult:
    matched: int
    affected: int
    sample: list[str]


async def dry_run(conn: Any, flt: Filter, elig: Eligibility) -> BulkResult:
    conds = conditions(flt, elig)
    matched = int((await conn.execute(select(func.count()).select_from(JOBS).where(*conds))).scalar_one())
    sample = (await conn.execute(
        select(JOBS.c.job_id).where(*conds).order_by(JOBS.c.created_at, JOBS.c.seq).limit(SAMPLE_SIZE)
    )).scalars().all()
    return BulkResult(matched, 0, list(sample))


async def bulk_event(session: AsyncSession, type_: str, flt: Filter, matched: int, **extra: Any) -> None:
    await OUTBOX.emit(session, type_, {**extra, **flt.sent(), "matched": matched, "affected": matched})


def _outbox_rows(type_: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ctx = context.current()
    now = datetime.now(UTC)
    import uuid

    return [{"event_id": str(uuid.uuid4()), "type": type_, "source": SOURCE, "ts": now,
             "trace_id": ctx.trace_id, "actor": ctx.actor, "data": d} for d in rows]


# --- bulk operations (real runs) -----------------------------------------------------------------


@dataclass(frozen=True)
class Cancelled:
    """What the broker must still be told: pending messages to remove per queue, tasks to stop."""

    count: int
    pending_by_queue: dict[str, list[str]]
    running: list[str]


async def cancel_matching(session: AsyncSession, flt: Filter, *, event: str | None = "job.bulk_cancelled",
                          event_extra: dict[str, Any] | None = None) -> Cancelled:
    """Every matched pending or running job → cancelled in one statement, with one job.cancelled
    event per job (written by the same statement) and one bulk event."""
    now = datetime.now(UTC)
    ctx = context.current()
    m = select(JOBS.c.seq, JOBS.c.status.label("was")).where(*conditions(flt, CANCELLABLE)).with_for_update().cte("m")
    u = (
        update(JOBS)
        .where(JOBS.c.seq == m.c.seq)
        .values(status=CANCELLED, cancelled_at=now, finished_at=now, held=False,
                cancelled_while_running=(m.c.was == RUNNING))
        .returning(JOBS.c.job_id, JOBS.c.queue, m.c.was)
        .cte("u")
    )
    events = insert(outbox).from_select(
        ["event_id", "type", "source", "ts", "trace_id", "actor", "data"],
        select(
            func.gen_random_uuid(), literal("job.cancelled"), literal(SOURCE), literal(now),
            literal(ctx.trace_id), literal(ctx.actor),
            func.jsonb_build_object("job_id", u.c.job_id, "queue", u.c.queue, "terminated", False, "was", u.c.was),
        ).select_from(u),
    ).cte("e")
    rows = (await session.execute(select(u.c.job_id, u.c.queue, u.c.was).add_cte(events))).all()
    pending: dict[str, list[str]] = {}
    running: list[str] = []
    for r in rows:
        if r.was == RUNNING:
            running.append(r.job_id)
        else:
            pending.setdefault(r.queue, []).append(r.job_id)
    if event:
        await bulk_event(session, event, flt, len(rows), **(event_extra or {}))
    return Cancelled(len(rows), pending, running)


async def retry_matching(session: AsyncSession, flt: Filter, elig: Eligibility, *, event: str,
                         event_extra: dict[str, Any] | None = None) -> list[Job]:
    """Each matched job runs again as a new pending job (`retry_of` it), as job.retry does."""
    originals = (await session.execute(
        select(JOBS).where(*conditions(flt, elig)).order_by(JOBS.c.created_at, JOBS.c.seq).with_for_update()
    )).all()
    ctx = context.current()
    now = datetime.now(UTC)
    jobs = [
        Job(job_id=new_job_id(), task=o.task, queue=o.queue, status=PENDING, priority=o.priority, attempts=0,
            kwargs=dict(o.kwargs or {}), max_attempts=o.max_attempts, held=False, retry_of=o.job_id,
            trace_id=ctx.trace_id, created_by=ctx.actor, created_at=now)
        for o in originals
    ]
    session.add_all(jobs)
    await session.flush()
    per_job = []
    for j in jobs:
        per_job.append(("job.submitted", {"job_id": j.job_id, "task": j.task, "queue": j.queue,
                                          "priority": j.priority, "retry_of": j.retry_of}))
        per_job.append(("job.retried", {"job_id": j.job_id, "retry_of": j.retry_of, "queue": j.queue}))
    if per_job:
        rows = [r for t, d in per_job for r in _outbox_rows(t, [d])]
        await session.execute(insert(outbox), rows)
    await bulk_event(session, event, flt, len(jobs), **(event_extra or {}))
    return jobs


async def delete_matching(session: AsyncSession, flt: Filter, elig: Eligibility, *, event: str,
                          event_extra: dict[str, Any] | None = None) -> int:
    """Delete every matched (finished) job, with one job.deleted event each and one bulk event."""
    ids = (await session.execute(delete(JOBS).where(*conditions(flt, elig)).returning(JOBS.c.job_id))).scalars().all()
    if ids:
        await session.execute(insert(outbox), _outbox_rows("job.deleted", [{"job_id": i} for i in ids]))
    await bulk_event(session, event, flt, len(ids), **(event_extra or {}))
    return len(ids)


# --- single jobs -----------------------------------------------------------------------------


async def _locked(session: AsyncSession, job_id: str) -> Job:
    _check_job_id(job_id)
    job = (await session.execute(select(Job).where(Job.job_id == job_id).with_for_update())).scalar_one_or_none()
    if job is None:
        raise NotFound(f"job {job_id} not found", field="job_id")
    return job


async def delete_job(session: AsyncSession, *, job_id: str) -> Job:
    job = await _locked(session, job_id)
    if job.status not in FINISHED:
        raise FailedPrecondition(f"job {job_id} is {job.status}; only finished jobs can be deleted", field="job_id")
    await session.execute(delete(JOBS).where(JOBS.c.job_id == job_id))
    await OUTBOX.emit(session, "job.deleted", {"job_id": job_id})
    return job


async def promote_job(session: AsyncSession, *, job_id: str) -> tuple[Job, bool]:
    """A pending job held for a future eta runs now; returns (job, whether it must be sent)."""
    job = await _locked(session, job_id)
    now = datetime.now(UTC)
    if job.status != PENDING or job.eta is None or job.eta <= now:
        state = job.status if job.status != PENDING else "pending and not delayed"
        raise FailedPrecondition(f"job {job_id} is {state}; only a delayed pending job can be promoted",
                                 field="job_id")
    send = job.held
    job.eta, job.held = None, False
    await OUTBOX.emit(session, "job.promoted", {"job_id": job_id})
    return job, send


async def set_priority(session: AsyncSession, *, job_id: str, priority: int) -> Job:
    check_priority(priority)
    job = await _locked(session, job_id)
    if job.status != PENDING:
        raise FailedPrecondition(f"job {job_id} is {job.status}; only a pending job can change priority",
                                 field="job_id")
    job.priority = priority
    await OUTBOX.emit(session, "job.priority_changed", {"job_id": job_id, "priority": priority})
    return job


MARKABLE = (SUCCEEDED, FAILED, CANCELLED)


async def mark_state(session: AsyncSession, *, job_id: str, status: str, reason: str) -> tuple[Job, str]:
    if status not in MARKABLE:
        raise InvalidArgument("status must be succeeded, failed or cancelled", field="status")
    if not reason.strip():
        raise InvalidArgument("reason is required", field="reason")
    if len(reason) > 1000:
        raise InvalidArgument("reason must be at most 1000 characters", field="reason")
    job = await _locked(session, job_id)
    previous = job.status
    if previous == status:
        raise FailedPrecondition(f"job {job_id} is already {status}", field="job_id")
    now = datetime.now(UTC)
    job.status, job.held = status, False
    if job.finished_at is None:
        job.finished_at = now
    if status == CANCELLED:
        job.cancelled_at = job.cancelled_at or now
        job.cancelled_while_running = previous == RUNNING
    await OUTBOX.emit(session, "job.state_marked",
                      {"job_id": job_id, "status": status, "previous_status": previous, "reason": reason})
    return job, previous


# --- dead letters ------------------------------------------------------------------------------


async def list_dead_letters(conn: AsyncConnection, *, queue: str, task: str, page_size: int,
                            page_token: str) -> tuple[list[Row], str]:
    """Latest `finished_at` first (then seq); the token is the last row's seq."""
    if page_size < 0 or page_size > 1000:
        raise InvalidArgument("page_size must be between 1 and 1000", field="page_size")
    size = _page_size(page_size, default=50, maximum=1000)
    stmt = select(JOBS).where(is_dead_letter()).order_by(JOBS.c.finished_at.desc(), JOBS.c.seq.desc()).limit(size + 1)
    if queue:
        stmt = stmt.where(JOBS.c.queue == queue)
    if task:
        stmt = stmt.where(JOBS.c.task == task)
    if page_token:
        seq = decode_page_token(page_token)
        prev = aliased(JOBS, name="prev")
        last = select(prev.c.finished_at).where(prev.c.seq == seq).correlate(None).scalar_subquery()
        stmt = stmt.where(tuple_(JOBS.c.finished_at, JOBS.c.seq) < tuple_(last, literal(seq)))
    rows = list((await conn.execute(stmt)).all())
    if len(rows) > size:
        rows = rows[:size]
        return rows, encode_page_token(rows[-1].seq)
    return rows, ""


async def count_dashboard(conn: AsyncConnection) -> tuple[int, int]:
    """(dead letters, delayed pending jobs) for the SSOT."""
    dead = (await conn.execute(select(func.count()).select_from(JOBS).where(is_dead_letter()))).scalar_one()
    delayed = (await conn.execute(
        select(func.count()).select_from(JOBS).where(JOBS.c.held, JOBS.c.status == PENDING)
    )).scalar_one()
    return int(dead), int(delayed)


# --- queue moves --------------------------------------------------------------------------------


async def move_jobs(session: AsyncSession, *, queue: str, target: str, job_ids: list[str]) -> list[Row]:
    """Pending jobs of `queue` → `target` (same ids); returns (job_id, held, task, priority, kwargs,
    max_attempts, trace_id, created_by) of each moved job. Emits queue.moved."""
    if len(job_ids) > MAX_FILTER_IDS:
        raise InvalidArgument(f"job_ids holds at most {MAX_FILTER_IDS} ids", field="job_ids")
    if job_ids:
        ids = list(dict.fromkeys(job_ids))
        found = {r.job_id: r for r in (await session.execute(
            select(JOBS.c.job_id, JOBS.c.status, JOBS.c.queue).where(JOBS.c.job_id.in_(ids)).with_for_update()
        )).all()}
        for i in ids:
            r = found.get(i)
            if r is None:
                raise NotFound(f"job {i} not found", field="job_ids")
            if r.status != PENDING or r.queue != queue:
                where = r.status if r.status != PENDING else f"pending in queue {r.queue!r}"
                raise FailedPrecondition(f"job {i} is {where}, not pending in {queue!r}", field="job_ids")
    conds = [JOBS.c.queue == queue, JOBS.c.status == PENDING]
    if job_ids:
        conds.append(JOBS.c.job_id.in_(list(job_ids)))
    rows = (await session.execute(
        update(JOBS).where(*conds).values(queue=target)
        .returning(JOBS.c.job_id, JOBS.c.held, JOBS.c.task, JOBS.c.priority, JOBS.c.kwargs, JOBS.c.trace_id,
                   JOBS.c.created_by, JOBS.c.queue)
    )).all()
    await OUTBOX.emit(session, "queue.moved", {"queue_name": queue, "target_queue": target, "moved": len(rows)})
    return list(rows)


def job_row_dict(row: Any) -> dict[str, Any]:
    """Export columns, in order (payloads/jobs.md)."""
    return {
        "job_id": row.job_id, "task": row.task, "queue": row.queue, "status": row.status,
        "priority": row.priority, "attempts": row.attempts, "max_attempts": row.max_attempts,
        "retry_of": row.retry_of or "", "eta": iso(row.eta), "created_at": iso(row.created_at),
        "started_at": iso(row.started_at), "finished_at": iso(row.finished_at), "error": row.error or "",
    }

