"""Fixtures shared by the whole suite: a fresh PostgreSQL database (migrated) and a private Redis
database per test session, and helpers that start real components as subprocesses.

Nothing here mocks PostgreSQL, Redis, Celery or gRPC. Each session creates `sb_test_<hex>` and drops
it at the end; Redis databases 1-15 are leased through a lock in db 0 so parallel runs (a developer
and CI, or several developers) never share one.
"""

from __future__ import annotations

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
import pytest
import redis as redis_sync
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.db import drop_database
from services.common.migrate import migrate_all
from services.common.settings import PORTS, Settings, load

ROOT = Path(__file__).resolve().parents[1]
# The domain services that exist (services/<name>/servicer.py declares SERVICE): derived, not listed.
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/servicer.py"))
PG_BASE = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lease_redis_db() -> tuple[int, str]:
    lock = redis_sync.Redis.from_url(f"{REDIS_BASE}/0")
    owner = f"{os.getpid()}-{secrets.token_hex(4)}"
    for _ in range(600):
        for n in range(1, 16):
            if lock.set(f"switchboard:test-lease:{n}", owner, nx=True, ex=3 * 3600):
                return n, owner
        time.sleep(1)
    raise RuntimeError("no free Redis database (1-15) for tests")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    base = PG_BASE.rsplit("/", 1)[0]
    url = f"{base}/sb_test_{secrets.token_hex(5)}"
    migrate_all(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    n, owner = _lease_redis_db()
    url = f"{REDIS_BASE}/{n}"
    client = redis_sync.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    lock = redis_sync.Redis.from_url(f"{REDIS_BASE}/0")
    if lock.get(f"switchboard:test-lease:{n}") == owner.encode():
        lock.delete(f"switchboard:test-lease:{n}")


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    """Settings for this session: its own database, Redis db and free ports for every service."""
    ports = {svc: free_port() for svc in PORTS}
    return load(env=settings_env(database_url, redis_url, ports, free_port()))


def settings_env(database_url: str, redis_url: str, ports: dict[str, int], gateway_port: int) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "GATEWAY_PORT": str(gateway_port),
        "SWITCHBOARD_ENV": "dev",
        "SWITCHBOARD_DRAIN_S": "3",
        # Lost broker messages are sent again within seconds (services/jobs/reconcile.py), so the
        # whole suite runs beside a reconciler far busier than the default 5 s one.
        "SWITCHBOARD_JOBS_RECONCILE_S": "1",
    }
    for svc, (var, _) in PORTS.items():
        env[var] = str(ports[svc])
        env[f"{svc.upper()}_ADDR"] = f"127.0.0.1:{ports[svc]}"
    return env


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The process environment that makes a subprocess see `settings`."""
    env = dict(os.environ)
    env.update(
        settings_env(
            settings.database_url, settings.redis_url, dict(settings.ports), settings.gateway_port
        )
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class Component:
    """A real component running as a subprocess (`python -m <module>`)."""

    module: str
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    extra_args: list[str] = field(default_factory=list)

    def start(self) -> Component:
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.extra_args],
            env=self.env,
            cwd=ROOT,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self, timeout: float = 15) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_grpc_serving(addr: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before serving {addr}")
        try:
            with grpc.insecure_channel(addr) as ch:
                resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if resp.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        except grpc.RpcError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{addr} not serving after {timeout}s: {last}")


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("component-logs")


def start_service(name: str, settings: Settings, logs_dir: Path, **extra_env: str) -> Component:
    """Start `python -m services.<name>` and wait until its health check says SERVING."""
    comp = Component(
        f"services.{name}", env_for(settings, **extra_env), logs_dir / f"{name}-{secrets.token_hex(3)}.log"
    ).start()
    try:
        wait_grpc_serving(settings.addr(name), proc=comp.proc)
    except Exception:
        comp.kill()
        raise RuntimeError(f"{name} did not start:\n{comp.log()[-4000:]}") from None
    return comp


def start_worker(settings: Settings, logs_dir: Path, concurrency: int = 2, **extra_env: str) -> Component:
    """Start a real prefork Celery job worker and wait until it answers a ping."""
    from services.common.celery import make_celery

    comp = Component(
        "services.jobs.worker",
        env_for(settings, SWITCHBOARD_WORKER_CONCURRENCY=str(concurrency), **extra_env),
        logs_dir / f"worker-{secrets.token_hex(3)}.log",
    ).start()
    app = make_celery(settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if comp.proc.poll() is not None:
            raise RuntimeError(f"worker exited:\n{comp.log()[-4000:]}")
        if app.control.ping(timeout=0.5):
            comp.celery = app  # type: ignore[attr-defined]
            return comp
    comp.kill()
    raise RuntimeError(f"worker did not answer ping:\n{comp.log()[-4000:]}")


def start_gateway(settings: Settings, logs_dir: Path, **extra_env: str) -> tuple[Component, str]:
    """Start `python -m gateway` on a free port; returns it and its URL once /healthz answers."""
    import httpx

    port = free_port()
    comp = Component("gateway", env_for(settings, GATEWAY_PORT=str(port), **extra_env),
                     logs_dir / f"gateway-{port}.log").start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if comp.proc.poll() is not None:
            raise RuntimeError(f"gateway exited {comp.proc.returncode}:\n{comp.log()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                GATEWAYS.append(url)
                return comp, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    comp.kill()
    raise RuntimeError(f"gateway did not start:\n{comp.log()[-4000:]}")


# Every gateway the tests started (start_gateway), for Services.up to wait on.
GATEWAYS: list[str] = []


def wait_gateways_reach(names: list[str], timeout: float = 10.0) -> None:
    """Until every running gateway's /readyz says `names` are serving: a gateway that called a
    service before it started has its channel in reconnect back-off for a moment."""
    import httpx

    for url in list(GATEWAYS):
        deadline = time.monotonic() + timeout
        while True:
            try:
                seen = httpx.get(f"{url}/readyz", timeout=2).json().get("services", {})
            except (httpx.HTTPError, ValueError):
                GATEWAYS.remove(url)  # stopped with its fixture
                break
            if all(seen.get(n) == "serving" for n in names) or time.monotonic() > deadline:
                break
            time.sleep(0.1)


class Services:
    """The session's domain services, started on first use and stopped at the end: a test of a
    new service asks `services.up("workers")` and needs no fixture of its own."""

    def __init__(self, settings: Settings, logs_dir: Path) -> None:
        self.settings, self.logs_dir = settings, logs_dir
        self.running: dict[str, Component] = {}

    def up(self, *names: str) -> Component:
        started = []
        for name in names:
            if name not in self.running:
                self.running[name] = start_service(name, self.settings, self.logs_dir)
                started.append(name)
        if started:
            wait_gateways_reach(started)
        return self.running[names[-1]]

    def restart(self, name: str) -> Component:
        """Start `name` again after a test stopped or killed it, and wait until every gateway
        reaches the new process (its channel may be in reconnect back-off)."""
        old = self.running.pop(name, None)
        if old is not None:
            old.stop()
        return self.up(name)

    def stop_all(self) -> None:
        for comp in reversed(list(self.running.values())):
            comp.stop()
        self.running.clear()


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis_sync.Redis]:
    """A client on the session's Redis database."""
    client = redis_sync.Redis.from_url(settings.redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def services(settings: Settings, logs_dir: Path) -> Iterator[Services]:
    svc = Services(settings, logs_dir)
    yield svc
    svc.stop_all()


@pytest.fixture(scope="session")
def jobs_service(services: Services) -> Component:
    return services.up("jobs")


@pytest.fixture(scope="session")
def queue_service(services: Services) -> Component:
    return services.up("jobs", "queue")


@pytest.fixture(scope="session")
def job_worker(settings: Settings, logs_dir: Path, queue_service: Component) -> Iterator[Component]:
    comp = start_worker(settings, logs_dir)
    yield comp
    comp.stop(timeout=30)


@pytest.fixture(scope="session")
def grpc_channel_factory():
    """Open sync channels to services (closed at session end)."""
    opened: list[grpc.Channel] = []

    def make(addr: str) -> grpc.Channel:
        ch = grpc.insecure_channel(addr)
        opened.append(ch)
        return ch

    yield make
    for ch in opened:
        ch.close()


@pytest.fixture(scope="session")
def gateway(settings: Settings, logs_dir: Path) -> Iterator[tuple[Component, str]]:
    """The session's gateway (`python -m gateway`), shared by every test directory."""
    comp, url = start_gateway(settings, logs_dir)
    yield comp, url
    comp.stop()


@pytest.fixture(scope="session")
def api(gateway: tuple[Component, str], settings: Settings) -> Iterator[Api]:  # noqa: F821 - tests.helpers.Api
    import httpx

    from tests.helpers import Api

    with httpx.Client(timeout=30) as http:
        yield Api(gateway[1], settings, http)
