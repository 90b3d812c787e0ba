"""Fixtures for the read-path tests: real gateways (`python -m gateway`) as subprocesses in front of
the session's real jobs and queue services, tokens, and small HTTP / WebSocket helpers."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import redis as redis_sync

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from gateway.auth import issue_token
from gateway.readpath.invalidator import GROUP
from services.common.events import STREAM
from services.common.settings import Settings
from tests.conftest import SERVICES, Component, Services
from tests.conftest import start_gateway as start_shared_gateway

# Long TTL: anything that shows up before it expires was an invalidation, not an expiry.
SSOT_TTL_S = "120"
CLAIM_IDLE_MS = "1500"
WS_QUEUE_MAX = "100"
HEARTBEAT_S = "1"


@dataclass
class Gateway:
    comp: Component
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/admin/events"


def start_gateway(settings: Settings, logs_dir: Path, **extra_env: str) -> Gateway:
    comp, url = start_shared_gateway(
        settings, logs_dir, SWITCHBOARD_SSOT_TTL_S=SSOT_TTL_S, SWITCHBOARD_EVENTS_CLAIM_IDLE_MS=CLAIM_IDLE_MS,
        SWITCHBOARD_WS_QUEUE_MAX=WS_QUEUE_MAX, SWITCHBOARD_WS_HEARTBEAT_S=HEARTBEAT_S, **extra_env,
    )
    return Gateway(comp, int(url.rsplit(":", 1)[1]))


@pytest.fixture(scope="module")
def gateway(settings: Settings, logs_dir: Path, services: Services) -> Iterator[Gateway]:
    services.up("jobs", "queue", *SERVICES)  # every section's owner, so a snapshot is whole
    gw = start_gateway(settings, logs_dir)
    yield gw
    gw.comp.stop()


@pytest.fixture(scope="module")
def gateway2(settings: Settings, logs_dir: Path, gateway: Gateway) -> Iterator[Gateway]:
    gw = start_gateway(settings, logs_dir)
    yield gw
    gw.comp.stop()


@pytest.fixture(scope="module")
def viewer(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, 'vera', ['viewer'])}"}


@pytest.fixture
def rds(settings: Settings) -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url(settings.redis_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def queues(settings: Settings, queue_service: Component) -> Iterator[queue_pb2_grpc.QueueServiceStub]:
    with grpc.insecure_channel(settings.addr("queue")) as ch:
        yield queue_pb2_grpc.QueueServiceStub(ch)


@pytest.fixture
def my_queue(queues: queue_pb2_grpc.QueueServiceStub) -> str:
    """A queue of this test alone, so pausing it disturbs nobody."""
    name = f"rp-{secrets.token_hex(4)}"
    queues.CreateQueue(queue_pb2.CreateQueueRequest(queue_name=name, description="readpath test"), timeout=10)
    return name


def call_meta(trace_id: str, actor: str = "olga") -> tuple[tuple[str, str], ...]:
    """What the gateway sends a service: trace and caller identity."""
    return (("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-01"), ("x-actor", actor), ("x-roles", "operator"))


def wait_quiet(rds: redis_sync.Redis, quiet_s: float = 0.5) -> None:
    """Until no event has arrived for `quiet_s` and every one is handled: an event landing during
    a rebuild rightly makes the gateway discard that rebuild, which a fan-out count would see."""
    last, since = None, time.monotonic()
    while True:
        newest = rds.xrevrange(STREAM, count=1)
        pending = rds.xpending(STREAM, GROUP)["pending"]
        if newest != last or pending:
            last, since = newest, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.05)
