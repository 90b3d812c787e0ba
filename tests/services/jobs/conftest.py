"""Fixtures for the jobs service tests: sync gRPC stubs, a Redis client on the session's Redis db,
a direct connection to the session database, and a paused queue no worker consumes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
import redis as redis_sync

from admin.jobs.v1 import jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common.db import libpq_url
from services.common.settings import Settings


@pytest.fixture(scope="session")
def jobs(settings: Settings, jobs_service, grpc_channel_factory) -> jobs_pb2_grpc.JobsServiceStub:
    return jobs_pb2_grpc.JobsServiceStub(grpc_channel_factory(settings.addr("jobs")))


@pytest.fixture(scope="session")
def queues(settings: Settings, queue_service, grpc_channel_factory) -> queue_pb2_grpc.QueueServiceStub:
    return queue_pb2_grpc.QueueServiceStub(grpc_channel_factory(settings.addr("queue")))


@pytest.fixture(scope="session")
def redis(settings: Settings) -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url(settings.redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        yield conn


@pytest.fixture
def paused_queue(queues: queue_pb2_grpc.QueueServiceStub) -> str:
    """A fresh queue that no worker consumes (created, then paused), so its jobs stay pending."""
    name = f"jobs-test-{secrets.token_hex(4)}"
    queues.CreateQueue(queue_pb2.CreateQueueRequest(queue_name=name, description="jobs tests"), timeout=10)
    queues.PauseQueue(queue_pb2.PauseQueueRequest(queue_name=name), timeout=10)
    return name
