"""Request context that travels with a call: trace id and caller identity.

The gateway sends `traceparent` (W3C) and `x-actor` / `x-roles` as gRPC metadata; services read
them through `TraceContextInterceptor` into context variables, so outbox events, log records and
Celery task headers carry the same trace id and actor without threading them through every call.
"""

from __future__ import annotations

import contextvars
import re
import secrets
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
ZERO_TRACE = "0" * 32


@dataclass(frozen=True, slots=True)
class CallContext:
    trace_id: str
    actor: str = "system"
    roles: tuple[str, ...] = ()


_current: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar("call_context", default=None)
# The job a job worker is running (log records carry it: docs/logs.md); "" elsewhere.
_job_id: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="")


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def parse_traceparent_ids(value: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) of a valid W3C traceparent (version 00), else None."""
    if not value:
        return None
    m = _TRACEPARENT.match(value.strip().lower())
    if not m or m.group(1) == ZERO_TRACE or m.group(2) == "0" * 16:
        return None
    return m.group(1), m.group(2)


def parse_traceparent(value: str | None) -> str | None:
    """Trace id of a valid W3C traceparent (version 00), else None."""
    ids = parse_traceparent_ids(value)
    return ids[0] if ids else None


def valid_trace_id(value: str | None) -> str | None:
    """A bare 32-hex-digit trace id (X-Trace-Id), not all zero, else None."""
    if value and _TRACE_ID.match(value) and value != ZERO_TRACE:
        return value
    return None


def traceparent(trace_id: str) -> str:
    return f"00-{trace_id}-{new_span_id()}-01"


def current() -> CallContext:
    """The caller's context, or a fresh system context (background work, relays, managers)."""
    ctx = _current.get()
    if ctx is None:
        ctx = CallContext(trace_id=new_trace_id())
    return ctx


def set_current(ctx: CallContext) -> contextvars.Token:
    return _current.set(ctx)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def current_job_id() -> str:
    return _job_id.get()


def set_job_id(job_id: str) -> contextvars.Token:
    return _job_id.set(job_id)


def reset_job_id(token: contextvars.Token) -> None:
    _job_id.reset(token)


def from_metadata(metadata: dict[str, str]) -> CallContext:
    trace_id = (
        parse_traceparent(metadata.get("traceparent"))
        or valid_trace_id(metadata.get("x-trace-id"))
        or new_trace_id()
    )
    roles = tuple(r for r in metadata.get("x-roles", "").split(",") if r)
    return CallContext(trace_id=trace_id, actor=metadata.get("x-actor") or "system", roles=roles)


def to_metadata(ctx: CallContext) -> tuple[tuple[str, str], ...]:
    """Outgoing gRPC metadata for a call made on behalf of `ctx` (gateway → service, service → service).

    With tracing on, OpenTelemetry's client interceptor writes `traceparent` (its client span's),
    so it is not written twice; with tracing off, ours carries the trace id."""
    from services.common import telemetry

    identity = (("x-actor", ctx.actor), ("x-roles", ",".join(ctx.roles)))
    if telemetry.enabled():
        return identity
    return (("traceparent", traceparent(ctx.trace_id)), *identity)
