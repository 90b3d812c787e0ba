"""Step 1b — the gateway's server span (SPEC §4, §10): one span per action, in the trace of the
request (`X-Trace-Id` / `traceparent`, resolved by step 1), so the gRPC client span of dispatch and
everything the service does below it share that trace id. Only installed when tracing is on
(services/common/telemetry.py); otherwise the trace id travels in metadata by hand, at no cost here.

`step_span(name)` times one costly piece inside a step (a rate-limit script, an idempotency claim,
an audit write) as a child span; it is a no-op when tracing is off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind

from gateway.pipeline.call import Call, Handler, Reply
from services.common import telemetry
from services.common.context import parse_traceparent_ids

_tracer = telemetry.tracer("switchboard.gateway")


def wrap(next_: Handler) -> Handler:
    if not telemetry.enabled():
        return next_

    async def traced(call: Call) -> Reply:
        parent_span = parse_traceparent_ids(call.request.headers.get("traceparent"))
        parent_id = parent_span[1] if parent_span and parent_span[0] == call.trace_id else None
        token = otel_context.attach(telemetry.remote_parent(call.trace_id, parent_id))
        try:
            name = call.action.name if call.action else "unknown"
            with _tracer.start_as_current_span(f"action {name}", kind=SpanKind.SERVER) as span:
                span.set_attribute("switchboard.action", name)
                reply = await next_(call)
                span.set_attribute("http.response.status_code", reply.status)
                if call.principal is not None:
                    span.set_attribute("enduser.id", call.principal.sub)
                return reply
        finally:
            otel_context.detach(token)

    return traced


@contextlib.contextmanager
def step_span(name: str) -> Iterator[None]:
    if not telemetry.enabled():
        yield
        return
    with _tracer.start_as_current_span(f"pipeline.{name}"):
        yield


__all__ = ["wrap", "step_span"]
