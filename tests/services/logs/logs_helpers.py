"""Helpers of the logs tests: real producers (services.common.logship) writing to the session's
Redis, and a private redis-server for the tests of a producer whose Redis is away."""

from __future__ import annotations

import logging
import secrets
import shutil
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

import redis as redis_sync

from services.common import context, jsonlog, logship
from tests.conftest import free_port


def trace() -> str:
    return secrets.token_hex(16)


def ship(redis_url: str, component: str, records: list[dict[str, Any]], *, trace_id: str = "",
         job_id: str = "") -> None:
    """Write records as `component` would: through the logging handler and a real shipper."""
    shipper = logship.LogShipper(redis_url, component)
    handler = jsonlog.ShipHandler(shipper, component)
    logger = logging.getLogger(f"tests.logs.{secrets.token_hex(3)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    t1 = context.set_current(context.CallContext(trace_id=trace_id)) if trace_id else None
    t2 = context.set_job_id(job_id)
    try:
        for r in records:
            logger.log(logging.getLevelName(r.get("level", "info").upper()), r["message"], extra=r.get("extra"))
    finally:
        context.reset_job_id(t2)
        if t1 is not None:
            context.reset(t1)
    assert shipper.flush(5), "the shipper did not drain"
    shipper.close()


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class PrivateRedis:
    """A redis-server of the test's own on a fixed port (started later than the producer)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis_sync.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis_sync.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
