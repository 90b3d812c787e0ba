"""The SSOT sections: ONE registry, section name -> async fetch function (SPEC §5).

A fan-out calls every fetch in parallel, each under its own deadline. A fetch returns the section's
JSON-ready value or raises; the cache decides what a failure means (stale copy or `degraded`).
Sections whose service is not deployed yet return a clear marker instead of failing, so consoles
can tell "not there" from "down". To add a section, add one entry to `SECTIONS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc

from gateway.protojson import Renderer
from services.common import clients
from services.common.settings import Settings

RECENT_JOBS = 50
# Same rendering as action responses, so a job looks alike in `job.get` and in the snapshot.
_JOB = Renderer(jobs_pb2.Job.DESCRIPTOR)
_QUEUE = Renderer(queue_pb2.Queue.DESCRIPTOR)


@dataclass
class FetchContext:
    """What a fetch needs; `once` shares one RPC between sections of the same fan-out."""

    settings: Settings
    deadline_s: float
    throughput: Callable[[], dict[str, Any]] = lambda: {}
    _calls: dict[str, asyncio.Task] = field(default_factory=dict)

    def once(self, key: str, make: Callable[[], Awaitable[Any]]) -> "asyncio.Future[Any]":
        task = self._calls.get(key)
        if task is None:
            task = self._calls[key] = asyncio.ensure_future(make())
        return asyncio.shield(task)

    def stub(self, service: str, stub_cls: type) -> Any:
        return stub_cls(clients.channel(self.settings.addr(service)))


async def _count_jobs(ctx: FetchContext) -> jobs_pb2.CountJobsResponse:
    stub = ctx.stub("jobs", jobs_pb2_grpc.JobsServiceStub)
    return await stub.CountJobs(jobs_pb2.CountJobsRequest(), timeout=ctx.deadline_s, metadata=clients.metadata())


async def _list_queues(ctx: FetchContext) -> queue_pb2.ListQueuesResponse:
    stub = ctx.stub("queue", queue_pb2_grpc.QueueServiceStub)
    return await stub.ListQueues(queue_pb2.ListQueuesRequest(), timeout=ctx.deadline_s, metadata=clients.metadata())


async def fetch_jobs(ctx: FetchContext) -> dict[str, Any]:
    stub = ctx.stub("jobs", jobs_pb2_grpc.JobsServiceStub)
    resp = await stub.ListJobs(
        jobs_pb2.ListJobsRequest(page_size=RECENT_JOBS), timeout=ctx.deadline_s, metadata=clients.metadata()
    )
    return {"recent": [_JOB.render(j) for j in resp.jobs]}


async def fetch_queues(ctx: FetchContext) -> dict[str, Any]:
    resp = await ctx.once("ListQueues", lambda: _list_queues(ctx))
    return {"items": [_QUEUE.render(q) for q in resp.queues]}


async def fetch_dashboard(ctx: FetchContext) -> dict[str, Any]:
    counts, queues = await asyncio.gather(
        ctx.once("CountJobs", lambda: _count_jobs(ctx)), ctx.once("ListQueues", lambda: _list_queues(ctx))
    )
    return {
        "jobs_by_status": {k: int(v) for k, v in sorted(counts.by_status.items())},
        "queue_depths": {q.queue_name: int(q.depth) for q in queues.queues},
        "queues_paused": sorted(q.queue_name for q in queues.queues if q.paused),
        # No workers service yet, so nobody reports agents; 0 rather than a guess.
        "workers_online": 0,
        "throughput": ctx.throughput(),
    }


def not_deployed(reason: str) -> Callable[[FetchContext], Awaitable[dict[str, Any]]]:
    async def fetch(ctx: FetchContext) -> dict[str, Any]:
        return {"available": False, "reason": reason}

    return fetch


SECTIONS: dict[str, Callable[[FetchContext], Awaitable[Any]]] = {
    "dashboard": fetch_dashboard,
    "jobs": fetch_jobs,
    "queues": fetch_queues,
    "workers": not_deployed("workers service not deployed yet"),
    "managers": not_deployed("workers service not deployed yet"),
    "analytics": not_deployed("analytics RPCs of the jobs service not deployed yet"),
    "logs": not_deployed("logs service not deployed yet"),
    "system": not_deployed("system service not deployed yet"),
    "config": not_deployed("config service not deployed yet"),
}
