"""GatewayAdmin (proto/admin/gateway/v1/gateway.proto): the actions the gateway owns — audit,
breakers, rate limits, SSOT cache — served in-process, behind the same pipeline as every other
action. Thin adapters: request message -> the module that owns the state -> response message."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson
from google.protobuf import struct_pb2

from admin.gateway.v1 import gateway_pb2 as pb
from gateway import auditlog, readpath
from gateway.breakers import Status
from gateway.pipeline.call import Call
from gateway.pipeline.ratelimit import WINDOW_S, Window, all_windows
from services.common.errors import InvalidArgument, NotFound
from services.common.paging import decode_page_token, encode_page_token, page_size
from services.common.times import parse_iso

MAX_PAGE = 500
MAX_EXPORT = 10_000


def _record(d: dict[str, Any]) -> pb.AuditRecord:
    rec = pb.AuditRecord(**{k: v for k, v in d.items() if k != "payload"})
    payload = d["payload"]
    if isinstance(payload, dict):
        rec.payload.update(payload)
    return rec


def _breaker(s: Status) -> pb.Breaker:
    return pb.Breaker(service=s.service, state=s.state, fail_counter=s.fail_counter, fail_max=s.fail_max,
                      reset_timeout_s=s.reset_timeout_s, retry_after_s=s.retry_after_s)


class GatewayAdmin:
    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def rt(self) -> Any:
        return self.app.state.runtime

    def handlers(self) -> dict[str, Any]:
        """One handler per RPC of the proto's GatewayAdmin service, named as the RPC: a missing one
        stops the gateway at start-up instead of answering UNIMPLEMENTED later."""
        methods = [m.name for m in pb.DESCRIPTOR.services_by_name["GatewayAdmin"].methods]
        missing = [name for name in methods if not callable(getattr(self, name, None))]
        if missing:
            raise RuntimeError(f"GatewayAdmin has no handler for {', '.join(missing)}")
        return {name: getattr(self, name) for name in methods}

    async def SearchAudit(self, req: pb.SearchAuditRequest, call: Call) -> pb.SearchAuditResponse:
        size = page_size(req.page_size, maximum=MAX_PAGE)
        before = decode_page_token(req.page_token) if req.page_token else None
        rows = await auditlog.search(
            self.rt.engine, actor=req.actor, action=req.action, outcome=req.outcome, trace_id=req.trace_id,
            since=parse_iso(req.since, "since"), until=parse_iso(req.until, "until"), before_seq=before, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        return pb.SearchAuditResponse(records=[_record(r) for r in rows],
                                      next_page_token=encode_page_token(rows[-1]["seq"]) if more else "")

    async def VerifyAudit(self, req: pb.VerifyAuditRequest, call: Call) -> pb.VerifyAuditResponse:
        # Records still queued in memory would show as "missing" to nobody, but flush them so the
        # answer covers every request audited before this one.
        await self.rt.audit.flush()
        ok, checked, broken = await auditlog.verify(self.rt.engine)
        return pb.VerifyAuditResponse(ok=ok, checked=checked, first_broken_seq=broken)

    async def ExportAudit(self, req: pb.ExportAuditRequest, call: Call) -> pb.ExportAuditResponse:
        fmt = req.format or "json"
        if fmt not in ("json", "csv"):
            raise InvalidArgument("format must be json or csv", field="format")
        if req.limit < 0 or req.limit > MAX_EXPORT:
            raise InvalidArgument(f"limit must be 0..{MAX_EXPORT}", field="limit")
        rows = await auditlog.search(
            self.rt.engine, actor=req.actor, action=req.action, outcome=req.outcome,
            since=parse_iso(req.since, "since"), until=parse_iso(req.until, "until"), limit=req.limit or 1000)
        # The standard library's json, not orjson: jsonb hands back integers of any size (1e20 is
        # stored as 100000000000000000000) and orjson refuses those beyond 64 bits.
        if fmt == "json":
            content = json.dumps(rows, ensure_ascii=False)
        else:
            buf = io.StringIO()
            cols = [c.name for c in auditlog.AT.columns]
            w = csv.DictWriter(buf, fieldnames=cols)
            w.writeheader()
            for r in rows:
                w.writerow({**r, "payload": json.dumps(r["payload"], ensure_ascii=False), "roles": ",".join(r["roles"])})
            content = buf.getvalue()
        return pb.ExportAuditResponse(format=fmt, content=content, count=len(rows))

    def _service(self, name: str) -> str:
        if not name:
            raise InvalidArgument("service is required", field="service")
        if name not in self.rt.breakers.services:
            raise NotFound(f"no breaker for service {name!r}", field="service")
        return name

    async def ListCircuits(self, req: pb.ListCircuitsRequest, call: Call) -> pb.ListCircuitsResponse:
        return pb.ListCircuitsResponse(
            breakers=[_breaker(await self.rt.breakers.status(s)) for s in self.rt.breakers.services])

    async def ResetCircuit(self, req: pb.ResetCircuitRequest, call: Call) -> pb.ResetCircuitResponse:
        return pb.ResetCircuitResponse(breaker=_breaker(await self.rt.breakers.reset(self._service(req.service))))

    def _windows(self) -> tuple[Window, ...]:
        return all_windows(self.rt.catalogue.values(), self.rt.settings)

    async def RateLimitStatus(self, req: pb.RateLimitStatusRequest, call: Call) -> pb.RateLimitStatusResponse:
        assert call.principal is not None
        user = req.user or call.principal.sub
        states = await self.rt.limiter.status(user, self._windows())
        return pb.RateLimitStatusResponse(user=user, windows=[
            pb.RateLimitWindow(name=s.name, limit=s.limit, window_s=WINDOW_S, used=s.used, remaining=s.remaining,
                               reset_s=round(s.reset_s, 3)) for s in states])

    async def ResetRateLimit(self, req: pb.ResetRateLimitRequest, call: Call) -> pb.ResetRateLimitResponse:
        if not req.user:
            raise InvalidArgument("user is required", field="user")
        cleared = await self.rt.limiter.reset(req.user, [w.key_suffix for w in self._windows()])
        return pb.ResetRateLimitResponse(user=req.user, windows_cleared=cleared)

    async def CacheStats(self, req: pb.CacheStatsRequest, call: Call) -> pb.CacheStatsResponse:
        stats = dict(readpath.cache_stats(self.app))
        known = {f.name for f in pb.CacheStatsResponse.DESCRIPTOR.fields} - {"extra"}
        resp = pb.CacheStatsResponse(**{k: stats.pop(k) for k in list(stats) if k in known})
        extra = struct_pb2.Struct()
        extra.update(orjson.loads(orjson.dumps(stats, default=str)))
        resp.extra.CopyFrom(extra)
        return resp

    async def FlushCache(self, req: pb.FlushCacheRequest, call: Call) -> pb.FlushCacheResponse:
        return pb.FlushCacheResponse(flushed=bool(await readpath.cache_flush(self.app)))
