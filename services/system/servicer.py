"""gRPC adapter of the system service: request → flow → response message. No SQL, no Redis."""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc

from admin.system.v1 import system_pb2, system_pb2_grpc
from services.common.kit import Runtime, Service
from services.system.flows import SystemFlows, quietly
from services.system.health import Health
from services.system.models import outbox
from services.system.service import MaintenanceState

Ctx: TypeAlias = grpc.aio.ServicerContext


def _budget(context: Ctx) -> float | None:
    """Seconds left before the caller's deadline (None without one): statement timeouts stay below it."""
    return context.time_remaining()


def maintenance_pb(m: MaintenanceState) -> system_pb2.Maintenance:
    return system_pb2.Maintenance(enabled=m.enabled, reason=m.reason, since=m.since, actor=m.actor)


def announcement_pb(value: dict[str, Any] | None) -> system_pb2.Announcement | None:
    if value is None:
        return None
    return system_pb2.Announcement(message=value["message"], level=value["level"], until=value.get("until", ""))


def health_pb(h: Health) -> system_pb2.GetHealthResponse:
    return system_pb2.GetHealthResponse(
        status=h.status,
        components=[system_pb2.Component(name=c.name, status=c.status, detail=c.detail) for c in h.components],
    )


class SystemServicer(system_pb2_grpc.SystemServiceServicer):
    def __init__(self, flows: SystemFlows) -> None:
        self.flows = flows

    async def GetHealth(self, request: system_pb2.GetHealthRequest, context: Ctx):
        return health_pb(await self.flows.health())

    async def GetReport(self, request: system_pb2.GetReportRequest, context: Ctx):
        r = await self.flows.report()
        online, quiet, offline = r.workers
        return system_pb2.GetReportResponse(report=system_pb2.Report(
            generated_at=r.generated_at,
            services=[system_pb2.ServiceReport(name=s.name, status=s.status, version=s.version, replicas=s.replicas)
                      for s in r.services],
            queues=[system_pb2.QueueReport(name=n, paused=p, depth=d) for n, p, d in r.queues],
            workers=system_pb2.WorkerCounts(online=online, quiet=quiet, offline=offline),
            config_version=r.config_version,
            maintenance=maintenance_pb(r.maintenance),
            announcement=announcement_pb(r.announcement),
            text=r.text,
        ))

    async def EnableMaintenance(self, request: system_pb2.EnableMaintenanceRequest, context: Ctx):
        state = await self.flows.set_maintenance(enabled=True, reason=request.reason)
        return system_pb2.EnableMaintenanceResponse(maintenance=maintenance_pb(state))

    async def DisableMaintenance(self, request: system_pb2.DisableMaintenanceRequest, context: Ctx):
        state = await self.flows.set_maintenance(enabled=False, reason="")
        return system_pb2.DisableMaintenanceResponse(maintenance=maintenance_pb(state))

    async def PauseAll(self, request: system_pb2.PauseAllRequest, context: Ctx):
        done = await self.flows.pause_all(reason=request.reason)
        return system_pb2.PauseAllResponse(paused_queues=done.queues, quieted_workers=done.workers)

    async def ResumeAll(self, request: system_pb2.ResumeAllRequest, context: Ctx):
        done = await self.flows.resume_all()
        return system_pb2.ResumeAllResponse(resumed_queues=done.queues, unquieted_workers=done.workers)

    async def Announce(self, request: system_pb2.AnnounceRequest, context: Ctx):
        value = await self.flows.announce(message=request.message, level=request.level, until=request.until)
        return system_pb2.AnnounceResponse(announcement=announcement_pb(value))

    async def GetDbStats(self, request: system_pb2.GetDbStatsRequest, context: Ctx):
        s = await self.flows.db_stats(budget_s=_budget(context))
        return system_pb2.GetDbStatsResponse(
            database=s.database, size_bytes=s.size_bytes, connections=s.connections,
            schemas=[system_pb2.SchemaStats(name=x.name, tables=x.tables, rows=x.rows, size_bytes=x.size_bytes)
                     for x in s.schemas],
        )

    async def Vacuum(self, request: system_pb2.VacuumRequest, context: Ctx):
        done = await self.flows.maintain(verb="vacuum", table=request.table, full=request.full,
                                         budget_s=_budget(context))
        return system_pb2.VacuumResponse(tables=done.tables, duration_ms=done.duration_ms)

    async def Analyze(self, request: system_pb2.AnalyzeRequest, context: Ctx):
        done = await self.flows.maintain(verb="analyze", table=request.table, budget_s=_budget(context))
        return system_pb2.AnalyzeResponse(tables=done.tables, duration_ms=done.duration_ms)

    async def Cleanup(self, request: system_pb2.CleanupRequest, context: Ctx):
        resp = await self.flows.cleanup(request)
        return system_pb2.CleanupResponse(matched=resp.matched, affected=resp.affected, sample=list(resp.sample))

    async def GetMigrations(self, request: system_pb2.GetMigrationsRequest, context: Ctx):
        revs = await self.flows.migrations(budget_s=_budget(context))
        return system_pb2.GetMigrationsResponse(schemas=[
            system_pb2.SchemaRevision(name=r.name, revision=r.revision, head=r.head, up_to_date=r.up_to_date)
            for r in revs
        ])

    async def GetBrokerStats(self, request: system_pb2.GetBrokerStatsRequest, context: Ctx):
        info, queues = await self.flows.broker_stats()
        return system_pb2.GetBrokerStatsResponse(
            broker="redis", version=info.version, used_memory_bytes=info.used_memory_bytes,
            connected_clients=info.connected_clients,
            queues=[system_pb2.BrokerQueue(name=n, messages=m) for n, m in queues],
        )

    async def GetEventStats(self, request: system_pb2.GetEventStatsRequest, context: Ctx):
        s = await self.flows.event_stats()
        return system_pb2.GetEventStatsResponse(
            stream=s.stream, length=s.length, first_id=s.first_id, last_id=s.last_id,
            groups=[system_pb2.ConsumerGroup(name=g.name, consumers=g.consumers, pending=g.pending,
                                             last_delivered_id=g.last_delivered_id, lag=g.lag) for g in s.groups],
        )

    async def ReplayEvents(self, request: system_pb2.ReplayEventsRequest, context: Ctx):
        n = await self.flows.replay(since=request.since, until=request.until, types=list(request.types),
                                    budget_s=_budget(context))
        return system_pb2.ReplayEventsResponse(replayed=n)

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_system(self) -> system_pb2.SystemSection:
        import asyncio

        h, maint, ann, paused = await asyncio.gather(
            self.flows.health(), self.flows.maintenance(), quietly(self.flows.announcement(), None),
            self.flows.paused_all(),
        )
        return system_pb2.SystemSection(
            maintenance=maintenance_pb(maint),
            announcement=announcement_pb(ann),
            paused_all=paused,
            health=health_pb(h),
            breakers={name: state for name, state in h.breakers.items()},
        )


def _flows_of(rt: Runtime) -> SystemFlows:
    """One SystemFlows per runtime, shared by the servicer and the background loops."""
    return rt.shared(SystemFlows)


SERVICE = Service(
    name="system",
    grpc_service=system_pb2.DESCRIPTOR.services_by_name["SystemService"],
    add_servicer=system_pb2_grpc.add_SystemServiceServicer_to_server,
    make_servicer=lambda rt: SystemServicer(_flows_of(rt)),
    outbox=outbox,
    background=(
        lambda rt: _flows_of(rt).reconcile_maintenance,
        lambda rt: _flows_of(rt).watch_announcement_expiry,
    ),
)
