"""Orchestration of the logs service: ingestion from `switchboard:logs`, the queries, purges, and
the two settings it writes through the config service (`log.level.<component>`,
`logs.retention_days`: `logs.set_level` / `logs.set_retention` are `config.set` of those keys, so
the config service validates, versions and announces them with `config.changed`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf import json_format, struct_pb2

from admin.config.v1 import config_pb2, config_pb2_grpc
from services.common.errors import DomainError
from services.common.kit import Runtime
from services.common.logship import DROPPED_KEY, STREAM
from services.logs import service

log = logging.getLogger("services.logs")

GROUP = "logs-ingest"
BATCH = 2000
CLAIM_IDLE_MS = 30_000
RETENTION_ENV = "SWITCHBOARD_LOG_RETENTION_DAYS"
RETENTION_KEY = "logs.retention_days"


def default_retention_days() -> int:
    raw = os.environ.get(RETENTION_ENV, "")
    try:
        return max(service.RETENTION_MIN, min(service.RETENTION_MAX, int(raw))) if raw else 7
    except ValueError:
        return 7


class LogsFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.ingested = 0

    async def _read(self, fn: Callable[[Any], Awaitable[Any]]) -> Any:
        async with self.rt.read_engine.connect() as conn:
            return await fn(conn)

    # --- queries ------------------------------------------------------------------------------

    async def search(self, flt: service.Filter, *, page_size: int, page_token: str):
        return await self._read(lambda c: service.search(c, flt=flt, page_size=page_size, page_token=page_token))

    async def tail(self, flt: service.Filter, *, since: str, limit: int):
        return await self._read(lambda c: service.tail(c, flt=flt, since=since, limit=limit))

    async def job(self, *, job_id: str, page_size: int, page_token: str):
        return await self._read(lambda c: service.job(c, job_id=job_id, page_size=page_size, page_token=page_token))

    async def stats(self, *, since: str, until: str, component: str) -> tuple[service.Stats, int, int]:
        st = await self._read(lambda c: service.stats(c, since=since, until=until, component=component))
        dropped = sum(int(v) for v in (await self.rt.redis.hgetall(DROPPED_KEY)).values())
        return st, dropped, await self.retention_days()

    async def export(self, flt: service.Filter, *, fmt: str, limit: int):
        return await self._read(lambda c: service.export(c, flt=flt, fmt=fmt, limit=limit))

    async def section(self):
        return await self._read(lambda c: service.recent_problems(c))

    # --- changes -------------------------------------------------------------------------------

    async def purge(self, *, older_than_s: int, until: str, component: str, trace_id: str, job_id: str,
                    dry_run: bool) -> tuple[int, int]:
        conds = service.purge_conditions(older_than_s=older_than_s, until=until, component=component,
                                         trace_id=trace_id, job_id=job_id)
        async with self.rt.engine.begin() as conn:
            return await service.purge(conn, conds=conds, dry_run=dry_run)

    async def apply_retention(self) -> tuple[int, int]:
        days = await self.retention_days()
        async with self.rt.engine.begin() as conn:
            return await service.purge_expired(conn, days=days), days

    async def set_level(self, *, component: str, level: str) -> dict[str, Any]:
        service.check_component(component, required=True)
        level = service.check_level(level, allowed=service.SETTABLE_LEVELS, required=True)
        return await self._config_set(f"log.level.{component}", level, f"logs.set_level {component}")

    async def set_retention(self, *, days: int) -> dict[str, Any]:
        if not service.RETENTION_MIN <= days <= service.RETENTION_MAX:
            raise service.InvalidArgument(
                f"days must be {service.RETENTION_MIN}..{service.RETENTION_MAX}", field="days"
            )
        return await self._config_set(RETENTION_KEY, days, "logs.set_retention")

    async def retention_days(self) -> int:
        value = await self._config_get(RETENTION_KEY)
        return int(value) if isinstance(value, (int, float)) else default_retention_days()

    # --- the config service owns both settings ----------------------------------------------------

    async def _config_set(self, key: str, value: Any, comment: str) -> dict[str, Any]:
        req = config_pb2.SetConfigRequest(key=key, comment=comment)
        req.value.CopyFrom(json_format.ParseDict(value, struct_pb2.Value()))
        resp = await self.rt.call("config", config_pb2_grpc.ConfigServiceStub, "SetConfig", req)
        e = resp.entry
        return {"key": e.key, "value": json_format.MessageToDict(e.value), "version": e.version,
                "updated_at": e.updated_at, "updated_by": e.updated_by, "comment": e.comment}

    async def _config_get(self, key: str) -> Any:
        """The key's current value; None when it has none or the config service does not answer
        (the environment's default then stands)."""
        try:
            resp = await self.rt.call("config", config_pb2_grpc.ConfigServiceStub, "GetConfig",
                                      config_pb2.GetConfigRequest(key=key))
        except DomainError:
            return None
        return json_format.MessageToDict(resp.entry.value) if resp.entry.HasField("value") else None

    # --- ingestion ------------------------------------------------------------------------------

    async def ingest_forever(self) -> None:
        """Batches from the consumer group `logs-ingest` into `logs.records`, XACK after commit.
        Entries a dead replica left pending are claimed after CLAIM_IDLE_MS."""
        r = self.rt.redis
        consumer = f"{socket.gethostname()}-{os.getpid()}"
        failing = False
        last_claim = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if failing or not last_claim:
                    await self._ensure_group()
                resp = await r.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=BATCH, block=500)
                entries = list(resp[0][1]) if resp else []
                if loop.time() - last_claim > 5:
                    last_claim = loop.time()
                    claimed = await r.xautoclaim(STREAM, GROUP, consumer, min_idle_time=CLAIM_IDLE_MS,
                                                 start_id="0-0", count=BATCH)
                    entries += [e for e in claimed[1] if e and e[1] is not None]
                if entries:
                    await self.ingest_entries(entries)
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis or PostgreSQL away: retry, say it once
                if not failing:
                    log.warning("log ingestion paused: %s", exc)
                failing = True
                await asyncio.sleep(1)

    async def ingest_entries(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> int:
        rows = [row for eid, fields in entries if (row := service.row_of(eid, fields)) is not None]
        async with self.rt.engine.begin() as conn:
            n = await service.ingest(conn, rows)
        await self.rt.redis.xack(STREAM, GROUP, *[eid for eid, _ in entries])
        self.ingested += n
        return n

    async def _ensure_group(self) -> None:
        try:
            await self.rt.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except Exception as exc:  # noqa: BLE001
            if "BUSYGROUP" not in str(exc):
                raise


def struct_of(d: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    try:
        s.update(d)
    except (TypeError, ValueError):
        s.update({"raw": str(d)})
    return s
