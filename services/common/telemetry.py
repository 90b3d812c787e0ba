"""OpenTelemetry for every component, configured once here by the standard variables (SPEC §10).

`setup(component)` runs in `startup.boot` (and in each prefork child of the job worker). Spans are
recorded only when there is somewhere to send them:

- `OTEL_EXPORTER_OTLP_ENDPOINT` set → OTLP (`OTEL_EXPORTER_OTLP_PROTOCOL` `grpc` | `http/protobuf`);
- `OTEL_TRACES_EXPORTER` naming `console` → JSON lines on stderr, or one file per process in
  `SWITCHBOARD_OTEL_SPAN_DIR` when set (what the cross-process trace test reads);
- otherwise, or with `OTEL_SDK_DISABLED=true`, nothing is installed: the API's no-op tracer costs
  next to nothing and the trace id still travels by hand (`context.to_metadata`).

`service.name` is the component name (`gateway`, `jobs`, …, `job-worker`) unless `OTEL_SERVICE_NAME`
says otherwise; `OTEL_TRACES_SAMPLER` is read by the SDK itself. The trace id is the one of
`X-Trace-Id`: the gateway parents its server span on it (`remote_parent`), the gRPC
instrumentation carries it to services and the Celery instrumentation into task headers.
Health and reflection are excluded from the gRPC server instrumentation: its aio interceptor
breaks streaming handlers (shared/NOTES.md, opentelemetry-python-contrib#3066).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

_enabled = False
_celery_done = False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _exporters(env: dict[str, str]) -> list[Any]:
    out: list[Any] = []
    names = {n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()}
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if "otlp" in names or (endpoint and not names):
        if env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") == "http/protobuf":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # type: ignore[assignment]
        out.append(OTLPSpanExporter())
    if "console" in names:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        span_dir = env.get("SWITCHBOARD_OTEL_SPAN_DIR")
        stream = open(os.path.join(span_dir, f"spans-{os.getpid()}.jsonl"), "a") if span_dir else sys.stderr  # noqa: SIM115 - lives as long as the process
        out.append(ConsoleSpanExporter(out=stream, formatter=lambda span: span.to_json(indent=None) + "\n"))
    return out


def setup(component: str, env: dict[str, str] | None = None) -> bool:
    """Install the tracer provider for this process; True when spans are recorded and exported."""
    e = dict(os.environ) if env is None else env
    if _truthy(e.get("OTEL_SDK_DISABLED")):
        return False
    exporters = _exporters(e)
    if not exporters:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": e.get("OTEL_SERVICE_NAME") or component}))
    for exporter in exporters:
        # A file is written as each span ends (nothing lost when a test stops the process); the
        # network exporter batches in a thread.
        simple = type(exporter).__name__ == "ConsoleSpanExporter"
        provider.add_span_processor(SimpleSpanProcessor(exporter) if simple else BatchSpanProcessor(exporter))
    install(provider)
    return True


def install(provider: Any) -> None:
    """Use `provider` for this process (tests pass one with an in-memory exporter)."""
    global _enabled
    trace.set_tracer_provider(provider)
    _enabled = True


def enabled() -> bool:
    return _enabled


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def _not_streaming() -> Any:
    from opentelemetry.instrumentation.grpc import filters

    return filters.negate(filters.any_of(filters.health_check(), filters.service_prefix("grpc.reflection")))


def server_interceptors() -> list[Any]:
    if not _enabled:
        return []
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    return [aio_server_interceptor(filter_=_not_streaming())]


def client_interceptors() -> list[Any]:
    if not _enabled:
        return []
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors(filter_=_not_streaming()))


def instrument_celery() -> None:
    """Carry the trace into task headers on publish and continue it in the worker (once per process)."""
    global _celery_done
    if not _enabled or _celery_done:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    CeleryInstrumentor().instrument()
    _celery_done = True


def remote_parent(trace_id: str, parent_span_id: str | None = None) -> otel_context.Context:
    """A context whose (remote) parent carries `trace_id`, so spans started in it join that trace:
    the gateway's spans keep the trace id of `X-Trace-Id` / `traceparent`."""
    span_id = int(parent_span_id, 16) if parent_span_id else int(secrets.token_hex(8), 16)
    parent = SpanContext(int(trace_id, 16), span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return trace.set_span_in_context(NonRecordingSpan(parent))


@contextlib.contextmanager
def joined(trace_id: str) -> Iterator[None]:
    """Run the block in trace `trace_id`: a no-op when the current span already belongs to it (or
    tracing is off); otherwise (background work, a call context without a span) spans started in
    the block become children of a remote parent of that trace."""
    if not _enabled or current_trace_id() == trace_id:
        yield
        return
    token = otel_context.attach(remote_parent(trace_id))
    try:
        yield
    finally:
        otel_context.detach(token)


def current_trace_id() -> str | None:
    """The trace id of the current span, when one is active."""
    sc = trace.get_current_span().get_span_context()
    return format(sc.trace_id, "032x") if sc.is_valid else None
