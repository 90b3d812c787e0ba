"""One pass of the retention manager, in short batches of `batch_size` (each its own transaction,
so no lock is held for long):

- finished jobs older than `jobs_days`: the jobs service's PurgeJobs, batch after batch;
- log records: the logs service's ApplyRetention (it follows `logs.retention_days`);
- this schema's sent outbox rows older than `outbox_days`, and submitted schedule ticks older than
  `jobs_days` (fenced deletes here: the schema is ours).

A step that fails is reported in `last_error`; the others still run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, select

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from admin.logs.v1 import logs_pb2, logs_pb2_grpc
from services.common.errors import DomainError
from services.workers.managers import store
from services.workers.managers.runner import Pass
from services.workers.models import outbox

DAY_S = 86400
MAX_BATCHES = 1000  # per step and pass: the next pass goes on


async def purge_jobs(p: Pass, *, days: int, batch: int) -> None:
    for _ in range(MAX_BATCHES):
        p.check()
        done = await p.rt.call("jobs", jobs_pb2_grpc.JobsServiceStub, "PurgeJobs",
                               jobs_pb2.PurgeJobsRequest(older_than_s=days * DAY_S, limit=min(batch, 10_000)))
        if done.deleted < batch:
            return


async def purge_outbox(p: Pass, *, days: int, batch: int) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=days)
    old = (select(outbox.c.id).where(outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff)
           .order_by(outbox.c.id).limit(batch).with_for_update(skip_locked=True))
    for _ in range(MAX_BATCHES):
        p.check()
        async with p.rt.sessions.begin() as session:
            await store.fenced(session, name=p.name, token=p.token)
            res = await session.execute(delete(outbox).where(outbox.c.id.in_(old)))
            n = cast(CursorResult, res).rowcount or 0
        if n < batch:
            return


async def purge_ticks(p: Pass, *, days: int, batch: int) -> None:
    for _ in range(MAX_BATCHES):
        p.check()
        async with p.rt.sessions.begin() as session:
            n = await store.purge_ticks(session, token=p.token, older_than=datetime.now(UTC) - timedelta(days=days),
                                        limit=batch)
        if n < batch:
            return


async def run(p: Pass) -> str:
    batch = int(p.config["batch_size"])
    errors = []
    steps = (
        ("jobs", lambda: purge_jobs(p, days=int(p.config["jobs_days"]), batch=batch)),
        ("logs", lambda: p.rt.call("logs", logs_pb2_grpc.LogsServiceStub, "ApplyRetention",
                                   logs_pb2.ApplyRetentionRequest())),
        ("outbox", lambda: purge_outbox(p, days=int(p.config["outbox_days"]), batch=batch)),
        ("ticks", lambda: purge_ticks(p, days=int(p.config["jobs_days"]), batch=batch)),
    )
    for what, step in steps:
        try:
            await step()
        except DomainError as exc:
            errors.append(f"{what}: {exc}")
    return "; ".join(errors)
