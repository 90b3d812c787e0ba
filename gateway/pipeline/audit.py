"""Step 3 — audit: wraps authentication and everything after it, so exactly one record is written
per request that got past step 1, whatever its outcome (401s included, with no actor — as
Kubernetes audits failed authentication). The reply leaves only once its record is committed
(group commit, gateway/auditlog.py); a record not committed in time turns the reply into a 503
(the record itself stays queued and tells what happened). CRITICAL actions fail closed: no
writable log, no execution."""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from gateway import metrics
from gateway.auditlog import AuditLog, AuditUnavailable, Entry
from gateway.pipeline.call import Call, Handler, Reply, problem
from gateway.pipeline.tracing import step_span
from gateway.scrub import scrub

log = logging.getLogger(__name__)
access = logging.getLogger("gateway.access")  # one record per audited request (docs/logs.md)

_BY_STATUS = {400: "invalid", 401: "unauthenticated", 403: "denied", 429: "rate_limited",
              503: "unavailable", 504: "unavailable"}
_IDEMPOTENCY_CODES = ("IDEMPOTENCY_IN_FLIGHT", "IDEMPOTENCY_KEY_REUSED")


def outcome(reply: Reply) -> str:
    if 200 <= reply.status < 300:
        return "replayed" if reply.replayed else "succeeded"
    if reply.status in (409, 422) and reply.code in _IDEMPOTENCY_CODES:
        return "conflict"
    return _BY_STATUS.get(reply.status, "failed")


def entry(call: Call, reply: Reply) -> Entry:
    assert call.action is not None
    p = call.principal
    client = call.request.client
    return Entry(
        trace_id=call.trace_id, action=call.action.name, risk=call.action.risk, payload=scrub(call.payload),
        outcome=outcome(reply), status=reply.status, error_code=reply.code,
        duration_ms=(time.perf_counter() - call.started) * 1000,
        actor=p.sub if p else "", roles=list(p.roles) if p else [],
        ip=client.host if client else "", user_agent=call.request.headers.get("user-agent", "")[:512],
    )


def wrap(next_: Handler, audit: AuditLog) -> Handler:
    async def audited(call: Call) -> Reply:
        assert call.action is not None
        critical = call.action.risk == "critical"
        if critical and not await audit.writable():
            reply = problem(call, 503, "the audit log cannot be written; critical actions are refused",
                            code="UNAVAILABLE", type_="/problems/audit-unavailable")
        else:
            try:
                reply = await next_(call)
            except RedisError as exc:
                log.warning("redis unavailable", extra={"error": str(exc)[:200]})
                reply = problem(call, 503, "a backing system of the gateway is unavailable",
                                code="UNAVAILABLE", type_="/problems/backend-unavailable")
            except Exception:
                log.exception("pipeline failed", extra={"action": call.action.name})
                reply = problem(call, 500, "the gateway failed to handle the request",
                                code="INTERNAL", type_="/problems/internal")
        rec = entry(call, reply)
        metrics.OUTCOMES.labels(action=call.action.name, outcome=rec.outcome).inc()
        access.info("%s %d", call.action.name, reply.status, extra={
            "trace_id": call.trace_id, "action": call.action.name, "status": reply.status,
            "outcome": rec.outcome, "duration_ms": round(rec.duration_ms, 3)})
        try:
            with step_span("audit"):  # the wait for the group commit, often the largest step
                await audit.record(rec)
        except AuditUnavailable:
            log.error("audit record not committed in time; answering 503",
                      extra={"action": call.action.name, "status": reply.status})
            # The client cannot be told the outcome without its record. A retry with the same
            # Idempotency-Key gets the stored answer once the log is back.
            reply = problem(call, 503, "the audit log cannot be written; the outcome of this request "
                            "is recorded once it can", code="UNAVAILABLE",
                            type_="/problems/audit-unavailable", headers={"Retry-After": "5"})
        return reply

    return audited
