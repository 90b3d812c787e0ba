"""gRPC adapter of the logs service: request → flow → response message. No SQL, no Redis."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format

from admin.logs.v1 import logs_pb2, logs_pb2_grpc
from services.common.kit import Runtime, Service
from services.logs import service
from services.logs.flows import LogsFlows, struct_of
from services.logs.models import outbox


def to_proto(r: dict[str, Any]) -> logs_pb2.LogRecord:
    return logs_pb2.LogRecord(
        id=r["id"], ts=r["ts"], level=r["level"], component=r["component"], logger=r["logger"],
        message=r["message"], trace_id=r["trace_id"], job_id=r["job_id"], extra=struct_of(r["extra"]),
    )


def entry_proto(e: dict[str, Any]) -> logs_pb2.ConfigEntry:
    msg = logs_pb2.ConfigEntry(key=e["key"], version=int(e["version"]), updated_at=e["updated_at"],
                               updated_by=e["updated_by"], comment=e["comment"])
    json_format.ParseDict(e["value"], msg.value)
    return msg


class LogsServicer(logs_pb2_grpc.LogsServiceServicer):
    def __init__(self, flows: LogsFlows) -> None:
        self.flows = flows

    async def SearchLogs(self, request: logs_pb2.SearchLogsRequest, context: grpc.aio.ServicerContext):
        records, token = await self.flows.search(
            service.Filter.of(request), page_size=request.page_size, page_token=request.page_token
        )
        return logs_pb2.SearchLogsResponse(records=[to_proto(r) for r in records], next_page_token=token)

    async def TailLogs(self, request: logs_pb2.TailLogsRequest, context: grpc.aio.ServicerContext):
        records, last_id = await self.flows.tail(
            service.Filter.of(request, with_range=False), since=request.since, limit=request.limit
        )
        return logs_pb2.TailLogsResponse(records=[to_proto(r) for r in records], last_id=last_id)

    async def JobLogs(self, request: logs_pb2.JobLogsRequest, context: grpc.aio.ServicerContext):
        records, token = await self.flows.job(
            job_id=request.job_id, page_size=request.page_size, page_token=request.page_token
        )
        return logs_pb2.JobLogsResponse(records=[to_proto(r) for r in records], next_page_token=token)

    async def LogStats(self, request: logs_pb2.LogStatsRequest, context: grpc.aio.ServicerContext):
        st, dropped, days = await self.flows.stats(
            since=request.since, until=request.until, component=request.component
        )
        return logs_pb2.LogStatsResponse(
            total=st.total, by_level=st.by_level, by_component=st.by_component,
            per_minute=[logs_pb2.MinuteCount(minute=m, count=n) for m, n in st.per_minute],
            dropped=dropped, retention_days=days,
        )

    async def SetLogLevel(self, request: logs_pb2.SetLogLevelRequest, context: grpc.aio.ServicerContext):
        entry = await self.flows.set_level(component=request.component, level=request.level)
        return logs_pb2.SetLogLevelResponse(entry=entry_proto(entry))

    async def ExportLogs(self, request: logs_pb2.ExportLogsRequest, context: grpc.aio.ServicerContext):
        fmt, content, rows, truncated = await self.flows.export(
            service.Filter.of(request), fmt=request.format, limit=request.limit
        )
        return logs_pb2.ExportLogsResponse(format=fmt, content=content, rows=rows, truncated=truncated)

    async def PurgeLogs(self, request: logs_pb2.PurgeLogsRequest, context: grpc.aio.ServicerContext):
        matched, affected = await self.flows.purge(
            older_than_s=request.older_than_s, until=request.until, component=request.component,
            trace_id=request.trace_id, job_id=request.job_id, dry_run=request.dry_run,
        )
        return logs_pb2.PurgeLogsResponse(matched=matched, affected=affected)

    async def SetRetention(self, request: logs_pb2.SetRetentionRequest, context: grpc.aio.ServicerContext):
        entry = await self.flows.set_retention(days=request.days)
        return logs_pb2.SetRetentionResponse(entry=entry_proto(entry))

    async def ApplyRetention(self, request: logs_pb2.ApplyRetentionRequest, context: grpc.aio.ServicerContext):
        purged, days = await self.flows.apply_retention()
        return logs_pb2.ApplyRetentionResponse(purged=purged, retention_days=days)

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_logs(self) -> logs_pb2.LogsSection:
        recent, warnings, errors = await self.flows.section()
        return logs_pb2.LogsSection(
            recent=[to_proto(r) for r in recent],
            dashboard=logs_pb2.LogsDashboard(warnings_last_hour=warnings, errors_last_hour=errors),
        )


def _make(rt: Runtime) -> LogsServicer:
    return LogsServicer(rt.shared(LogsFlows))  # the ingest loop shares it


def _ingest(rt: Runtime):
    return rt.shared(LogsFlows).ingest_forever


SERVICE = Service(
    name="logs",
    grpc_service=logs_pb2.DESCRIPTOR.services_by_name["LogsService"],
    add_servicer=logs_pb2_grpc.add_LogsServiceServicer_to_server,
    make_servicer=_make,
    outbox=outbox,
    background=(_ingest,),
)
