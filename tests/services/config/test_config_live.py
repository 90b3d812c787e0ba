"""Live application (payloads/config.md): a committed change of a registered key reaches every
replica of every component within 1 s, without a restart; deleting the key brings the
environment's default back within 1 s."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.conftest import start_gateway
from tests.gateway.conftest import Api
from tests.services.config.config_helpers import ok, wait_for

APPLY_S = 1.0  # the contract's bound, from the commit's answer to the replica applying it


@pytest.fixture(scope="module")
def replicas(settings, logs_dir, config_service) -> Iterator[list[Api]]:
    """Two more gateway replicas on the session's PostgreSQL and Redis."""
    started = [start_gateway(settings, logs_dir) for _ in range(2)]
    with httpx.Client(timeout=10) as http:
        yield [Api(url, settings, http) for _, url in started]
    for comp, _ in started:
        comp.stop()


def probe(api: Api, sub: str | None = None) -> httpx.Response:
    """A cheap action (no database) whose answer carries RateLimit-Policy."""
    return api.act("config.validate", {"key": "ratelimit.per_min", "value": 1}, sub=sub)


def default_quota(api: Api) -> str:
    return probe(api).headers["RateLimit-Policy"].split(",")[0]


def test_lowered_rate_limit_applies_on_two_gateway_replicas_and_delete_restores_default(capi, replicas):
    for r in replicas:
        assert default_quota(r) == '"default";q=50;w=60'

    ok(capi, "config.set", {"key": "ratelimit.per_min", "value": 4, "comment": "incident"})
    committed = time.monotonic()
    for r in replicas:  # RateLimit-Policy shows the new quota at once on every replica
        wait_for(lambda r=r: default_quota(r) == '"default";q=4;w=60', APPLY_S, 0.02, "q=4 on a replica")
    assert time.monotonic() - committed < APPLY_S * len(replicas)

    # The very next requests of one user, spread over both replicas, are limited by the new number
    # (the window is shared through Redis).
    user = f"live-{secrets.token_hex(4)}"
    answers = [probe(replicas[i % 2], user) for i in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429], [a.text for a in answers]
    refused = answers[-1]
    assert refused.json()["code"] == "RESOURCE_EXHAUSTED" and int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Policy"].startswith('"default";q=4;w=60')

    ok(capi, "config.delete", {"key": "ratelimit.per_min"})
    for r in replicas:
        wait_for(lambda r=r: default_quota(r) == '"default";q=50;w=60', APPLY_S, 0.02, "q=50 again")
    assert probe(replicas[0], user).status_code == 200  # 5 used of the default 50


def test_breaker_threshold_and_ssot_ttl_apply_live(capi, replicas):
    def breaker_fail_max(api: Api) -> set[int]:
        data = ok(api, "circuit.list", {})[0]
        return {b["fail_max"] for b in data["breakers"]}

    def ttl(api: Api) -> float:
        return ok(api, "cache.stats", {})[0]["ttl_s"]

    assert breaker_fail_max(replicas[0]) == {5} and ttl(replicas[0]) == 15
    ok(capi, "config.set", {"key": "breaker.fail_max", "value": 9})
    ok(capi, "config.set", {"key": "ssot.ttl_s", "value": 3})
    for r in replicas:
        wait_for(lambda r=r: breaker_fail_max(r) == {9} and ttl(r) == 3, APPLY_S * 2, 0.02, "breaker+ttl")
    ok(capi, "config.delete", {"key": "breaker.fail_max"})
    ok(capi, "config.delete", {"key": "ssot.ttl_s"})
    for r in replicas:
        wait_for(lambda r=r: breaker_fail_max(r) == {5} and ttl(r) == 15, APPLY_S * 2, 0.02, "defaults")


def _applied(redis_client, since: bytes, key: str) -> list[str]:
    """Components that logged applying `key` (on `switchboard:logs`, as shipped) after `since`."""
    out = []
    for _, f in redis_client.xrange("switchboard:logs", min=b"(" + since):
        extra = orjson.loads(f.get(b"extra", b"{}"))
        if f.get(b"message") == b"config applied" and extra.get("key") == key:
            out.append(f[b"component"].decode())
    return out


def test_services_apply_rpc_timeout_and_their_own_log_level(capi, services, redis_client):
    running = set(services.running) | {"gateway"}
    tail = redis_client.xrevrange("switchboard:logs", count=1)
    since = tail[0][0] if tail else b"0-0"
    ok(capi, "config.set", {"key": "rpc.timeout_ms", "value": 4000})
    wait_for(lambda: set(_applied(redis_client, since, "rpc.timeout_ms")) >= running, 5, 0.05,
             f"{running} applied rpc.timeout_ms")

    # The config service at `error` stops logging at info; the others go on.
    ok(capi, "config.set", {"key": "log.level.config", "value": "error"})
    ok(capi, "config.set", {"key": "rpc.timeout_ms", "value": 3000})
    # Back to the default (info): the config service logs that change again — and, as it applies
    # events in order, it applied the second rpc.timeout_ms change before.
    ok(capi, "config.delete", {"key": "log.level.config"})
    wait_for(lambda: "config" in _applied(redis_client, since, "log.level.config"), 5, 0.05,
             "config service back at info")
    per_component = _applied(redis_client, since, "rpc.timeout_ms")
    assert per_component.count("gateway") >= 2  # the gateway replicas logged both changes
    assert per_component.count("config") == 1  # the config service only the first one
    ok(capi, "config.delete", {"key": "rpc.timeout_ms"})
