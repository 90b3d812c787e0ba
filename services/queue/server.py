"""Wiring of the queue service: engine, Redis, Celery control and the jobs client into the flows,
the servicer onto a gRPC server, and the outbox relay. `build(settings)` is what `__main__` runs
and what a test can start on port 0."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from admin.jobs.v1 import jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import clients, db
from services.common.outbox import OutboxRelay
from services.common.server import Built, build_server
from services.common.settings import Settings
from services.jobs.celery_app import make_celery
from services.queue.broker import ConsumerControl
from services.queue.flows import QueueFlows
from services.queue.models import outbox
from services.queue.servicer import QueueServicer

SERVICE_NAME = queue_pb2.DESCRIPTOR.services_by_name["QueueService"].full_name


@dataclass
class QueueServer:
    built: Built
    flows: QueueFlows
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build(settings: Settings, *, port: int | None = None) -> QueueServer:
    engine = db.async_engine(settings.database_url)
    redis = aioredis.Redis.from_url(settings.redis_url)
    jobs_addr = settings.addr("jobs")
    flows = QueueFlows(
        sessions=db.sessionmaker(engine),
        reads=db.read_sessionmaker(engine),
        redis=redis,
        consumers=ConsumerControl(make_celery(settings)),
        # Resolved per call: the shared channel belongs to the running event loop.
        jobs=lambda: jobs_pb2_grpc.JobsServiceStub(clients.channel(jobs_addr)),
        rpc_timeout_s=settings.rpc_timeout_ms / 1000,
    )
    servicer = QueueServicer(flows)
    built = build_server(
        [(SERVICE_NAME, lambda s: queue_pb2_grpc.add_QueueServiceServicer_to_server(servicer, s))],
        host=settings.bind_host,
        port=settings.port("queue") if port is None else port,
    )
    background: list[Callable[[], Awaitable[None]]] = []
    if settings.outbox_relay:
        relay = OutboxRelay(engine, redis, outbox, database_url=settings.database_url)
        background.append(relay.run)

    async def close() -> None:
        await clients.close_all()
        await redis.aclose()
        await engine.dispose()

    return QueueServer(built=built, flows=flows, background=background, on_stop=[close])
