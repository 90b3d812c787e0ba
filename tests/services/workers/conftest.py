"""Fixtures of the workers service tests: the session's real services plus the workers service, a
gateway, and two real prefork job workers with distinct hostnames (module scope, so a module
that shuts workers down or freezes them starts its own)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from services.common.settings import Settings
from tests.conftest import Component, start_worker
from tests.services.workers.workers_helpers import registry_row, wait_for


@dataclass
class Fleet:
    """Two job workers started alike but for their hostnames."""

    procs: dict[str, Component]

    @property
    def hosts(self) -> list[str]:
        return sorted(self.procs)


def start_named(settings: Settings, logs_dir, prefix: str, concurrency: int = 2) -> tuple[str, Component]:
    host = f"{prefix}-{secrets.token_hex(3)}@test"
    comp = start_worker(settings, logs_dir, concurrency=concurrency, SWITCHBOARD_WORKER_HOSTNAME=host)
    return host, comp


@pytest.fixture(scope="session")
def workers_service(services) -> Component:
    return services.up("jobs", "queue", "workers")


@pytest.fixture(scope="module")
def fleet(settings: Settings, logs_dir, workers_service) -> Iterator[Fleet]:
    started: dict[str, Component] = {}
    try:
        for prefix in ("wa", "wb"):
            host, comp = start_named(settings, logs_dir, prefix)
            started[host] = comp
        for host in started:
            wait_for(lambda h=host: (registry_row(settings, h) or {}).get("pool_size") == 2, timeout=20,
                     what=f"{host} online in the registry with its pool size")
        yield Fleet(started)
    finally:
        for comp in started.values():
            comp.stop(timeout=30)

