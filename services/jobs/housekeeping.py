"""What the workers service's managers ask of the jobs service (internal RPCs ReapJobs, PurgeJobs):

- **reap**: running jobs whose latest attempt started more than `timeout_s` ago → `failed`, the
  reason in `error`, one `job.failed` each (`reaped` true), then their processes are killed;
- **purge**: finished jobs older than `older_than_s` (by `finished_at`) are deleted, at most `limit`
  a call, so the retention manager works in short batches that never hold long locks.

Both take rows with `FOR UPDATE SKIP LOCKED`: a job a worker is finishing right now is left for
the next pass rather than waited on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from services.common.errors import InvalidArgument
from services.jobs.bulk import JOBS, _outbox_rows
from services.jobs.models import FAILED, FINISHED, RUNNING, outbox

LIMIT_MAX = 10_000


def _limit(limit: int) -> int:
    if not 0 <= limit <= LIMIT_MAX:
        raise InvalidArgument(f"limit must be from 1 to {LIMIT_MAX} (0 = 1000)", field="limit")
    return limit or 1000


async def reap(flows: Any, *, timeout_s: int, reason: str, limit: int) -> list[str]:
    if timeout_s < 1:
        raise InvalidArgument("timeout_s must be at least 1", field="timeout_s")
    reason = reason.strip() or f"reaper: running longer than {timeout_s} s"
    cutoff = datetime.now(UTC) - timedelta(seconds=timeout_s)
    stuck = (select(JOBS.c.seq).where(JOBS.c.status == RUNNING, JOBS.c.started_at < cutoff)
             .order_by(JOBS.c.seq).limit(_limit(limit)).with_for_update(skip_locked=True))
    async with flows.sessions.begin() as session:
        rows = (await session.execute(
            update(JOBS).where(JOBS.c.seq.in_(stuck), JOBS.c.status == RUNNING)
            .values(status=FAILED, finished_at=func.now(), error=reason[:1000])
            .returning(JOBS.c.job_id, JOBS.c.queue))).all()
        if rows:
            await session.execute(insert(outbox), _outbox_rows("job.failed", [
                {"job_id": r.job_id, "queue": r.queue, "error": reason[:1000], "reaped": True} for r in rows]))
    ids = sorted(r.job_id for r in rows)
    if ids:  # the row says failed already; a stuck process must not run on
        await flows.revoke(ids, terminate=True, signal="SIGKILL")
    return ids


async def purge(flows: Any, *, older_than_s: int, limit: int) -> int:
    if older_than_s < 1:
        raise InvalidArgument("older_than_s must be at least 1", field="older_than_s")
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    old = (select(JOBS.c.seq).where(JOBS.c.status.in_(FINISHED),
                                    func.coalesce(JOBS.c.finished_at, JOBS.c.created_at) < cutoff)
           .order_by(JOBS.c.seq).limit(_limit(limit)).with_for_update(skip_locked=True))
    async with flows.sessions.begin() as session:
        return (await session.execute(delete(JOBS).where(JOBS.c.seq.in_(old)))).rowcount or 0
