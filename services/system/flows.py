"""Orchestration of the system actions, in the order side effects must happen.

Maintenance: the row and its `system.maintenance_changed` event commit together, then the Redis key
the gateway's maintenance step reads (`switchboard:maintenance`) is written — versioned, so a slower
writer never overwrites a newer state, and re-written from the row by a background loop should
Redis lose it. Pause-all: the queue (and workers) services are asked over gRPC while the pause-all
row is locked, and what actually changed is recorded with its event in that same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import heartbeat
from services.common.errors import DomainError, InvalidArgument, NotFound, Unavailable
from services.common.kit import Runtime
from services.common.times import iso, parse_iso
from services.system import dbadmin, health, service, siblings, streams
from services.system.service import MaintenanceState

log = logging.getLogger(__name__)

MAINTENANCE_KEY = "switchboard:maintenance"  # gateway/pipeline/maintenance.py reads it
RECONCILE_S = 2.0
EXPIRY_POLL_S = 0.5
# KEYS[1] = key; ARGV = doc, version, force. Writes unless the key holds a version >= ours; a
# hand-written doc without a version is replaced by an action (force) but left by the reconciler.
_SET_NEWER = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, doc = pcall(cjson.decode, cur)
  if ok and type(doc) == 'table' then
    local v = tonumber(doc['version'])
    if v == nil then
      if ARGV[3] ~= '1' then return 0 end
    elseif v >= tonumber(ARGV[2]) then
      return 0
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
CONCURRENCY = 16
FINISHED = {"": jobs_pb2.JOB_STATUS_UNSPECIFIED, "succeeded": jobs_pb2.JOB_STATUS_SUCCEEDED,
            "failed": jobs_pb2.JOB_STATUS_FAILED, "cancelled": jobs_pb2.JOB_STATUS_CANCELLED}


class _Partial(Exception):
    """Some queue calls failed: `done` did change (recorded), `error` is raised to the caller."""

    def __init__(self, done: list[str], error: BaseException) -> None:
        super().__init__(str(error))
        self.done, self.error = done, error


COMPONENTS = ("gateway", "jobs", "queue", "workers", "system", "config", "logs", "job-worker")


@dataclass(frozen=True, slots=True)
class Paused:
    queues: list[str]
    workers: list[str]


@dataclass(frozen=True, slots=True)
class ServiceLine:
    name: str
    status: str
    version: str
    replicas: int


@dataclass(frozen=True, slots=True)
class Report:
    generated_at: str
    services: list[ServiceLine]
    queues: list[tuple[str, bool, int]]
    workers: tuple[int, int, int]
    config_version: int
    maintenance: MaintenanceState
    announcement: dict[str, Any] | None
    text: str


class SystemFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.settings = rt.settings
        self.sessions = rt.sessions
        self.reads = rt.reads
        self.redis = rt.redis
        # The Celery broker is Redis at REDIS_URL (services/common/celery.py); probed on its own client.
        self.broker = aioredis.Redis.from_url(rt.settings.redis_url)
        rt.on_close(self.broker.aclose)
        self._set_newer = self.redis.register_script(_SET_NEWER)

    # --- maintenance ------------------------------------------------------------------------------

    async def maintenance(self) -> MaintenanceState:
        async with self.reads() as session:
            return await service.get_maintenance(session)

    async def set_maintenance(self, *, enabled: bool, reason: str) -> MaintenanceState:
        async with self.sessions.begin() as session:
            state, _changed = await service.set_maintenance(session, enabled=enabled, reason=reason)
        # After commit: the gateway's copy. Written even when nothing changed, so repeating the
        # action repairs a copy that was lost.
        await self._publish_maintenance(state, force=True)
        return state

    async def _publish_maintenance(self, state: MaintenanceState, *, force: bool) -> bool:
        doc = orjson.dumps(state.redis_doc())
        return bool(await self._set_newer(keys=[MAINTENANCE_KEY], args=[doc, state.version, "1" if force else "0"]))

    async def reconcile_maintenance(self) -> None:
        """Background: keep the gateway's copy equal to the row (Redis restarted, key lost)."""
        while True:
            try:
                await self._publish_maintenance(await self.maintenance(), force=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - PostgreSQL or Redis away: next round
                log.warning("maintenance reconcile failed: %s", exc)
            await asyncio.sleep(RECONCILE_S)

    # --- pause-all --------------------------------------------------------------------------------

    async def pause_all(self, *, reason: str) -> Paused:
        error: BaseException | None = None
        queues: list[str] = []
        workers: list[str] = []
        async with self.sessions.begin() as session:
            await service.get_pause_record(session, for_update=True)  # serialises pause/resume
            try:
                listed = await self.rt.call("queue", queue_pb2_grpc.QueueServiceStub, "ListQueues",
                                            queue_pb2.ListQueuesRequest())
                running = [q.queue_name for q in listed.queues if not q.paused]
                queues = await self._each_queue("PauseQueue", queue_pb2.PauseQueueRequest, running)
                await self._quiet_workers(workers)
            except _Partial as exc:
                queues, error = exc.done, exc.error
            except DomainError as exc:
                error = exc
            # Whatever changed before a failure is recorded, so resume_all undoes it.
            if error is None or queues or workers:
                await service.record_paused(session, queues=queues, workers=workers, reason=reason)
        if error is not None:
            raise error
        return Paused(queues, workers)

    async def resume_all(self) -> Paused:
        error: BaseException | None = None
        async with self.sessions.begin() as session:
            record = await service.get_pause_record(session, for_update=True)
            if not record.active:
                return Paused([], [])
            workers: list[str] = []
            try:
                queues = await self._each_queue("ResumeQueue", queue_pb2.ResumeQueueRequest, record.queues)
                workers = await self._unquiet_workers(record.workers)
            except _Partial as exc:
                queues, error = exc.done, exc.error
            if error is None:
                await service.clear_pause_record(session, queues=queues, workers=workers)
            else:  # keep what is still paused in the record: a retry resumes the rest
                await service.forget_paused(session, kind="queue", names=queues)
        if error is not None:
            raise error
        return Paused(queues, workers)

    async def _each_queue(self, method: str, request_cls: Any, names: list[str]) -> list[str]:
        """Call `method` for every queue at once (each waits for worker acknowledgements, so one by
        one would take a second per queue); returns the names it applied to, in order. A queue
        deleted meanwhile is skipped; any other failure is raised once all calls have settled, so
        what did change is still recorded by the caller."""
        sem = asyncio.Semaphore(CONCURRENCY)

        async def one(name: str) -> str | None:
            async with sem:
                try:
                    await self.rt.call("queue", queue_pb2_grpc.QueueServiceStub, method, request_cls(queue_name=name))
                except NotFound:
                    return None
                return name

        results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
        done = [r for r in results if isinstance(r, str)]
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise _Partial(done, failed[0])
        return done

    async def _workers(self) -> tuple[Any, Any, list[Any]] | None:
        """(pb2, stub class, workers) from the workers service; None when this build has none or it
        cannot be reached — pause-all then pauses queues only (docs/system.md)."""
        found = siblings.proto("workers")
        if found is None:
            return None
        pb2, grpc_mod = found
        try:
            listed = await self.rt.call("workers", grpc_mod.WorkersServiceStub, "ListWorkers", pb2.ListWorkersRequest())
        except Unavailable as exc:
            log.warning("workers service unavailable, workers left as they are: %s", exc)
            return None
        return pb2, grpc_mod.WorkersServiceStub, list(listed.workers)

    async def _quiet_workers(self, quieted: list[str]) -> None:
        """Quiet every online worker, appending each to `quieted` as it is done."""
        found = await self._workers()
        if found is None:
            return
        pb2, stub, workers = found
        for w in workers:
            if w.status == "online":
                await self.rt.call("workers", stub, "QuietWorkers", pb2.QuietWorkersRequest(destination=w.hostname))
                quieted.append(w.hostname)

    async def _unquiet_workers(self, hostnames: list[str]) -> list[str]:
        found = await self._workers() if hostnames else None
        if found is None:
            return []
        pb2, stub, workers = found
        known = {w.hostname for w in workers}
        done = []
        for host in hostnames:
            if host in known:
                await self.rt.call("workers", stub, "UnquietWorkers", pb2.UnquietWorkersRequest(destination=host))
                done.append(host)
        return done

    async def paused_all(self) -> bool:
        async with self.reads() as session:
            return (await service.get_pause_record(session)).active

    # --- announcement -----------------------------------------------------------------------------

    async def announce(self, *, message: str, level: str, until: str) -> dict[str, Any] | None:
        value = service.check_announcement(message=message, level=level, until=until, now=datetime.now(UTC))
        config = siblings.proto("config")
        if config is not None:
            pb2, grpc_mod = config
            from google.protobuf import struct_pb2

            v = struct_pb2.Value()
            if value is None:
                v.null_value = struct_pb2.NULL_VALUE
            else:
                v.struct_value.update(value)
            await self.rt.call("config", grpc_mod.ConfigServiceStub, "SetConfig",
                               pb2.SetConfigRequest(key="system.announcement", value=v, comment="system.announce"))
        else:
            async with self.sessions.begin() as session:
                await service.set_announcement(session, value=value)
        return value

    async def announcement_value(self) -> Any:
        config = siblings.proto("config")
        if config is not None:
            pb2, grpc_mod = config
            from google.protobuf import json_format

            try:
                resp = await self.rt.call("config", grpc_mod.ConfigServiceStub, "GetConfig",
                                          pb2.GetConfigRequest(key="system.announcement"))
            except NotFound:
                return None
            return json_format.MessageToDict(resp.entry.value) if resp.entry.HasField("value") else None
        async with self.reads() as session:
            return await service.get_announcement(session)

    async def announcement(self) -> dict[str, Any] | None:
        return service.shown(await self.announcement_value(), now=datetime.now(UTC))

    async def watch_announcement_expiry(self) -> None:
        """Background: when a timed banner's `until` passes, emit `system.announcement_expired`
        once (a Redis NX marker picks one replica), so the SSOT snapshot drops it within a second."""
        while True:
            try:
                value = await self.announcement_value()
                until = str(value.get("until") or "") if isinstance(value, dict) else ""
                expired = bool(until) and service.shown(value, now=datetime.now(UTC)) is None
                if expired and await self.redis.set(f"switchboard:system:announcement-expired:{until}", "1",
                                                    nx=True, ex=7 * 86400):
                    async with self.sessions.begin() as session:
                        await service.announce_expired(session, until=until)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - next round
                log.debug("announcement expiry check failed: %s", exc)
            await asyncio.sleep(EXPIRY_POLL_S)

    # --- health and report ------------------------------------------------------------------------

    async def health(self) -> health.Health:
        return await health.check(self.settings, self.rt.engine, self.redis, self.broker)

    async def report(self) -> Report:
        found, beats, queues, workers, config_version, maint, ann = await asyncio.gather(
            self.health(),
            quietly(heartbeat.replicas(self.redis), {}),
            quietly(self.rt.call("queue", queue_pb2_grpc.QueueServiceStub, "ListQueues",
                                  queue_pb2.ListQueuesRequest()), None),
            quietly(self._worker_counts(), (0, 0, 0)),
            quietly(self._config_version(), 0),
            self.maintenance(),
            quietly(self.announcement(), None),
        )
        status = {c.name: c.status for c in found.components}
        lines = []
        for name in COMPONENTS:
            replicas, version = beats.get(name, (0, ""))
            # gateway and job-worker have no gRPC health: alive when a process beats.
            st = status.get(name, "ok" if replicas >= 1 else "down")
            lines.append(ServiceLine(name, st, version or (heartbeat.version() if st == "ok" else ""), replicas))
        qs = [(q.queue_name, q.paused, int(q.depth)) for q in queues.queues] if queues is not None else []
        generated = iso(datetime.now(UTC))
        rep = Report(generated, lines, qs, workers, config_version, maint, ann, "")
        return replace(rep, text=_text(rep, found.status))

    async def _worker_counts(self) -> tuple[int, int, int]:
        found = await self._workers()
        if found is None:
            return (0, 0, 0)
        words = [w.status for w in found[2]]
        return (words.count("online"), words.count("quiet"), words.count("offline"))

    async def _config_version(self) -> int:
        found = siblings.proto("config")
        if found is None:
            return 0
        pb2, grpc_mod = found
        resp = await self.rt.call("config", grpc_mod.ConfigServiceStub, "Summary", pb2.SummaryRequest())
        return int(resp.config_version)

    # --- database ---------------------------------------------------------------------------------

    async def db_stats(self, *, budget_s: float | None) -> dbadmin.DbStats:
        return await dbadmin.stats(self.settings.database_url, budget_s=budget_s)

    async def maintain(self, *, verb: str, table: str, full: bool = False, budget_s: float | None) -> dbadmin.Processed:
        return await dbadmin.maintain(self.settings.database_url, verb=verb, table=table, full=full, budget_s=budget_s)

    async def migrations(self, *, budget_s: float | None) -> list[dbadmin.Revision]:
        return await dbadmin.migrations(self.settings.database_url, budget_s=budget_s)

    async def cleanup(self, req: Any) -> Any:
        """db.cleanup: finished jobs older than the bound, deleted as job.delete does by the jobs
        service (CleanJobs: one transaction or nothing); then `db.cleaned` on a real run."""
        if req.older_than_s < 1:
            raise InvalidArgument("older_than_s is required: an integer >= 1 (seconds since the job finished)",
                                  reason="BOUND_REQUIRED", field="older_than_s")
        status = FINISHED.get(req.status)
        if status is None:
            raise InvalidArgument("status must be succeeded, failed or cancelled (finished jobs only), or \"\"",
                                  field="status")
        resp = await self.rt.call("jobs", jobs_pb2_grpc.JobsServiceStub, "CleanJobs", jobs_pb2.CleanJobsRequest(
            status=status, queue=req.queue, task=req.task, older_than_s=req.older_than_s,
            job_ids=list(req.job_ids), dry_run=req.dry_run))
        if not req.dry_run:
            async with self.sessions.begin() as session:
                await service.events.emit(session, "db.cleaned", {
                    "matched": int(resp.matched), "affected": int(resp.affected), "status": req.status,
                    "queue": req.queue, "task": req.task, "older_than_s": int(req.older_than_s),
                    "job_ids": list(req.job_ids)})
        return resp

    # --- broker and events ------------------------------------------------------------------------

    async def broker_stats(self) -> tuple[streams.BrokerInfo, list[tuple[str, int]]]:
        info, listed = await asyncio.gather(
            streams.broker_info(self.broker),
            self.rt.call("queue", queue_pb2_grpc.QueueServiceStub, "ListQueues", queue_pb2.ListQueuesRequest()),
        )
        return info, [(q.queue_name, int(q.depth)) for q in listed.queues]

    async def event_stats(self) -> streams.StreamStats:
        return await streams.stream_stats(self.redis)

    async def replay(self, *, since: str, until: str, types: list[str], budget_s: float | None) -> int:
        if not since:
            raise InvalidArgument("since is required (an ISO 8601 time)", field="since")
        start = parse_iso(since, "since")
        end = parse_iso(until, "until") or datetime.now(UTC)
        assert start is not None
        if end < start:
            raise InvalidArgument("until must not be before since", field="until")
        for i, t in enumerate(types):
            if not t:
                raise InvalidArgument("types must be non-empty type prefixes", field=f"types[{i}]")
        rows = await streams.stored_events(self.settings.database_url, since=start, until=end, types=list(types),
                                           budget_s=budget_s)
        replayed = await streams.republish(self.redis, rows)
        async with self.sessions.begin() as session:
            await service.events.emit(session, "events.replayed", {
                "replayed": replayed, "since": iso(start), "until": iso(end), "types": list(types)})
        return replayed


async def quietly(aw: Any, default: Any) -> Any:
    """A report part that may fail (a sibling down): its default instead of failing the report."""
    try:
        return await aw
    except (DomainError, OSError, aioredis.RedisError) as exc:
        log.info("report part unavailable: %s", exc)
        return default


def _text(r: Report, overall: str) -> str:
    lines = [f"Switchboard system report — {r.generated_at}", f"overall health: {overall}", "", "services:"]
    for s in r.services:
        lines.append(f"  {s.name:<11} {s.status:<8} replicas={s.replicas} version={s.version or '-'}")
    lines.append("queues:")
    for name, paused, depth in r.queues:
        lines.append(f"  {name:<20} depth={depth}{' PAUSED' if paused else ''}")
    if not r.queues:
        lines.append("  (none known)")
    online, quiet, offline = r.workers
    lines.append(f"workers: online={online} quiet={quiet} offline={offline}")
    lines.append(f"config version: {r.config_version}")
    m = r.maintenance
    lines.append(f"maintenance: {'ON' if m.enabled else 'off'}"
                 + (f" since {m.since} by {m.actor}: {m.reason}" if m.enabled else ""))
    a = r.announcement
    lines.append(f"announcement: {a['level']}: {a['message']}" + (f" (until {a['until']})" if a.get('until') else "")
                 if a else "announcement: none")
    return "\n".join(lines) + "\n"
