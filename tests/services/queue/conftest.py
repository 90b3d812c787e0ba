"""Fixtures for the queue service tests: gRPC stubs onto the session's real services, unique queue
names, caller metadata with a known trace id, and a Redis client on the session's database."""

from __future__ import annotations

import secrets

import pytest

from admin.jobs.v1 import jobs_pb2_grpc
from admin.queue.v1 import queue_pb2_grpc
from services.common.settings import Settings


@pytest.fixture
def queues(settings: Settings, queue_service, grpc_channel_factory) -> queue_pb2_grpc.QueueServiceStub:
    return queue_pb2_grpc.QueueServiceStub(grpc_channel_factory(settings.addr("queue")))


@pytest.fixture
def jobs(settings: Settings, jobs_service, grpc_channel_factory) -> jobs_pb2_grpc.JobsServiceStub:
    return jobs_pb2_grpc.JobsServiceStub(grpc_channel_factory(settings.addr("jobs")))


@pytest.fixture
def qname() -> str:
    """A queue name no other test uses (tests share one database and Redis per session)."""
    return f"qt-{secrets.token_hex(4)}"


@pytest.fixture
def caller() -> tuple[str, tuple[tuple[str, str], ...]]:
    """(trace id, metadata) of a caller as the gateway would send it."""
    trace_id = secrets.token_hex(16)
    return trace_id, (("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-01"), ("x-actor", "tester"))

