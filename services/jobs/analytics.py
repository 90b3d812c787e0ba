"""analytics.* (payloads/jobs.md): summary, time series and exports, read-only on the jobs table.

Windows are over `created_at` (summary, submitted) and `finished_at` (finished per bucket), both
indexed (migration 0002). Exports stop at `limit` rows and say `truncated`, never time out.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.errors import InvalidArgument
from services.common.times import iso
from services.jobs.bulk import JOBS, Filter, check_filter, conditions, is_dead_letter, job_row_dict
from services.jobs.models import CANCELLED, FAILED, STATUSES, SUCCEEDED

MAX_WINDOW_S = 2_592_000
DEFAULT_WINDOW_S = 86_400
DEFAULT_BUCKET_S = 3_600
MAX_BUCKETS = 1000
MAX_LIMIT = 100_000
DEFAULT_LIMIT = 10_000
FORMATS = ("csv", "json")
JOB_COLUMNS = ["job_id", "task", "queue", "status", "priority", "attempts", "max_attempts", "retry_of", "eta",
               "created_at", "started_at", "finished_at", "error"]
METRIC_COLUMNS = ["start", "submitted", "succeeded", "failed", "cancelled"]


def window(window_s: int) -> int:
    if not 0 <= window_s <= MAX_WINDOW_S:
        raise InvalidArgument(f"window_s must be between 1 and {MAX_WINDOW_S}", field="window_s")
    return window_s or DEFAULT_WINDOW_S


def bucket(window_s: int, bucket_s: int) -> int:
    if bucket_s < 0:
        raise InvalidArgument("bucket_s must be at least 1", field="bucket_s")
    size = bucket_s or DEFAULT_BUCKET_S
    if window_s / size > MAX_BUCKETS:
        raise InvalidArgument(f"window_s / bucket_s must be at most {MAX_BUCKETS}", field="bucket_s")
    return size


def _scope(queue: str, task: str) -> list[Any]:
    conds = []
    if queue:
        conds.append(JOBS.c.queue == queue)
    if task:
        conds.append(JOBS.c.task == task)
    return conds


@dataclass
class Summary:
    window_s: int
    total: int
    counts: dict[str, int]
    by_queue: dict[str, int]
    by_task: dict[str, int]
    dead_letters: int
    success_rate: float
    p50: float
    p95: float


async def _fetch_all(engine: AsyncEngine, *stmts: Any) -> list[list[Any]]:
    """The statements at once, each on its own autocommit connection: the answer takes as long as
    the slowest, not the sum (each is an index-only scan of the window, migration 0003)."""

    async def one(stmt: Any) -> list[Any]:
        async with engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    return list(await asyncio.gather(*(one(s) for s in stmts)))


def _bin(column: Any, b: int) -> Any:
    """The start of the bucket holding `column`: multiples of `b` seconds since the Unix epoch."""
    return func.date_bin(literal_column(f"interval '{int(b)} seconds'"), column,
                         literal_column("timestamptz 'epoch'"))


async def summary(engine: AsyncEngine, *, queue: str, task: str, window_s: int) -> Summary:
    w = window(window_s)
    since = datetime.now(UTC) - timedelta(seconds=w)
    scope = [JOBS.c.created_at >= since, *_scope(queue, task)]
    run_ms = func.extract("epoch", JOBS.c.finished_at - JOBS.c.started_at) * 1000
    rows, pcts, dead = await _fetch_all(
        engine,
        select(JOBS.c.status, JOBS.c.queue, JOBS.c.task, func.count()).where(*scope)
        .group_by(JOBS.c.status, JOBS.c.queue, JOBS.c.task),
        select(func.percentile_cont(0.5).within_group(run_ms), func.percentile_cont(0.95).within_group(run_ms))
        .where(*scope, JOBS.c.status.in_((SUCCEEDED, FAILED)), JOBS.c.started_at.is_not(None),
               JOBS.c.finished_at.is_not(None)),
        select(func.count()).select_from(JOBS).where(*scope, is_dead_letter()),
    )
    counts = {s: 0 for s in STATUSES}
    by_queue: dict[str, int] = {}
    by_task: dict[str, int] = {}
    for status, q, t, n in rows:
        counts[status] += n
        by_queue[q] = by_queue.get(q, 0) + n
        by_task[t] = by_task.get(t, 0) + n
    p50, p95 = pcts[0]
    done = counts[SUCCEEDED] + counts[FAILED]
    return Summary(
        window_s=w, total=sum(counts.values()), counts=counts, by_queue=by_queue, by_task=by_task,
        dead_letters=int(dead[0][0]), success_rate=counts[SUCCEEDED] / done if done else 0.0,
        p50=float(p50 or 0.0), p95=float(p95 or 0.0),
    )


async def timeseries(engine: AsyncEngine, *, queue: str, task: str, window_s: int,
                     bucket_s: int) -> tuple[int, list[dict[str, Any]]]:
    w = window(window_s)
    b = bucket(w, bucket_s)
    now = datetime.now(UTC).timestamp()
    first = math.floor((now - w) / b)
    last = math.floor(now / b)
    since = datetime.fromtimestamp(first * b, UTC)
    scope = _scope(queue, task)
    created, finished = _bin(JOBS.c.created_at, b), _bin(JOBS.c.finished_at, b)
    buckets = {k: {"start": iso(datetime.fromtimestamp(k * b, UTC)), "submitted": 0, "succeeded": 0, "failed": 0,
                   "cancelled": 0} for k in range(first, last + 1)}
    submitted, done = await _fetch_all(
        engine,
        select(created, func.count()).where(JOBS.c.created_at >= since, *scope).group_by(created),
        select(finished, JOBS.c.status, func.count())
        .where(JOBS.c.finished_at >= since, JOBS.c.status.in_((SUCCEEDED, FAILED, CANCELLED)), *scope)
        .group_by(finished, JOBS.c.status),
    )
    for start, n in submitted:
        k = round(start.timestamp()) // b
        if k in buckets:
            buckets[k]["submitted"] = int(n)
    for start, status, n in done:
        k = round(start.timestamp()) // b
        if k in buckets:
            buckets[k][status] = int(n)
    return b, [buckets[k] for k in range(first, last + 1)]


def check_format(fmt: str) -> str:
    fmt = fmt or "csv"
    if fmt not in FORMATS:
        raise InvalidArgument("format must be csv or json", field="format")
    return fmt


def check_limit(limit: int) -> int:
    if not 0 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit or DEFAULT_LIMIT


def render(fmt: str, columns: list[str], rows: list[dict[str, Any]]) -> str:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class Export:
    format: str
    content: str
    rows: int
    truncated: bool


async def export_jobs(conn: AsyncConnection, *, fmt: str, flt: Filter, limit: int) -> Export:
    fmt = check_format(fmt)
    n = check_limit(limit)
    check_filter(flt, None)
    rows = (await conn.execute(
        select(JOBS).where(*conditions(flt, None)).order_by(JOBS.c.created_at, JOBS.c.job_id).limit(n + 1)
    )).all()
    truncated = len(rows) > n
    data = [job_row_dict(r) for r in rows[:n]]
    return Export(fmt, render(fmt, JOB_COLUMNS, data), len(data), truncated)


async def export_metrics(engine: AsyncEngine, *, fmt: str, queue: str, task: str, window_s: int, bucket_s: int,
                         limit: int) -> Export:
    fmt = check_format(fmt)
    n = check_limit(limit)
    _, buckets = await timeseries(engine, queue=queue, task=task, window_s=window_s, bucket_s=bucket_s)
    return Export(fmt, render(fmt, METRIC_COLUMNS, buckets[:n]), min(n, len(buckets)), len(buckets) > n)
