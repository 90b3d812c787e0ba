"""Two gateway replicas sharing Redis: exactly the limit admitted; N concurrent identical requests
execute once; replays are byte-identical; 422 for a reused key; maintenance mode; audit per outcome."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import psycopg
import pytest
import redis as redis_sync

from services.common.db import libpq_url
from tests.gateway.conftest import Api, audit_rows, new_trace, start_gateway, uid


@pytest.fixture(scope="module")
def replicas(gateway, settings, logs_dir):
    second, url = start_gateway(settings, logs_dir)
    with httpx.Client(timeout=30) as h1, httpx.Client(timeout=30) as h2:
        yield Api(gateway[1], settings, h1), Api(url, settings, h2)
    second.stop()


def test_exactly_the_limit_across_two_replicas(replicas):
    a, b = replicas
    sub = uid()
    token = a.token(sub, ("admin",))
    clients = [a, b]

    def one(i):
        return clients[i % 2].act("circuit.list", token=token)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(one, range(64)))
    codes = [r.status_code for r in replies]
    assert codes.count(200) == 50 and codes.count(429) == 14
    refused = next(r for r in replies if r.status_code == 429)
    assert refused.json()["type"] == "/problems/rate-limited" and refused.json()["code"] == "RESOURCE_EXHAUSTED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == '"default";q=50;w=60'
    assert refused.headers["ratelimit"].startswith('"default";r=0;t=')
    # high-risk window: 10 per minute on top of the default one (fresh user)
    sub2 = uid()
    token2 = a.token(sub2, ("admin",))
    with ThreadPoolExecutor(6) as pool:
        hr = list(pool.map(lambda i: clients[i % 2].act("circuit.reset", {"service": "jobs"}, token=token2,
                                                        key=f"k{i}"), range(14)))
    assert [r.status_code for r in hr].count(200) == 10
    ok = next(r for r in hr if r.status_code == 200)
    assert ok.headers["ratelimit-policy"] == '"default";q=50;w=60, "high-risk";q=10;w=60'


def jobs_with_marker(settings, marker):
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        return conn.execute("SELECT count(*) FROM jobs.jobs WHERE kwargs->>'message' = %s", (marker,)).fetchone()[0]


def test_concurrent_identical_requests_execute_once(replicas, settings, queue_service):
    a, b = replicas
    sub, marker, key = uid(), uid("m"), uid("key")
    token = a.token(sub, ("operator",))
    payload = {"task": "echo", "kwargs": {"message": marker}, "queue": "default"}
    barrier = threading.Barrier(8)

    def one(i):
        barrier.wait()
        return (a, b)[i % 2].act("job.submit", payload, token=token, key=key)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(one, range(8)))
    codes = sorted(r.status_code for r in replies)
    assert set(codes) <= {200, 409} and 200 in codes, [r.text for r in replies]
    for r in replies:
        if r.status_code == 409:
            assert r.json()["code"] == "IDEMPOTENCY_IN_FLIGHT"
    assert jobs_with_marker(settings, marker) == 1
    first = next(r for r in replies if r.status_code == 200 and "idempotent-replayed" not in r.headers)
    trace, h = new_trace()
    replay = b.act("job.submit", payload, token=token, key=key, headers=h)
    assert replay.status_code == 200 and replay.content == first.content  # byte for byte
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["x-trace-id"] == trace != replay.json()["trace_id"]
    assert audit_rows(settings, trace)[0]["outcome"] == "replayed"
    assert jobs_with_marker(settings, marker) == 1
    reused = a.act("job.submit", {**payload, "priority": 1}, token=token, key=key)
    assert reused.status_code == 422 and reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    # the key is scoped to its user: another user's same key executes
    other = a.act("job.submit", payload, token=a.token(uid(), ("operator",)), key=key)
    assert other.status_code == 200 and jobs_with_marker(settings, marker) == 2


def test_maintenance_mode(replicas, settings, queue_service):
    a, _ = replicas
    r = redis_sync.Redis.from_url(settings.redis_url)
    r.set("switchboard:maintenance", orjson.dumps({"enabled": True, "reason": "db upgrade"}))
    try:
        trace, h = new_trace()
        refused = a.act("job.cancel", {"job_id": "x"}, roles=("operator",), key=uid("k"), headers=h)
        assert refused.status_code == 503 and refused.json()["type"] == "/problems/maintenance"
        assert "db upgrade" in refused.json()["detail"]
        assert audit_rows(settings, trace)[0]["outcome"] == "unavailable"
        # RBAC's 403 first; queries pass; admins pass
        assert a.act("queue.clear", {"queue_name": "default"}, roles=("operator",), key=uid("k")).status_code == 403
        assert a.act("job.list", roles=("viewer",)).status_code == 200
        assert a.act("job.cancel", {"job_id": "nope"}, roles=("admin",), key=uid("k")).status_code == 404
    finally:
        r.delete("switchboard:maintenance")
    assert a.act("job.cancel", {"job_id": "nope"}, roles=("operator",), key=uid("k")).status_code == 404


def test_every_outcome_one_record_and_no_secrets(replicas, settings, queue_service):
    a, _ = replicas
    cases = [
        ("succeeded", 200, lambda h: a.act("job.list", headers=h)),
        ("failed", 404, lambda h: a.act("job.get", {"job_id": "missing"}, headers=h)),
        ("invalid", 400, lambda h: a.act("job.get", {"job_id": 1}, headers=h)),
        ("denied", 403, lambda h: a.act("job.list", roles=(), headers=h)),
        ("unauthenticated", 401, lambda h: a.http.post(f"{a.url}/api/admin/action",
                                                       json={"action": "job.list", "payload": {}}, headers=h)),
    ]
    for outcome, status, send in cases:
        trace, h = new_trace()
        assert send(h).status_code == status
        [rec] = audit_rows(settings, trace)
        assert (rec["outcome"], rec["status"]) == (outcome, status)
    trace, h = new_trace()
    secret_payload = {"task": "echo", "kwargs": {"message": "mail ann@example.com", "api_token": "s3cr3t",
                                                 "nested": {"password": "hunter2"}}}
    # echo takes only `message`: the service refuses it, and the refused payload is scrubbed as well
    assert a.act("job.submit", secret_payload, roles=("operator",), key=uid("k"), headers=h).status_code == 400
    [rec] = audit_rows(settings, trace)
    assert rec["payload"]["kwargs"] == {"message": "mail a***@example.com", "api_token": "[Filtered]",
                                        "nested": {"password": "[Filtered]"}}
    assert "s3cr3t" not in str(rec) and "hunter2" not in str(rec) and "ann@" not in str(rec)
