"""Start a private Switchboard stack for benchmarking: a fresh database, a leased Redis db, the
jobs and queue services and N gateway replicas as real subprocesses on free ports. Torn down on exit."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import redis as redis_sync
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.db import drop_database
from services.common.migrate import migrate_all
from services.common.settings import PORTS, Settings, load

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)  # component name -> pid (CPU accounting)
    gateway_urls: list[str] = field(default_factory=list)
    logdir: Path = ROOT / ".run" / "bench"

    def spawn(self, name: str, module: str, **extra: str) -> subprocess.Popen:
        self.logdir.mkdir(parents=True, exist_ok=True)
        log = open(self.logdir / f"{name}.log", "wb")
        p = subprocess.Popen(
            [sys.executable, "-m", module], env={**self.env, **extra}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(p)
        self.pids[name] = p.pid
        return p


def _wait_grpc(addr: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with grpc.insecure_channel(addr) as ch:
                r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if r.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        except grpc.RpcError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{addr} not serving")


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not healthy")


def _lease_redis() -> tuple[int, redis_sync.Redis, str]:
    lock = redis_sync.Redis.from_url(f"{REDIS_BASE}/0")
    owner = f"bench-{os.getpid()}"
    for _ in range(120):
        for n in range(15, 0, -1):
            if lock.set(f"switchboard:test-lease:{n}", owner, nx=True, ex=3600):
                return n, lock, owner
        time.sleep(1)
    raise RuntimeError("no free Redis database")


@contextlib.contextmanager
def running_stack(*, gateways: int = 1, with_worker: bool = False) -> Iterator[Stack]:
    db_url = f"{PG_BASE.rsplit('/', 1)[0]}/sb_bench_{secrets.token_hex(4)}"
    n, lock, owner = _lease_redis()
    redis_url = f"{REDIS_BASE}/{n}"
    redis_sync.Redis.from_url(redis_url).flushdb()
    migrate_all(db_url)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
        SWITCHBOARD_LOG_LEVEL="WARNING",
        # The limiter still runs on every request; the bench only lifts the quotas out of the way.
        SWITCHBOARD_RATE_LIMIT_PER_MIN="100000000",
        SWITCHBOARD_RATE_LIMIT_HIGH_RISK_PER_MIN="100000000",
    )
    for svc, (var, _) in PORTS.items():
        port = free_port()
        env[var] = str(port)
        env[f"{svc.upper()}_ADDR"] = f"127.0.0.1:{port}"
    stack = Stack(settings=load(env), env=env)
    try:
        for svc in ("jobs", "queue"):
            stack.spawn(svc, f"services.{svc}")
        for svc in ("jobs", "queue"):
            _wait_grpc(stack.settings.addr(svc))
        if with_worker:
            stack.spawn("worker", "services.jobs.worker")
        for i in range(gateways):
            port = free_port()
            stack.spawn(f"gateway-{i}", "gateway", GATEWAY_PORT=str(port))
            stack.gateway_urls.append(f"http://127.0.0.1:{port}")
        for url in stack.gateway_urls:
            _wait_http(url)
        yield stack
    finally:
        for p in stack.procs:
            if p.poll() is None:
                p.terminate()
        for p in stack.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        redis_sync.Redis.from_url(redis_url).flushdb()
        if lock.get(f"switchboard:test-lease:{n}") == owner.encode():
            lock.delete(f"switchboard:test-lease:{n}")
        drop_database(db_url)
