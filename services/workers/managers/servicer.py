"""gRPC adapter of the managers (ManagersService, served by the workers-service process): request →
flow → response message. No SQL, no Redis. `EXTRA` and `background` are what the workers
service's `SERVICE` declaration adds."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from admin.workers.v1 import managers_pb2 as pb
from admin.workers.v1 import managers_pb2_grpc as pb_grpc
from services.common.kit import Runtime
from services.common.times import iso
from services.workers.managers import autoscaler, reaper, retention, scheduler
from services.workers.managers.flows import ManagersFlows, ManagerView
from services.workers.managers.models import RUNNING, ScheduleRow
from services.workers.managers.runner import Supervisor

PASSES = {"scheduler": scheduler.run, "autoscaler": autoscaler.run, "reaper": reaper.run,
          "retention": retention.run}


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value or {})
    return out


def _dict(msg: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(msg)


def manager_proto(v: ManagerView) -> pb.Manager:
    r = v.row
    return pb.Manager(name=r.name, state=r.state, leader=v.leader, last_run=iso(r.last_run), last_error=r.last_error,
                      next_run=iso(r.next_run) if r.state == RUNNING else "", config=_struct(v.config))


def schedule_proto(r: ScheduleRow) -> pb.Schedule:
    return pb.Schedule(name=r.name, task=r.task, kwargs=_struct(r.kwargs), queue=r.queue, cron=r.cron,
                       interval_s=r.interval_s, timezone=r.timezone, paused=r.paused,
                       next_run="" if r.paused else iso(r.next_run), last_run=iso(r.last_run),
                       created_at=iso(r.created_at), updated_at=iso(r.updated_at))


class ManagersServicer(pb_grpc.ManagersServiceServicer):
    def __init__(self, flows: ManagersFlows) -> None:
        self.flows = flows

    async def ListManagers(self, request: pb.ListManagersRequest, context: grpc.aio.ServicerContext):
        return pb.ListManagersResponse(managers=[manager_proto(v) for v in await self.flows.list()])

    async def GetManager(self, request: pb.GetManagerRequest, context: grpc.aio.ServicerContext):
        return pb.ManagerResponse(manager=manager_proto(await self.flows.get(name=request.name)))

    async def _transition(self, name: str, action: str) -> pb.ManagerResponse:
        return pb.ManagerResponse(manager=manager_proto(await self.flows.transition(name=name, action=action)))

    async def StartManager(self, request: pb.StartManagerRequest, context: grpc.aio.ServicerContext):
        return await self._transition(request.name, "start")

    async def StopManager(self, request: pb.StopManagerRequest, context: grpc.aio.ServicerContext):
        return await self._transition(request.name, "stop")

    async def PauseManager(self, request: pb.PauseManagerRequest, context: grpc.aio.ServicerContext):
        return await self._transition(request.name, "pause")

    async def ResumeManager(self, request: pb.ResumeManagerRequest, context: grpc.aio.ServicerContext):
        return await self._transition(request.name, "resume")

    async def RunManagerNow(self, request: pb.RunManagerNowRequest, context: grpc.aio.ServicerContext):
        return pb.ManagerResponse(manager=manager_proto(await self.flows.run_now(name=request.name)))

    async def ConfigureManager(self, request: pb.ConfigureManagerRequest, context: grpc.aio.ServicerContext):
        given = _dict(request.config) if request.HasField("config") else None
        return pb.ManagerResponse(manager=manager_proto(await self.flows.configure(name=request.name, given=given)))

    async def ListSchedules(self, request: pb.ListSchedulesRequest, context: grpc.aio.ServicerContext):
        return pb.ListSchedulesResponse(schedules=[schedule_proto(r) for r in await self.flows.list_schedules()])

    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: grpc.aio.ServicerContext):
        row = await self.flows.create(name=request.name, task=request.task, kwargs=_dict(request.kwargs),
                                      queue=request.queue, cron=request.cron, interval_s=request.interval_s,
                                      timezone=request.timezone, paused=request.paused)
        return pb.ScheduleResponse(schedule=schedule_proto(row))

    async def UpdateSchedule(self, request: pb.UpdateScheduleRequest, context: grpc.aio.ServicerContext):
        row = await self.flows.update(
            name=request.name, task=request.task, kwargs=_dict(request.kwargs) if request.HasField("kwargs") else None,
            queue=request.queue, cron=request.cron, interval_s=request.interval_s, timezone=request.timezone)
        return pb.ScheduleResponse(schedule=schedule_proto(row))

    async def DeleteSchedule(self, request: pb.DeleteScheduleRequest, context: grpc.aio.ServicerContext):
        return pb.ScheduleResponse(schedule=schedule_proto(await self.flows.delete(name=request.name)))

    async def PauseSchedule(self, request: pb.PauseScheduleRequest, context: grpc.aio.ServicerContext):
        return pb.ScheduleResponse(schedule=schedule_proto(await self.flows.set_paused(name=request.name, paused=True)))

    async def ResumeSchedule(self, request: pb.ResumeScheduleRequest, context: grpc.aio.ServicerContext):
        row = await self.flows.set_paused(name=request.name, paused=False)
        return pb.ScheduleResponse(schedule=schedule_proto(row))

    async def TriggerSchedule(self, request: pb.TriggerScheduleRequest, context: grpc.aio.ServicerContext):
        row, job = await self.flows.trigger(name=request.name)
        return pb.TriggerScheduleResponse(schedule=schedule_proto(row), job=job)

    # --- SSOT section (admin.v1.snapshot) -------------------------------------------------------

    async def section_managers(self) -> pb.ManagersSection:
        return pb.ManagersSection(managers=[manager_proto(v) for v in await self.flows.list()],
                                  next_runs=[schedule_proto(r) for r in await self.flows.next_runs()])


# What the workers service's `SERVICE` declaration adds: the gRPC service and the four manager loops.
EXTRA = (pb.DESCRIPTOR.services_by_name["ManagersService"], pb_grpc.add_ManagersServiceServicer_to_server,
         lambda rt: ManagersServicer(ManagersFlows(rt)))


def background(rt: Runtime) -> Any:
    return Supervisor(rt, PASSES).run
