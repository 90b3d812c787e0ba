"""Orchestration of the manager.* and schedule.* actions: validate, ask siblings what a check needs
(the queue service for a schedule's queue), one transaction with its outbox event, then what
follows (the jobs service for `schedule.trigger`). The loops pick up a stored change within a tick."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common.errors import NotFound
from services.common.kit import Runtime
from services.workers.managers import config as cfg
from services.workers.managers import scheduler, store, ticks
from services.workers.managers.lease import leader_of
from services.workers.managers.models import STOPPED, ManagerRow, ScheduleRow


@dataclass(frozen=True, slots=True)
class ManagerView:
    row: ManagerRow
    leader: str

    @property
    def config(self) -> dict[str, Any]:
        return cfg.effective(self.row.name, self.row.config)


class ManagersFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def _view(self, row: ManagerRow) -> ManagerView:
        leader = "" if row.state == STOPPED else await leader_of(self.rt.redis, row.name)
        return ManagerView(row, leader)

    # --- managers --------------------------------------------------------------------------

    async def list(self) -> builtins.list[ManagerView]:
        async with self.rt.reads() as session:
            rows = await store.list_managers(session)
        return [await self._view(r) for r in rows]

    async def get(self, *, name: str) -> ManagerView:
        async with self.rt.reads() as session:
            return await self._view(await store.get_manager(session, name=name))

    async def transition(self, *, name: str, action: str) -> ManagerView:
        async with self.rt.sessions.begin() as session:
            row = await store.transition(session, name=name, action=action)
        return await self._view(row)

    async def run_now(self, *, name: str) -> ManagerView:
        async with self.rt.sessions.begin() as session:
            row = await store.request_run(session, name=name)
        return await self._view(row)

    async def configure(self, *, name: str, given: dict[str, Any] | None) -> ManagerView:
        cfg.check_name(name)
        if given is None:
            from services.common.errors import InvalidArgument

            raise InvalidArgument("config is required: an object of the members to change", field="config")
        async with self.rt.sessions.begin() as session:
            row = await store.configure(session, name=name, given=given)
        return await self._view(row)

    # --- schedules -------------------------------------------------------------------------

    async def list_schedules(self) -> builtins.list[ScheduleRow]:
        async with self.rt.reads() as session:
            return await store.list_schedules(session)

    async def next_runs(self) -> builtins.list[ScheduleRow]:
        async with self.rt.reads() as session:
            return await store.next_runs(session)

    async def _require_queue(self, queue: str) -> None:
        try:
            await self.rt.call("queue", queue_pb2_grpc.QueueServiceStub, "GetQueue",
                               queue_pb2.GetQueueRequest(queue_name=queue))
        except NotFound:
            raise NotFound(f"no queue {queue[:64]!r}", reason="QUEUE_NOT_FOUND", field="queue") from None

    async def create(self, *, name: str, task: str, kwargs: dict[str, Any], queue: str, cron: str,
                     interval_s: int, timezone: str, paused: bool) -> ScheduleRow:
        ticks.check_name(name)
        ticks.check_task(task)
        cron, interval_s = ticks.check_timing(cron, interval_s)
        timezone = timezone or "UTC"
        ticks.check_timezone(timezone)
        queue = queue or "default"
        await self._require_queue(queue)
        async with self.rt.sessions.begin() as session:
            return await store.create_schedule(session, name=name, task=task, kwargs=kwargs, queue=queue, cron=cron,
                                               interval_s=interval_s, timezone=timezone, paused=paused)

    async def update(self, *, name: str, task: str, kwargs: dict[str, Any] | None, queue: str, cron: str,
                     interval_s: int, timezone: str) -> ScheduleRow:
        ticks.check_name(name)
        changes: dict[str, Any] = {}
        if task:
            changes["task"] = ticks.check_task(task)
        if kwargs is not None:
            changes["kwargs"] = kwargs
        if cron or interval_s:
            changes["cron"], changes["interval_s"] = ticks.check_timing(cron, interval_s)
        if timezone:
            ticks.check_timezone(timezone)
            changes["timezone"] = timezone
        async with self.rt.reads() as session:
            await store.get_schedule(session, name=name)  # 404 before asking the queue service
        if queue:
            await self._require_queue(queue)
            changes["queue"] = queue
        async with self.rt.sessions.begin() as session:
            return await store.update_schedule(session, name=name, changes=changes)

    async def delete(self, *, name: str) -> ScheduleRow:
        async with self.rt.sessions.begin() as session:
            return await store.delete_schedule(session, name=name)

    async def set_paused(self, *, name: str, paused: bool) -> ScheduleRow:
        async with self.rt.sessions.begin() as session:
            return await store.set_paused(session, name=name, paused=paused)

    async def trigger(self, *, name: str) -> tuple[ScheduleRow, Any]:
        """One job now, paused or not; not a tick (scheduled_for "", next_run unchanged)."""
        async with self.rt.reads() as session:
            row = await store.get_schedule(session, name=name)
        answer = await scheduler.submit(self.rt, task=row.task, kwargs=row.kwargs, queue=row.queue,
                                        schedule=row.name, scheduled_for="")
        async with self.rt.sessions.begin() as session:
            row = await store.triggered(session, name=name, job_id=answer.job.job_id)
        return row, answer.job
