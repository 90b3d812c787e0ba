"""gRPC adapter of the workers service: request → flow → response message. No SQL, no Celery.

`SERVICE` at the bottom declares the process: the WorkersService, the registry's background loop,
and — through `extra` — further gRPC services of the same process (managers, schedules)."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import struct_pb2

from admin.workers.v1 import workers_pb2 as pb
from admin.workers.v1 import workers_pb2_grpc as pb_grpc
from services.common.kit import Runtime, Service
from services.common.times import iso
from services.workers.control import REPLY_TIMEOUT_S
from services.workers.flows import Outcome, WorkersFlows
from services.workers.managers import servicer as managers
from services.workers.models import OFFLINE, QUIET, outbox
from services.workers.registry import Registry

# Kept back from the caller's deadline for the answer's way home.
DEADLINE_MARGIN_S = 0.5


def budget(context: grpc.aio.ServicerContext) -> float:
    """How long a broadcast may wait for replies: 2 s, never past the caller's deadline."""
    left = context.time_remaining()
    if left is None:
        return REPLY_TIMEOUT_S
    return max(0.1, min(REPLY_TIMEOUT_S, left - DEADLINE_MARGIN_S))


def to_proto(row: Any) -> pb.Worker:  # a WorkerRow or a listed row (service.LISTED)
    return pb.Worker(
        hostname=row.hostname, status=row.status, queues=sorted(row.queues), pool_size=row.pool_size,
        concurrency=row.concurrency, active=row.active, processed=row.processed,
        last_heartbeat=iso(row.last_heartbeat),
    )


def control_response(outcome: Outcome) -> pb.ControlResponse:
    return pb.ControlResponse(
        replies=[pb.Reply(hostname=r.hostname, ok=r.ok, message=r.message, error=r.error) for r in outcome.replies],
        no_reply=outcome.no_reply,
    )


def inspect_reply(r: Any) -> pb.InspectReply:
    x = r.extra
    stats = struct_pb2.Struct()
    if x.get("stats"):
        stats.update(x["stats"])
    return pb.InspectReply(
        hostname=r.hostname, ok=r.ok, message=r.message, error=r.error,
        pool_size=x.get("pool_size", 0), concurrency=x.get("concurrency", 0), queues=x.get("queues", []),
        active=[pb.TaskRef(job_id=j, task=t) for j, t in x.get("active", [])],
        reserved=[pb.TaskRef(job_id=j, task=t) for j, t in x.get("reserved", [])],
        registered=x.get("registered", []), stats=stats,
    )


class WorkersServicer(pb_grpc.WorkersServiceServicer):
    def __init__(self, flows: WorkersFlows) -> None:
        self.flows = flows

    async def ListWorkers(self, request: pb.ListWorkersRequest, context: grpc.aio.ServicerContext):
        status, queue = request.status, request.queue

        async def build() -> pb.ListWorkersResponse:
            rows = await self.flows.list(status=status, queue=queue)
            return pb.ListWorkersResponse(workers=[to_proto(r) for r in rows])

        return await self.flows.registry.listings.get((status, queue), build)

    async def InspectWorkers(self, request: pb.InspectWorkersRequest, context: grpc.aio.ServicerContext):
        outcome = await self.flows.inspect(destination=request.destination, budget=budget(context))
        return pb.InspectWorkersResponse(replies=[inspect_reply(r) for r in outcome.replies], no_reply=outcome.no_reply)

    async def PingWorkers(self, request: pb.PingWorkersRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.ping(destination=request.destination, budget=budget(context)))

    async def QuietWorkers(self, request: pb.QuietWorkersRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.quiet(destination=request.destination, budget=budget(context), quiet=True))

    async def UnquietWorkers(self, request: pb.UnquietWorkersRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.quiet(destination=request.destination, budget=budget(context), quiet=False))

    async def ShutdownWorkers(self, request: pb.ShutdownWorkersRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.shutdown(destination=request.destination))

    async def PoolRestart(self, request: pb.PoolRestartRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.pool_restart(destination=request.destination, budget=budget(context)))

    async def PoolGrow(self, request: pb.PoolGrowRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.pool_resize(
            destination=request.destination, n=request.n, grow=True, budget=budget(context)))

    async def PoolShrink(self, request: pb.PoolShrinkRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.pool_resize(
            destination=request.destination, n=request.n, grow=False, budget=budget(context)))

    async def Autoscale(self, request: pb.AutoscaleRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.autoscale(
            destination=request.destination, max_=request.max, min_=request.min, budget=budget(context)))

    async def AddConsumer(self, request: pb.AddConsumerRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.consumer(
            destination=request.destination, queue_name=request.queue_name, add=True, budget=budget(context)))

    async def CancelConsumer(self, request: pb.CancelConsumerRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.consumer(
            destination=request.destination, queue_name=request.queue_name, add=False, budget=budget(context)))

    async def RateLimit(self, request: pb.RateLimitRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.rate_limit(
            destination=request.destination, task=request.task, rate=request.rate, budget=budget(context)))

    async def TimeLimit(self, request: pb.TimeLimitRequest, context: grpc.aio.ServicerContext):
        return control_response(await self.flows.time_limit(
            destination=request.destination, task=request.task, soft=request.soft, hard=request.hard,
            budget=budget(context)))

    async def ForgetOffline(self, request: pb.ForgetOfflineRequest, context: grpc.aio.ServicerContext):
        return pb.ForgetOfflineResponse(forgotten=await self.flows.forget_offline(destination=request.destination))

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_workers(self) -> pb.WorkersSection:
        rows = await self.flows.list(status="", queue="")
        alive = [r for r in rows if r.status != OFFLINE]
        return pb.WorkersSection(
            items=[to_proto(r) for r in rows],
            dashboard=pb.WorkersDashboard(
                workers_online=len(alive),
                workers_quiet=sum(1 for r in alive if r.status == QUIET),
                workers_offline=len(rows) - len(alive),
                pool_processes=sum(r.pool_size for r in alive),
                active_tasks=sum(r.active for r in alive),
                pool_sizes={r.hostname: r.pool_size for r in alive},
            ),
        )


def registry(rt: Runtime) -> Registry:
    """One registry per runtime, shared by the servicer and the background loop."""
    return rt.shared(Registry)


SERVICE = Service(
    name="workers",
    grpc_service=pb.DESCRIPTOR.services_by_name["WorkersService"],
    add_servicer=pb_grpc.add_WorkersServiceServicer_to_server,
    make_servicer=lambda rt: WorkersServicer(WorkersFlows(rt, registry(rt))),
    outbox=outbox,
    background=(lambda rt: registry(rt).run, managers.background),
    # Further gRPC services of this process (managers, schedules) are added here as
    # (descriptor, add_servicer, make_servicer) triples; `registry(rt)` is theirs to share.
    extra=(managers.EXTRA,),
)
