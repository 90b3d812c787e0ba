"""The service kit: one declaration per domain service and one way to build, run and stop it.

A service is a proto, a servicer, a domain module and a migration. Its `servicer.py` declares

    SERVICE = Service(name="queue", grpc_service=queue_pb2.DESCRIPTOR.services_by_name["QueueService"],
                      add_servicer=queue_pb2_grpc.add_QueueServiceServicer_to_server,
                      make_servicer=lambda rt: QueueServicer(QueueFlows(rt)), outbox=outbox)

and its `__main__.py` is `main("queue")`. The kit owns everything else, written once: settings and
the backend check (`startup.boot`), the database engine and sessions, Redis, the Celery app, the
outbox relay, gRPC health and reflection, SIGTERM drain and closing every resource in order.
`build(SERVICE, settings, port=0)` is what a test starts in-process.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, TypeVar, cast

import grpc
import redis.asyncio as aioredis
from celery import Celery
from google.protobuf.descriptor import ServiceDescriptor
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from admin.v1 import action_pb2, action_pb2_grpc
from services.common import clients, db, heartbeat, telemetry
from services.common.errors import NotFound
from services.common.live import Live
from services.common.outbox import OutboxRelay
from services.common.server import Built, build_server, serve
from services.common.settings import Settings

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]
T = TypeVar("T")


class Runtime:
    """What a running service shares with its flows: settings, database, Redis, Celery, siblings.

    Built lazily where it costs (the Celery app), closed once in reverse order of creation."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        self.engine: AsyncEngine = db.async_engine(settings.database_url)
        self.sessions: async_sessionmaker[AsyncSession] = db.sessionmaker(self.engine)
        # Queries: autocommit connections, no transaction round trips (db.read_engine).
        self.reads: async_sessionmaker[AsyncSession] = db.read_sessionmaker(self.engine)
        self.redis: aioredis.Redis = aioredis.Redis.from_url(settings.redis_url)
        # Registered config keys applied live (services/common/live.py): `rpc.timeout_ms`,
        # `log.level.<name>`; `self.live.value(key)` for any other registered key.
        self.live = Live(settings, self.redis, component=name)
        self.background: list[Hook] = []
        self._shared: dict[Callable[[Runtime], Any], Any] = {}
        self._closers: list[Hook] = [self.engine.dispose, self.redis.aclose, clients.close_all]

    def shared(self, make: Callable[[Runtime], T]) -> T:
        """One `make(self)` per runtime: what the servicer and the background hooks must share
        (e.g. `rt.shared(SystemFlows)`, the workers' registry)."""
        if make not in self._shared:
            self._shared[make] = make(self)
        return cast(T, self._shared[make])

    @cached_property
    def read_engine(self) -> AsyncEngine:
        return db.read_engine(self.engine)

    @cached_property
    def celery(self) -> Celery:
        from services.common.celery import make_celery

        telemetry.instrument_celery()  # publishes carry the trace into task headers
        return make_celery(self.settings)

    @property
    def rpc_timeout_s(self) -> float:
        return self.live.settings.rpc_timeout_ms / 1000

    def stub(self, sibling: str, stub_cls: type) -> Any:
        """A stub of a sibling service on the process's shared channel (resolve it per call: the
        channel belongs to the running event loop)."""
        return stub_cls(clients.channel(self.settings.addr(sibling)))

    async def call(self, sibling: str, stub_cls: type, method: str, request: Any) -> Any:
        """One RPC to a sibling within the RPC timeout; its failure is a DomainError (clients.call)."""
        rpc = getattr(self.stub(sibling, stub_cls), method)
        return await clients.call(rpc, request, sibling=sibling, timeout_s=self.rpc_timeout_s)

    def on_close(self, hook: Hook) -> None:
        """Run `hook` at shutdown, before the resources created earlier are closed."""
        self._closers.append(hook)

    async def close(self) -> None:
        for hook in reversed(self._closers):
            try:
                await hook()
            except Exception:  # noqa: BLE001 - closing the rest matters more than one failure
                log.exception("%s: error while closing", self.name)
        self._closers.clear()


@dataclass(frozen=True)
class Service:
    """The declaration of a domain service: everything the kit cannot know by itself."""

    name: str  # settings key (port, addr), schema, component name in logs
    grpc_service: ServiceDescriptor
    add_servicer: Callable[[Any, grpc.aio.Server], None]
    make_servicer: Callable[[Runtime], Any]
    outbox: Table | None = None  # relayed to the event stream when given
    # Further gRPC services served by the same process (e.g. managers beside workers): each
    # (descriptor, add_servicer, make_servicer), built on the same runtime.
    extra: tuple[tuple[ServiceDescriptor, Callable[[Any, grpc.aio.Server], None], Callable[[Runtime], Any]], ...] = ()
    # Long-running loops besides the relay (event receivers, managers): started after the
    # server, cancelled at drain.
    background: tuple[Callable[[Runtime], Hook], ...] = field(default=())


@dataclass
class Running:
    service: Service
    runtime: Runtime
    built: Built

    @property
    def port(self) -> int:
        return self.built.port

    @property
    def background(self) -> list[Hook]:
        return self.runtime.background


def snapshot_sections(grpc_service: ServiceDescriptor) -> list[str]:
    """The SSOT sections a service declares with `option (admin.v1.snapshot)`."""
    opts = grpc_service.GetOptions()
    return list(opts.Extensions[action_pb2.snapshot].sections) if opts.HasExtension(action_pb2.snapshot) else []


class SnapshotServicer(action_pb2_grpc.SnapshotServiceServicer):
    """`GetSection` for the gateway's SSOT fan-out: `section_<name>()` of the domain servicer."""

    def __init__(self, by_section: dict[str, Any]) -> None:
        self.by_name = {name: getattr(impl, f"section_{name}") for name, impl in by_section.items()}

    async def GetSection(self, request: action_pb2.GetSectionRequest, context: Any) -> action_pb2.GetSectionResponse:
        fetch = self.by_name.get(request.section)
        if fetch is None:
            raise NotFound(f"this service serves no section {request.section!r}", field="section")
        resp = action_pb2.GetSectionResponse()
        resp.section.Pack(await fetch())
        return resp


def build(service: Service, settings: Settings, *, port: int | None = None) -> Running:
    rt = Runtime(service.name, settings)
    servicer = service.make_servicer(rt)
    parts = [(service.grpc_service, service.add_servicer, servicer)]
    parts += [(desc, add, make(rt)) for desc, add, make in service.extra]
    registrations: list[tuple[str, Callable[[grpc.aio.Server], None]]] = []
    by_section: dict[str, Any] = {}
    for desc, add, impl in parts:
        registrations.append((desc.full_name, partial(_register, add, impl)))
        for name in snapshot_sections(desc):
            if not callable(getattr(impl, f"section_{name}", None)):  # fail at start-up, not at the first snapshot
                raise RuntimeError(f"{desc.full_name} declares section {name!r} without section_{name}()")
            by_section[name] = impl
    if by_section:
        snap = SnapshotServicer(by_section)
        registrations.append((
            action_pb2.DESCRIPTOR.services_by_name["SnapshotService"].full_name,
            lambda s: action_pb2_grpc.add_SnapshotServiceServicer_to_server(snap, s),
        ))
    built = build_server(
        registrations,
        host=settings.bind_host,
        port=settings.port(service.name) if port is None else port,
    )
    if service.outbox is not None and settings.outbox_relay:
        relay = OutboxRelay(rt.redis, service.outbox, database_url=settings.database_url)
        rt.background.append(relay.run)
    rt.background.append(rt.live.run)
    rt.background.append(lambda: heartbeat.beat_forever(rt.redis, service.name))  # system.report's replicas
    rt.background.extend(make(rt) for make in service.background)
    return Running(service=service, runtime=rt, built=built)


def _register(add: Callable[[Any, grpc.aio.Server], None], impl: Any, server: grpc.aio.Server) -> None:
    add(impl, server)


async def run(service: Service, settings: Settings) -> None:
    running = build(service, settings)
    await serve(
        running.built,
        name=service.name,
        drain_s=settings.drain_s,
        background=running.background,
        on_stop=[running.runtime.close],
    )


def declaration(name: str) -> Service:
    """`services.<name>.servicer.SERVICE`: the servicer module declares its service."""
    return importlib.import_module(f"services.{name}.servicer").SERVICE


def main(name: str) -> None:
    """`python -m services.<name>`: check the backends, then serve until SIGTERM and drain."""
    from services.common.startup import boot

    settings = boot(name)
    service = declaration(name)  # after the check: a dead backend costs no imports
    asyncio.run(run(service, settings))
