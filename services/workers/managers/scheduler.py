"""One pass of the scheduler (payloads/workers.md "Ticks").

1. One fenced transaction records, for each due schedule that is not paused, its latest due tick
   (primary key (schedule, tick): a tick is recorded once, whoever leads) and moves `next_run`.
2. Every recorded tick without a job yet — this pass's, or one a former leader recorded and died
   before confirming — is submitted through the jobs service's SubmitScheduledJob, which
   de-duplicates by (schedule, tick): resubmitting after a takeover returns the job already made.
3. The job id is stored with the tick (fenced), `schedule.fired`.

A replica that lost its lease stops before step 2 (`lease.valid()`), and its fenced writes are
refused; the jobs service's de-duplication covers a stalled leader that submits anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import struct_pb2

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.errors import DeadlineExceeded, DomainError, Unavailable
from services.common.times import iso
from services.workers.managers import store
from services.workers.managers.runner import Pass


def kwargs_struct(kwargs: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(kwargs or {})
    return out


async def submit(rt: Any, *, task: str, kwargs: dict[str, Any], queue: str, schedule: str,
                 scheduled_for: str) -> jobs_pb2.SubmitScheduledJobResponse:
    return await rt.call("jobs", jobs_pb2_grpc.JobsServiceStub, "SubmitScheduledJob", jobs_pb2.SubmitScheduledJobRequest(
        task=task, kwargs=kwargs_struct(kwargs), queue=queue, schedule=schedule, scheduled_for=scheduled_for))


async def run(p: Pass) -> str:
    async with p.rt.sessions.begin() as session:
        await store.record_due_ticks(session, token=p.token, now=datetime.now(UTC))
    async with p.rt.reads() as session:
        pending = await store.unsubmitted_ticks(session)
    errors: list[str] = []
    for tick, sched in pending:
        p.check()  # lost the lease: stop before acting
        try:
            answer = await submit(p.rt, task=sched.task, kwargs=sched.kwargs, queue=sched.queue,
                                  schedule=sched.name, scheduled_for=iso(tick.tick))
        except (Unavailable, DeadlineExceeded) as exc:  # the jobs service is away: the next pass retries
            errors.append(f"{sched.name} @ {iso(tick.tick)}: {exc}")
            break
        except DomainError as exc:  # refused for good (a deleted queue, a bad kwarg): not retried
            async with p.rt.sessions.begin() as session:
                await store.tick_submitted(session, token=p.token, schedule=sched.name, tick=tick.tick,
                                           job_id="", error=str(exc))
            errors.append(f"{sched.name} @ {iso(tick.tick)}: {exc}")
            continue
        async with p.rt.sessions.begin() as session:
            await store.tick_submitted(session, token=p.token, schedule=sched.name, tick=tick.tick,
                                       job_id=answer.job.job_id)
    return "; ".join(errors)
