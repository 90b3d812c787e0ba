"""GET /api/admin/ssot through real gateways in front of the real jobs and queue services."""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx
import redis as redis_sync

from admin.queue.v1 import queue_pb2
from gateway.auth import issue_token
from gateway.readpath.cache import KEY, LAST_GOOD, VERSION
from gateway.readpath.sections import SECTIONS, owners
from services.common.context import new_trace_id
from tests.conftest import free_port, start_service
from tests.gateway.readpath.conftest import Gateway, call_meta, start_gateway, wait_quiet
from tests.helpers import wait_for

SSOT = "/api/admin/ssot"


def get(gw: Gateway, headers: dict[str, str], **extra: str) -> httpx.Response:
    return httpx.get(gw.url + SSOT, headers={**headers, **extra}, timeout=10)


def flush(rds: redis_sync.Redis) -> None:
    rds.delete(KEY)


def test_miss_then_hit_with_every_section(gateway: Gateway, viewer: dict, rds: redis_sync.Redis) -> None:
    wait_quiet(rds)
    flush(rds)
    first = get(gateway, viewer)
    assert first.status_code == 200, first.text
    assert first.headers["x-cache"] == "MISS"
    body = first.json()
    assert set(SECTIONS) <= set(body)
    assert isinstance(body["version"], int) and body["generated_at"].endswith("Z")
    assert body["degraded"] == [] and body["stale"] == []
    assert "default" in {q["queue_name"] for q in body["queues"]["items"]}
    assert isinstance(body["jobs"]["recent"], list)
    dash = body["dashboard"]
    assert set(dash) >= {"jobs_by_status", "queue_depths", "workers_online", "throughput"}
    assert dash["queue_depths"]["default"] >= 0
    for name in set(SECTIONS) - set(owners()) - {"dashboard"}:  # no deployed proto serves it (yet)
        assert body[name]["available"] is False and "not" in body[name]["reason"]

    second = get(gateway, viewer)
    assert second.headers["x-cache"] == "HIT"
    assert second.content == first.content  # the stored bytes, as built
    assert second.headers["etag"] == first.headers["etag"]
    # The stored entry lives in the key the contract names, with the configured TTL.
    assert 0 < rds.ttl(KEY) <= 120


def test_matching_etag_gives_304(gateway: Gateway, viewer: dict) -> None:
    etag = get(gateway, viewer).headers["etag"]
    not_modified = get(gateway, viewer, **{"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert get(gateway, viewer, **{"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert get(gateway, viewer, **{"If-None-Match": '"something-else"'}).status_code == 200


def test_needs_a_token_and_a_role(gateway: Gateway, settings) -> None:
    anon = httpx.get(gateway.url + SSOT, timeout=10)
    assert anon.status_code == 401
    assert anon.headers["www-authenticate"].startswith("Bearer")
    assert anon.headers["content-type"] == "application/problem+json"
    assert anon.json()["code"] == "UNAUTHENTICATED"
    bad = get(gateway, {"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401
    roleless = get(gateway, {"Authorization": f"Bearer {issue_token(settings, 'nobody', [])}"})
    assert roleless.status_code == 403 and roleless.json()["code"] == "PERMISSION_DENIED"


def test_an_action_shows_on_the_next_read_long_before_the_ttl(
    gateway: Gateway, viewer: dict, queues, my_queue: str
) -> None:
    def seen() -> dict | None:
        mine = {q["queue_name"]: q for q in get(gateway, viewer).json()["queues"]["items"]}
        return mine if my_queue in mine else None

    mine = wait_for(seen, timeout=5, what=f"{my_queue} in the snapshot")  # its creation event may be on its way
    assert mine[my_queue]["paused"] is False
    assert get(gateway, viewer).headers["x-cache"] == "HIT"

    queues.PauseQueue(queue_pb2.PauseQueueRequest(queue_name=my_queue), metadata=call_meta(new_trace_id()), timeout=10)
    done = time.monotonic()
    while True:
        resp = get(gateway, viewer)
        paused = {q["queue_name"]: q["paused"] for q in resp.json()["queues"]["items"]}[my_queue]
        if paused:
            break
        assert time.monotonic() - done < 1.0, "pause not visible within 1 s (TTL is 120 s)"
        time.sleep(0.02)
    assert my_queue in resp.json()["dashboard"]["queues_paused"]


async def test_a_burst_of_misses_on_two_replicas_runs_one_fanout(
    gateway: Gateway, gateway2: Gateway, viewer: dict, rds: redis_sync.Redis
) -> None:
    wait_quiet(rds)
    flush(rds)
    version_before = int(rds.get(VERSION) or 0)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        urls = [gw.url + SSOT for gw in (gateway, gateway2)] * 100
        resps = await asyncio.gather(*(client.get(u, headers=viewer) for u in urls))
    assert [r.status_code for r in resps if r.status_code != 200] == [], [r.text for r in resps if r.status_code != 200][:2]
    assert int(rds.get(VERSION)) == version_before + 1, "more than one fan-out ran"
    assert len({r.json()["version"] for r in resps}) == 1
    assert len({r.headers["etag"] for r in resps}) == 1


def test_a_stopped_service_gives_stale_then_degraded_never_5xx(
    settings, logs_dir, jobs_service, viewer: dict, rds: redis_sync.Redis
) -> None:
    # A private queue service and a gateway that talks to it, so stopping it disturbs nobody.
    port = free_port()
    own = settings.with_(ports={**settings.ports, "queue": port}, addrs={**settings.addrs, "queue": f"127.0.0.1:{port}"})
    queue_svc = start_service("queue", own, logs_dir)
    gw = start_gateway(own, logs_dir)
    try:
        flush(rds)
        good = get(gw, viewer)
        assert good.headers["x-cache"] == "MISS" and good.json()["degraded"] == []
        queue_svc.stop()

        flush(rds)
        stale = get(gw, viewer)
        assert stale.status_code == 200
        assert stale.headers["x-cache"] == "STALE"
        body = stale.json()
        assert body["stale"] == ["dashboard", "queues"] and body["degraded"] == []
        assert body["queues"] == good.json()["queues"]  # the last good copy
        assert body["jobs"]["recent"] is not None  # the jobs service still answers

        flush(rds)
        rds.delete(LAST_GOOD)
        degraded = get(gw, viewer)
        assert degraded.status_code == 200
        assert degraded.json()["degraded"] == ["dashboard", "queues"]
        assert degraded.json()["queues"]["available"] is False
    finally:
        queue_svc.kill()
        gw.comp.stop()
        flush(rds)


def test_cache_stats_and_flush_actions(gateway: Gateway, viewer: dict, settings, rds: redis_sync.Redis) -> None:
    get(gateway, viewer)
    get(gateway, viewer)
    admin = {"Authorization": f"Bearer {issue_token(settings, 'ada', ['admin'])}"}
    flushed = httpx.post(
        gateway.url + "/api/admin/action", json={"action": "cache.flush", "payload": {}},
        headers={**admin, "Idempotency-Key": secrets.token_hex(8)}, timeout=10,
    )
    assert flushed.status_code == 200, flushed.text
    assert flushed.json()["data"]["flushed"] is True
    assert not rds.exists(KEY)
    assert get(gateway, viewer).headers["x-cache"] == "MISS"
    stats = httpx.post(
        gateway.url + "/api/admin/action", json={"action": "cache.stats", "payload": {}}, headers=viewer, timeout=10
    ).json()["data"]
    assert stats["hits"] >= 1 and stats["misses"] >= 1 and stats["fanouts"] >= 1
    assert stats["invalidations"] >= 1 and stats["cached"] is True and stats["ttl_s"] == 120
    assert 0 < stats["hit_ratio"] < 1
