"""Building and running a gRPC service: `build_server` (health + reflection + interceptors on a
real port, port 0 for tests) and `serve` (start, then drain on SIGTERM: health NOT_SERVING, finish
in-flight calls within `SWITCHBOARD_DRAIN_S`, exit 0)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from services.common import telemetry
from services.common.interceptors import DomainErrorInterceptor, TraceContextInterceptor
from services.common.startup import settle_heap

log = logging.getLogger(__name__)

# (service full name, function adding the servicer to a server)
Registration = tuple[str, Callable[[grpc.aio.Server], None]]


@dataclass
class Built:
    server: grpc.aio.Server
    port: int
    health: health_aio.HealthServicer
    service_names: list[str] = field(default_factory=list)


def build_server(registrations: Iterable[Registration], *, host: str, port: int) -> Built:
    server = grpc.aio.server(
        # OpenTelemetry's server span first (when tracing is on), then our call context and errors.
        interceptors=[*telemetry.server_interceptors(), TraceContextInterceptor(), DomainErrorInterceptor()],
        options=[("grpc.so_reuseport", 0)],
    )
    names = []
    for name, add in registrations:
        add(server)
        names.append(name)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise SystemExit(f"cannot bind {host}:{port}")
    return Built(server=server, port=bound, health=health, service_names=names)


async def set_serving(built: Built, serving: bool) -> None:
    status = (
        health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    )
    await built.health.set("", status)
    for name in built.service_names:
        await built.health.set(name, status)


async def serve(
    built: Built,
    *,
    name: str,
    drain_s: float,
    background: Iterable[Callable[[], Awaitable[None]]] = (),
    on_stop: Iterable[Callable[[], Awaitable[None]]] = (),
) -> None:
    """Run until SIGTERM/SIGINT, then drain. `background` coroutines run alongside (outbox relay)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await built.server.start()
    tasks = [asyncio.ensure_future(fn()) for fn in background]
    settle_heap()
    await set_serving(built, True)
    log.info("%s listening", name, extra={"port": built.port})
    print(f"{name} listening on port {built.port}", flush=True)
    await stop.wait()
    log.info("%s draining", name)
    await set_serving(built, False)
    await built.server.stop(drain_s)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for fn in on_stop:
        await fn()
    log.info("%s stopped", name)
