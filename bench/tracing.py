"""Tracing on against tracing off (issue 14): the stack's gateway (no exporter: the OpenTelemetry API
is a no-op) beside a second gateway on the same services that records every span and exports it
over OTLP/HTTP to a sink in this process (a collector that answers 200 and counts what it got).
Requests alternate between the two, one at a time, so drift on a shared machine hits both alike;
the difference of the p50s is what tracing adds to a request in the gateway.
"""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

from admin.jobs.v1 import jobs_pb2_grpc
from admin.queue.v1 import queue_pb2_grpc
from bench.rawhttp import Connection
from bench.scenarios import _prepare_jobs, _token, paused_bench_queue
from bench.stack import Stack, _wait_http, free_port
from bench.stats import Row


class _Sink(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


async def tracing_overhead(stack: Stack, *, n: int) -> dict:
    sink = ThreadingHTTPServer(("127.0.0.1", free_port()), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    port = free_port()
    stack.spawn("gateway-traced", "gateway", GATEWAY_PORT=str(port), OTEL_TRACES_EXPORTER="otlp",
                OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{sink.server_address[1]}",
                OTEL_BSP_SCHEDULE_DELAY="200")
    traced_url = f"http://127.0.0.1:{port}"
    _wait_http(traced_url)
    async with grpc.aio.insecure_channel(stack.settings.addr("queue")) as qch:
        await paused_bench_queue(queue_pb2_grpc.QueueServiceStub(qch))
    async with grpc.aio.insecure_channel(stack.settings.addr("jobs")) as ch:
        job_id = (await _prepare_jobs(jobs_pb2_grpc.JobsServiceStub(ch), 1))[0]
    token = _token(stack)
    body = b'{"action": "job.get", "payload": {"job_id": "%s"}}' % job_id.encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conns = {"off": await Connection(stack.gateway_urls[0]).open(), "on": await Connection(traced_url).open()}
    lat: dict[str, list[float]] = {"off": [], "on": []}
    errors = {"off": 0, "on": 0}
    try:
        for _ in range(20):  # warm both
            for c in conns.values():
                await c.request(c.build("POST", "/api/admin/action", headers, body))
        t0 = time.perf_counter()
        for i in range(n):
            for which in (("off", "on") if i % 2 == 0 else ("on", "off")):
                c = conns[which]
                start = time.perf_counter()
                status, _, _ = await c.request(c.build("POST", "/api/admin/action", headers, body))
                lat[which].append((time.perf_counter() - start) * 1000)
                errors[which] += status != 200
        wall = time.perf_counter() - t0
    finally:
        for c in conns.values():
            await c.close()
    await asyncio.sleep(0.5)  # the batch processor's last export
    sink.shutdown()
    rows = [Row.of("job.get, tracing off", "gateway", 1, lat["off"], errors["off"], wall / 2),
            Row.of("job.get, tracing on (OTLP)", "gateway", 1, lat["on"], errors["on"], wall / 2)]
    return {
        "rows": [r.as_dict() for r in rows],
        "added_p50_ms": round(rows[1].p50_ms - rows[0].p50_ms, 3),
        "added_p99_ms": round(rows[1].p99_ms - rows[0].p99_ms, 3),
        "exports_received": _Sink.received,
    }
