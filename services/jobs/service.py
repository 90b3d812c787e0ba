"""Domain functions of the jobs service: keyword-only, each taking the caller's session.

They change rows and write the matching outbox events in the caller's transaction; they never
talk to Celery or other services (that is `flows.py`, after the commit).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.outbox import Outbox, event_row
from services.common.paging import decode_page_token, encode_page_token
from services.common.times import iso
from services.jobs.models import CANCELLED, FAILED, PENDING, RUNNING, STATUSES, Job, outbox
from services.jobs.samples import validate_kwargs

SOURCE = "jobs"
OUTBOX = Outbox(outbox, SOURCE)
JOBS = cast(Table, Job.__table__)

DEFAULT_QUEUE = "default"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_JOB_ID_LEN = 64


def new_job_id() -> str:
    return f"job_{secrets.token_hex(8)}"


MAX_COUNTDOWN_S = 365 * 86400
MAX_ATTEMPTS = 100


@dataclass(frozen=True, slots=True)
class Submission:
    task: str
    kwargs: dict[str, Any]
    queue: str
    priority: int
    max_attempts: int = 1
    eta: datetime | None = None  # the time the job is held until (None: no delay)
    schedule: str = ""
    scheduled_for: datetime | None = None

    @property
    def held(self) -> bool:
        """Whether the broker message waits for the dispatcher (eta still ahead)."""
        return self.eta is not None and self.eta > datetime.now(UTC)


def check_priority(priority: int) -> int:
    if not 0 <= priority <= 9:
        raise InvalidArgument(f"priority must be between 0 and 9, got {priority}", field="priority")
    return priority


def parse_eta(eta: str, countdown_s: int) -> datetime | None:
    """`eta` (ISO 8601, UTC when it has no offset) or now + `countdown_s`; None for no delay."""
    if eta and countdown_s:
        raise InvalidArgument("give eta or countdown_s, not both", field="countdown_s")
    now = datetime.now(UTC)
    if countdown_s:
        if not 0 < countdown_s <= MAX_COUNTDOWN_S:
            raise InvalidArgument(f"countdown_s must be between 0 and {MAX_COUNTDOWN_S}", field="countdown_s")
        return now + timedelta(seconds=countdown_s)
    if not eta:
        return None
    try:
        at = datetime.fromisoformat(eta.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument("eta must be an ISO 8601 time", field="eta") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at > now + timedelta(seconds=MAX_COUNTDOWN_S):
        raise InvalidArgument("eta must be at most 365 days ahead", field="eta")
    return at.astimezone(UTC)


def check_max_attempts(max_attempts: int) -> int:
    if not 0 <= max_attempts <= MAX_ATTEMPTS:
        raise InvalidArgument(f"max_attempts must be between 1 and {MAX_ATTEMPTS}", field="max_attempts")
    return max_attempts or 1


def validate_submission(
    *, task: str, kwargs: dict[str, Any], queue: str, priority: int,
    eta: str = "", countdown_s: int = 0, max_attempts: int = 0,
) -> Submission:
    """Checks that need no I/O. The queue name is the queue service's to judge (it owns the rule and
    says INVALID_ARGUMENT or NOT_FOUND); the flow asks it."""
    if not task:
        raise InvalidArgument("task is required", field="task")
    clean = validate_kwargs(task, kwargs)
    queue = queue or DEFAULT_QUEUE
    check_priority(priority)
    return Submission(
        task=task, kwargs=clean, queue=queue, priority=priority,
        max_attempts=check_max_attempts(max_attempts), eta=parse_eta(eta, countdown_s),
    )


def _check_job_id(job_id: str) -> None:
    if not job_id:
        raise InvalidArgument("job_id is required", field="job_id")
    if len(job_id) > MAX_JOB_ID_LEN:
        raise InvalidArgument(f"job_id must be at most {MAX_JOB_ID_LEN} characters", field="job_id")


def _new_job(submission: Submission, *, trace_id: str, actor: str, retry_of: str | None = None) -> dict[str, Any]:
    """Every column of a new pending job (`_SUBMIT_COLUMNS`): what `create_job` adds through the ORM
    and `submit_job` inserts in one statement."""
    return {
        "job_id": new_job_id(), "task": submission.task, "queue": submission.queue, "status": PENDING,
        "priority": submission.priority, "attempts": 0, "kwargs": submission.kwargs, "error": "", "traceback": "",
        "retry_of": retry_of, "worker": "", "trace_id": trace_id, "created_by": actor,
        "cancelled_while_running": False, "terminated": False, "created_at": datetime.now(UTC),
        "max_attempts": submission.max_attempts, "eta": submission.eta, "held": submission.held,
        "schedule": submission.schedule, "scheduled_for": submission.scheduled_for,
    }


async def create_job(
    session: AsyncSession, *, submission: Submission, trace_id: str, actor: str, retry_of: str | None = None
) -> Job:
    job = Job(**_new_job(submission, trace_id=trace_id, actor=actor, retry_of=retry_of))
    session.add(job)
    await session.flush()
    await OUTBOX.emit(session, "job.submitted", _submitted_data(job, retry_of))
    return job


# job.submit in one statement (services/jobs/flows.py `submit`): the job row and its job.submitted
# event are inserted together, so an autocommit connection makes it one round trip. The values are
# Python's, as with the ORM: the row answered is built here, only `seq` comes back.
_SUBMIT_COLUMNS = (
    "job_id", "task", "queue", "status", "priority", "attempts", "kwargs", "error", "traceback", "retry_of",
    "worker", "trace_id", "created_by", "cancelled_while_running", "terminated", "created_at", "max_attempts",
    "eta", "held", "schedule", "scheduled_for",
)
_EVENT_COLUMNS = ("event_id", "type", "source", "ts", "trace_id", "actor", "data")
_SUBMIT = text(
    f"WITH event AS (INSERT INTO {outbox.fullname} ({', '.join(_EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(':event_' + c for c in _EVENT_COLUMNS)})) "
    f"INSERT INTO {JOBS.fullname} ({', '.join(_SUBMIT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _SUBMIT_COLUMNS)}) RETURNING seq"
).bindparams(
    *(bindparam(c, type_=JOBS.c[c].type) for c in _SUBMIT_COLUMNS),
    *(bindparam("event_" + c, type_=outbox.c[c].type) for c in _EVENT_COLUMNS),
)


def _submitted_data(job: Job, retry_of: str | None = None) -> dict[str, Any]:
    data = {"job_id": job.job_id, "task": job.task, "queue": job.queue, "priority": job.priority}
    if job.eta is not None:
        data["eta"] = iso(job.eta)
    if job.schedule:
        data["schedule"] = job.schedule
    if retry_of:
        data["retry_of"] = retry_of
    return data


async def submit_job(conn: AsyncConnection, *, submission: Submission, trace_id: str, actor: str) -> Job:
    """`create_job` as one statement: `conn` may be autocommit. Returns a transient `Job` carrying
    what was stored (the same attributes `create_job`'s flushed one has)."""
    values = _new_job(submission, trace_id=trace_id, actor=actor)
    job = Job(**values)
    event = event_row("job.submitted", _submitted_data(job), source=SOURCE)
    params = {**values, **{"event_" + k: v for k, v in event.items()}}
    job.seq = (await conn.execute(_SUBMIT, params)).scalar_one()
    return job


async def get_job(session: AsyncSession, *, job_id: str, for_update: bool = False) -> Job:
    _check_job_id(job_id)
    stmt = select(Job).where(Job.job_id == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    job = (await session.execute(stmt)).scalar_one_or_none()
    if job is None:
        raise NotFound(f"job {job_id} not found", field="job_id")
    return job


# --- queries ---------------------------------------------------------------------------------
# The query RPCs read through Core selects on autocommit connections (`db.read_engine`) and
# return rows, which carry the same attribute names as `Job`: ~170 µs of CPU less per call than an
# ORM session, on the calls dashboards make most (docs/performance.md). Changes stay on the ORM,
# except job.submit and job.cancel, which are one statement each (below).


async def find_job(conn: AsyncConnection, *, job_id: str) -> Row:
    _check_job_id(job_id)
    row = (await conn.execute(select(JOBS).where(JOBS.c.job_id == job_id))).first()
    if row is None:
        raise NotFound(f"job {job_id} not found", field="job_id")
    return row


async def list_jobs(
    conn: AsyncConnection,
    *,
    status: str = "",
    queue: str = "",
    task: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[Row], str]:
    """Newest first, keyset-paginated on `seq`; returns (jobs, next_page_token or "")."""
    if status and status not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
    if page_size < 0:
        raise InvalidArgument("page_size must not be negative", field="page_size")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    stmt = select(JOBS).order_by(JOBS.c.seq.desc()).limit(size + 1)
    if status:
        stmt = stmt.where(JOBS.c.status == status)
    if queue:
        stmt = stmt.where(JOBS.c.queue == queue)
    if task:
        stmt = stmt.where(JOBS.c.task == task)
    if page_token:
        stmt = stmt.where(JOBS.c.seq < decode_page_token(page_token))
    jobs = list((await conn.execute(stmt)).all())
    if len(jobs) > size:
        jobs = jobs[:size]
        return jobs, encode_page_token(jobs[-1].seq)
    return jobs, ""


def _cancel_data(job: Job, *, was: str, terminated: bool) -> dict[str, Any]:
    return {"job_id": job.job_id, "queue": job.queue, "terminated": terminated, "was": was}


# job.cancel in one statement, so one round trip on an autocommit connection is the whole
# transaction: the row changes only while pending or running (the row lock of the UPDATE orders
# concurrent cancels, as SELECT … FOR UPDATE did) and the outbox row is inserted by the same
# statement. `cancelled_while_running` is computed from the old status (SET sees the old row), and
# tells the flow what the job was. No row: the read after it says why (docs/performance.md).
_CANCEL = text(f"""
WITH cancelled AS (
  UPDATE {JOBS.fullname}
     SET status = '{CANCELLED}', cancelled_at = :now, finished_at = :now,
         cancelled_while_running = (status = '{RUNNING}')
   WHERE job_id = :job_id AND status IN ('{PENDING}', '{RUNNING}')
  RETURNING *
), event AS (
  INSERT INTO {outbox.fullname} (event_id, type, source, ts, trace_id, actor, data)
  SELECT CAST(:event_id AS uuid), 'job.cancelled', CAST(:source AS varchar), CAST(:ts AS timestamptz),
         CAST(:trace_id AS varchar), CAST(:actor AS varchar),
         jsonb_build_object('job_id', job_id, 'queue', queue, 'terminated', false,
                            'was', CASE WHEN cancelled_while_running THEN '{RUNNING}' ELSE '{PENDING}' END)
    FROM cancelled
)
SELECT * FROM cancelled
""")


async def cancel_job(conn: AsyncConnection, *, job_id: str) -> tuple[Row, str]:
    """pending or running → cancelled; returns (job, what it was) so the flow picks the revoke.

    `conn` may be autocommit: the change and its job.cancelled event are one statement."""
    _check_job_id(job_id)
    for _ in range(3):
        event = event_row("job.cancelled", {}, source=SOURCE)
        row = (await conn.execute(_CANCEL, {
            "job_id": job_id, "now": datetime.now(UTC), "event_id": event["event_id"], "source": SOURCE,
            "ts": event["ts"], "trace_id": event["trace_id"], "actor": event["actor"],
        })).first()
        if row is not None:
            return row, RUNNING if row.cancelled_while_running else PENDING
        job = await find_job(conn, job_id=job_id)  # NOT_FOUND when there is no such job
        if job.status not in (PENDING, RUNNING):
            raise FailedPrecondition(
                f"job {job_id} is already {job.status}; only pending or running jobs can be cancelled",
                field="job_id",
            )
        # It became cancellable between the two statements (not expected: no path leads back to
        # pending or running once finished); try again.
    raise FailedPrecondition(f"job {job_id} could not be cancelled; try again", field="job_id")


async def terminate_job(session: AsyncSession, *, job_id: str) -> Job:
    """Kill a running job (SIGKILL by the flow). A job cancelled while running may be escalated
    once: its process may ignore SIGTERM. It already has its job.cancelled event, so escalation
    emits `job.terminated` instead — exactly one job.cancelled per job."""
    job = await get_job(session, job_id=job_id, for_update=True)
    escalation = job.status == CANCELLED and job.cancelled_while_running and not job.terminated
    if job.status != RUNNING and not escalation:
        if job.status == PENDING:
            raise FailedPrecondition(f"job {job_id} is pending, not running; use job.cancel", field="job_id")
        if job.terminated:
            raise FailedPrecondition(f"job {job_id} was already terminated", field="job_id")
        raise FailedPrecondition(
            f"job {job_id} is {job.status}; only a running job can be terminated (use job.cancel)",
            field="job_id",
        )
    now = datetime.now(UTC)
    job.terminated = True
    if escalation:
        await OUTBOX.emit(session, "job.terminated", {"job_id": job.job_id, "queue": job.queue})
        return job
    job.status, job.cancelled_at, job.finished_at = CANCELLED, now, now
    job.cancelled_while_running = True
    await OUTBOX.emit(session, "job.cancelled", _cancel_data(job, was=RUNNING, terminated=True))
    return job


async def retry_job(session: AsyncSession, *, job_id: str, trace_id: str, actor: str) -> Job:
    """A failed or cancelled job runs again as a new pending job linked by `retry_of`."""
    original = await get_job(session, job_id=job_id, for_update=True)
    if original.status not in (FAILED, CANCELLED):
        raise FailedPrecondition(
            f"job {job_id} is {original.status}; only failed or cancelled jobs can be retried",
            field="job_id",
        )
    submission = Submission(
        task=original.task, kwargs=dict(original.kwargs), queue=original.queue, priority=original.priority,
        max_attempts=original.max_attempts,
    )
    job = await create_job(session, submission=submission, trace_id=trace_id, actor=actor, retry_of=job_id)
    await OUTBOX.emit(session, "job.retried", {"job_id": job.job_id, "retry_of": job_id, "queue": job.queue})
    return job


async def cancel_queued_jobs(session: AsyncSession, *, queue: str, dry_run: bool) -> int:
    """Every pending job of `queue` → cancelled, one job.cancelled each, in the caller's transaction."""
    if not queue:
        raise InvalidArgument("queue is required", field="queue")
    if dry_run:
        stmt = select(func.count()).select_from(Job).where(Job.queue == queue, Job.status == PENDING)
        return int((await session.execute(stmt)).scalar_one())
    now = datetime.now(UTC)
    ids = (
        await session.execute(
            update(Job)
            .where(Job.queue == queue, Job.status == PENDING)
            .values(status=CANCELLED, cancelled_at=now, finished_at=now)
            .returning(Job.job_id)
        )
    ).scalars().all()
    if ids:
        rows = [
            event_row(
                "job.cancelled",
                {"job_id": i, "queue": queue, "terminated": False, "was": PENDING},
                source=SOURCE,
            )
            for i in ids
        ]
        await session.execute(insert(outbox), rows)
    return len(ids)


async def count_jobs(conn: AsyncConnection, *, queue: str = "") -> dict[str, int]:
    stmt = select(JOBS.c.status, func.count()).group_by(JOBS.c.status)
    if queue:
        stmt = stmt.where(JOBS.c.queue == queue)
    counts = {s: 0 for s in STATUSES}
    for status, n in (await conn.execute(stmt)).all():
        counts[status] = int(n)
    return counts

