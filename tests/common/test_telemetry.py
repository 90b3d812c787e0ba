"""OpenTelemetry end to end (SPEC §10): one `job.submit` is one trace — the gateway's server span, its
gRPC client span, the jobs service's server span, the Celery publish and the worker's task span —
with the trace id of `X-Trace-Id`, across real processes. Each process writes its spans with the
SDK's console exporter to a file of its own (SWITCHBOARD_OTEL_SPAN_DIR); the test reads them back."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_sync

from gateway.auth import issue_token
from services.common import telemetry
from services.common.settings import Settings
from tests.conftest import REDIS_BASE, _lease_redis_db, free_port, start_gateway, start_service, start_worker
from tests.helpers import wait_for

TRACING = {"OTEL_TRACES_EXPORTER": "console"}


@pytest.fixture(scope="module")
def traced_stack(settings: Settings, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Settings]]:
    """Gateway, jobs, queue and a job worker of their own, tracing into one folder. A Redis database of
    their own, so the job runs on this worker and not the session's."""
    spans = tmp_path_factory.mktemp("spans")
    n, _owner = _lease_redis_db()
    redis_url = f"{REDIS_BASE}/{n}"
    redis_sync.Redis.from_url(redis_url).flushdb()
    ports = {**settings.ports, "jobs": free_port(), "queue": free_port()}
    own = settings.with_(redis_url=redis_url, ports=ports,
                         addrs={**settings.addrs, **{s: f"127.0.0.1:{ports[s]}" for s in ("jobs", "queue")}})
    env = {**TRACING, "SWITCHBOARD_OTEL_SPAN_DIR": str(spans)}
    started = [start_service("jobs", own, logs_dir, **env), start_service("queue", own, logs_dir, **env)]
    started.append(start_worker(own, logs_dir, concurrency=1, **env))
    gw, url = start_gateway(own, logs_dir, **env)
    started.append(gw)
    try:
        yield url, spans, own
    finally:
        for comp in reversed(started):
            comp.stop()
        redis_sync.Redis.from_url(redis_url).flushdb()
        redis_sync.Redis.from_url(f"{REDIS_BASE}/0").delete(f"switchboard:test-lease:{n}")


def read_spans(folder: Path, trace_id: str) -> list[dict[str, Any]]:
    out = []
    for f in folder.glob("spans-*.jsonl"):
        for line in f.read_text().splitlines():
            if line.strip():
                span = json.loads(line)
                if span["context"]["trace_id"] == f"0x{trace_id}":
                    out.append(span)
    return out


def service_of(span: dict[str, Any]) -> str:
    return span["resource"]["attributes"]["service.name"]


def test_one_submit_is_one_trace_from_http_to_the_task(traced_stack) -> None:
    url, folder, own = traced_stack
    trace_id = secrets.token_hex(16)
    token = issue_token(own, "tracy", ["operator"])
    headers = {"Authorization": f"Bearer {token}", "X-Trace-Id": trace_id, "Idempotency-Key": secrets.token_hex(8)}
    r = httpx.post(f"{url}/api/admin/action", headers=headers, timeout=30,
                   json={"action": "job.submit", "payload": {"task": "echo", "kwargs": {"message": "traced"}}})
    assert r.status_code == 200, r.text
    assert r.headers["x-trace-id"] == trace_id and r.json()["trace_id"] == trace_id

    def whole_trace() -> list[dict[str, Any]] | None:
        spans = read_spans(folder, trace_id)
        return spans if any(service_of(s) == "job-worker" for s in spans) else None

    spans = wait_for(whole_trace, timeout=30, what="the worker's span in the trace")
    by_id = {s["context"]["span_id"]: s for s in spans}

    def one(service: str, kind: str, name_part: str) -> dict[str, Any]:
        found = [s for s in spans if service_of(s) == service and s["kind"] == f"SpanKind.{kind}" and name_part in s["name"]]
        assert found, f"no {kind} span of {service} named *{name_part}* in {[(service_of(s), s['name']) for s in spans]}"
        return found[0]

    server = one("gateway", "SERVER", "job.submit")
    client = one("gateway", "CLIENT", "SubmitJob")
    jobs_server = one("jobs", "SERVER", "SubmitJob")
    publish = one("jobs", "PRODUCER", "switchboard.run_job")
    task = one("job-worker", "CONSUMER", "switchboard.run_job")

    # The chain, parent by parent: HTTP → gRPC client → jobs → Celery publish → the task.
    assert client["parent_id"] == server["context"]["span_id"]
    assert jobs_server["parent_id"] == client["context"]["span_id"]
    ancestor = by_id.get(publish["parent_id"])
    while ancestor is not None and ancestor is not jobs_server:
        ancestor = by_id.get(ancestor["parent_id"])
    assert ancestor is jobs_server, "the publish span is not under the jobs service's server span"
    assert task["parent_id"] == publish["context"]["span_id"]
    # The pipeline steps that cost time have their own spans under the request's.
    for step in ("pipeline.ratelimit", "pipeline.idempotency", "pipeline.audit"):
        span = one("gateway", "INTERNAL", step)
        up = by_id.get(span["parent_id"])
        while up is not None and up is not server:
            up = by_id.get(up["parent_id"])
        assert up is server, f"{step} is not under the gateway's server span"


def test_nothing_is_installed_without_an_exporter() -> None:
    assert telemetry.setup("gateway", env={}) is False
    assert telemetry.setup("gateway", env={"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}) is False
    assert not telemetry.enabled()
