"""Every domain service as a process (`python -m services.<name>`, parametrised over the services
that exist): one stderr line and a non-zero exit when PostgreSQL or Redis is unreachable; health
and reflection served; SIGTERM drains (health NOT_SERVING) and exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.common.kit import declaration
from services.common.settings import Settings
from tests.conftest import ROOT, SERVICES, env_for, free_port, start_service

pytestmark = pytest.mark.parametrize("name", SERVICES)


def run_main(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"services.{name}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_unreachable_database_exits_non_zero_with_one_line(name: str, settings: Settings) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/switchboard"
    done = run_main(name, env_for(settings, DATABASE_URL=dead))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and name in lines[0]


def test_unreachable_redis_exits_non_zero_with_one_line(name: str, settings: Settings) -> None:
    done = run_main(name, env_for(settings, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Redis" in lines[0]


def test_serves_health_reflection_then_drains_on_sigterm(name: str, settings: Settings, logs_dir) -> None:
    # An instance on its own port; the session's services keep serving the other tests.
    port = free_port()
    own = settings.with_(
        ports={**settings.ports, name: port}, addrs={**settings.addrs, name: f"127.0.0.1:{port}"}
    )
    comp = start_service(name, own, logs_dir)
    full_name = declaration(name).grpc_service.full_name
    with grpc.insecure_channel(own.addr(name)) as ch:
        health = health_pb2_grpc.HealthStub(ch)
        assert health.Check(health_pb2.HealthCheckRequest(service=full_name), timeout=5).status == (
            health_pb2.HealthCheckResponse.SERVING
        )
        [listed] = reflection_pb2_grpc.ServerReflectionStub(ch).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        assert full_name in {s.name for s in listed.list_services_response.service}
        watch = health.Watch(health_pb2.HealthCheckRequest(service=full_name), timeout=20)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        comp.proc.send_signal(signal.SIGTERM)
        # Drain flips health first, then the process exits 0.
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert comp.proc.wait(timeout=15) == 0
    assert f"{name} draining" in comp.log()
