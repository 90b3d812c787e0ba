"""A gateway that can be given any input safely: its Redis is a private database and every service
address it knows is a closed port, so an action that passes every gateway step executes nowhere
(503 UNAVAILABLE / circuit-open) and the session's services and Redis are never touched."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis as redis_sync

from services.common.settings import PORTS, Settings
from tests.conftest import REDIS_BASE, _lease_redis_db, free_port, start_gateway


@contextmanager
def isolated_gateway(settings: Settings, logs_dir: Path, **extra_env: str) -> Iterator[str]:
    n, owner = _lease_redis_db()
    url = f"{REDIS_BASE}/{n}"
    redis_sync.Redis.from_url(url).flushdb()
    closed = {f"{svc.upper()}_ADDR": f"127.0.0.1:{free_port()}" for svc in PORTS}
    comp, gw_url = start_gateway(settings, logs_dir, REDIS_URL=url, **closed, **extra_env)
    try:
        yield gw_url
    finally:
        comp.stop()
        redis_sync.Redis.from_url(url).flushdb()
        lock = redis_sync.Redis.from_url(f"{REDIS_BASE}/0")
        if lock.get(f"switchboard:test-lease:{n}") == owner.encode():
            lock.delete(f"switchboard:test-lease:{n}")
