"""system.health and system.report through the gateway: real probes of the session's services,
PostgreSQL, Redis, the broker, and the gateway's breaker state read from Redis."""

from __future__ import annotations

import time

import grpc

from admin.system.v1 import system_pb2, system_pb2_grpc
from tests.conftest import free_port, start_service
from tests.services.system.conftest import SHIPPED
from tests.services.system.system_helpers import act, audited

SIX = ("jobs", "queue", "workers", "system", "config", "logs")


def test_health_rolls_up_every_component(sys_api, redis_client) -> None:
    started = time.monotonic()
    body, trace = act(sys_api, "system.health")
    assert time.monotonic() - started < 5
    audited(sys_api, trace, "system.health", "succeeded")
    comps = {c["name"]: c for c in body["data"]["components"]}
    assert set(comps) == {*SIX, "postgresql", "redis", "broker", *(f"breaker.{s}" for s in SIX)}
    for name in ("postgresql", "redis", "broker", *SHIPPED):
        assert comps[name] == {"name": name, "status": "ok", "detail": ""}, comps[name]
    assert body["data"]["status"] == "ok"


def test_a_service_out_of_reach_is_reported_down_never_an_error(system_up, settings, logs_dir) -> None:
    # A second system service whose logs address points at a closed port.
    port = free_port()
    probe = settings.with_(ports={**settings.ports, "system": port},
                           addrs={**settings.addrs, "system": f"127.0.0.1:{port}"})
    comp = start_service("system", probe, logs_dir, LOGS_ADDR=f"127.0.0.1:{free_port()}")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            reply = system_pb2_grpc.SystemServiceStub(ch).GetHealth(system_pb2.GetHealthRequest(), timeout=10)
        comps = {c.name: c for c in reply.components}
        assert comps["logs"].status == "down" and comps["logs"].detail, comps["logs"]
        assert comps["jobs"].status == "ok"
        assert reply.status == "degraded"
    finally:
        comp.stop()


def test_breaker_states_come_from_the_gateways_redis_hash(sys_api, redis_client) -> None:
    key = "switchboard:breaker:logs"  # no test drives the logs service through this gateway
    saved = redis_client.hgetall(key)
    try:
        redis_client.hset(key, mapping={"state": "open", "fail_counter": "5", "opened_at": repr(time.time())})
        comps = {c["name"]: c for c in act(sys_api, "system.health")[0]["data"]["components"]}
        assert comps["breaker.logs"]["status"] == "down" and comps["breaker.logs"]["detail"] == "open"
        redis_client.hset(key, "state", "half-open")
        body = act(sys_api, "system.health")[0]["data"]
        comps = {c["name"]: c for c in body["components"]}
        assert comps["breaker.logs"]["status"] == "degraded" and body["status"] == "degraded"
    finally:
        redis_client.delete(key)
        if saved:
            redis_client.hset(key, mapping=saved)
    comps = {c["name"]: c for c in act(sys_api, "system.health")[0]["data"]["components"]}
    assert comps["breaker.logs"]["status"] == "ok"


def test_report_lists_components_queues_and_text(sys_api, job_worker) -> None:
    body, trace = act(sys_api, "system.report")
    audited(sys_api, trace, "system.report", "succeeded")
    rep = body["data"]["report"]
    names = [s["name"] for s in rep["services"]]
    assert names == ["gateway", "jobs", "queue", "workers", "system", "config", "logs", "job-worker"]
    by = {s["name"]: s for s in rep["services"]}
    for name in names:  # every process beats (services/common/heartbeat.py), the gateway and worker too
        assert by[name]["status"] == "ok" and by[name]["replicas"] >= 1 and by[name]["version"], by[name]
    assert any(q["name"] == "default" for q in rep["queues"])
    assert set(rep["workers"]) == {"online", "quiet", "offline"}
    assert rep["maintenance"]["enabled"] in (True, False) and isinstance(rep["config_version"], int)
    assert rep["text"].startswith("Switchboard system report") and "default" in rep["text"]
    assert rep["generated_at"].endswith("Z")
