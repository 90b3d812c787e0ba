"""Wiring of the jobs service: engine, Celery app, servicer and outbox relay on one gRPC server.

`build(settings)` returns everything `run` needs, so tests could start it in-process on port 0;
`run(settings)` serves until SIGTERM and drains (services.common.server.serve).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common import clients
from services.common.db import async_engine, read_engine, sessionmaker
from services.common.outbox import OutboxRelay
from services.common.server import Built, build_server, serve
from services.common.settings import Settings
from services.jobs.celery_app import make_celery
from services.jobs.flows import JobFlows
from services.jobs.models import outbox
from services.jobs.servicer import JobsServicer

SERVICE_NAME = jobs_pb2.DESCRIPTOR.services_by_name["JobsService"].full_name


@dataclass
class JobsServer:
    built: Built
    engine: AsyncEngine
    redis: aioredis.Redis
    relay: OutboxRelay | None
    flows: JobFlows
    background: list = field(default_factory=list)

    async def close(self) -> None:
        await self.flows.revoker.close()
        await clients.close_all()
        await self.redis.aclose()
        await self.engine.dispose()


def build(settings: Settings, *, port: int | None = None) -> JobsServer:
    engine = async_engine(settings.database_url)
    sessions = sessionmaker(engine)
    flows = JobFlows(settings=settings, sessions=sessions, celery=make_celery(settings))
    servicer = JobsServicer(flows, read_engine(engine))
    built = build_server(
        [(SERVICE_NAME, lambda s: jobs_pb2_grpc.add_JobsServiceServicer_to_server(servicer, s))],
        host=settings.bind_host,
        port=settings.port("jobs") if port is None else port,
    )
    redis = aioredis.Redis.from_url(settings.redis_url)
    relay = None
    if settings.outbox_relay:
        relay = OutboxRelay(engine, redis, outbox, database_url=settings.database_url)
    return JobsServer(built=built, engine=engine, redis=redis, relay=relay, flows=flows)


async def run(settings: Settings) -> None:
    srv = build(settings)
    await serve(
        srv.built,
        name="jobs",
        drain_s=settings.drain_s,
        background=[srv.relay.run] if srv.relay else [],
        on_stop=[srv.close],
    )
