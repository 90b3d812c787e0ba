"""Faults through a gateway of its own: its own jobs service (which the tests stop and pause) and its
own Redis database (so its breakers never touch the session gateway's). 504 on a deadline, 409
while in flight, 503 circuit-open without touching the service, other services unaffected,
recovery after the reset timeout; and audit.verify finding an altered record."""

import os
import signal
import threading
import time

import httpx
import psycopg
import pytest
import redis as redis_sync

from gateway.pipeline.idempotency import record_key
from services.common.db import libpq_url
from tests.conftest import REDIS_BASE, _lease_redis_db, free_port, start_service, wait_gateways_reach
from tests.gateway.conftest import Api, audit_rows, new_trace, start_gateway, uid
from tests.helpers import wait_for

# Long enough for the breaker to stay open while the stopped service is started again and every
# gateway reaches it (a few seconds on a busy 2-core machine; 3 s was not always enough).
RESET_S = 10


@pytest.fixture(scope="module")
def own(settings, logs_dir, queue_service):
    port = free_port()
    svc_settings = settings.with_(ports={**settings.ports, "jobs": port},
                                  addrs={**settings.addrs, "jobs": f"127.0.0.1:{port}"})
    jobs = start_service("jobs", svc_settings, logs_dir)
    n, owner = _lease_redis_db()
    redis_url = f"{REDIS_BASE}/{n}"
    redis_sync.Redis.from_url(redis_url).flushdb()
    gw, url = start_gateway(svc_settings, logs_dir, REDIS_URL=redis_url, SWITCHBOARD_BREAKER_FAIL_MAX="2",
                            SWITCHBOARD_BREAKER_RESET_S=str(RESET_S), SWITCHBOARD_RPC_TIMEOUT_MS="1500")
    state = {"jobs": jobs, "redis_url": redis_url}
    with httpx.Client(timeout=30) as http:
        yield Api(url, settings, http), state, svc_settings
    gw.stop()
    if state["jobs"].proc.poll() is None:
        os.kill(state["jobs"].proc.pid, signal.SIGCONT)
    state["jobs"].stop()
    lock = redis_sync.Redis.from_url(f"{REDIS_BASE}/0")
    redis_sync.Redis.from_url(redis_url).flushdb()
    if lock.get(f"switchboard:test-lease:{n}") == owner.encode():
        lock.delete(f"switchboard:test-lease:{n}")


def test_deadline_504_in_flight_409_and_stored_504(own):
    api, state, _ = own
    pid = state["jobs"].proc.pid
    key = uid("k")
    payload = {"task": "echo", "kwargs": {"message": uid("m")}}
    sub = uid()
    token = api.token(sub, ("operator",))
    red = redis_sync.Redis.from_url(state["redis_url"])
    os.kill(pid, signal.SIGSTOP)
    try:
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("r", api.act("job.submit", payload, token=token, key=key)))
        t.start()
        wait_for(lambda: red.exists(record_key(sub, key)), timeout=5, what="the first request's claim")
        busy = api.act("job.submit", payload, token=token, key=key)
        assert busy.status_code == 409 and busy.json()["code"] == "IDEMPOTENCY_IN_FLIGHT"
        t.join()
        late = result["r"]
        assert late.status_code == 504 and late.json()["code"] == "DEADLINE_EXCEEDED"
        assert late.json()["type"] == "/problems/deadline-exceeded"
    finally:
        os.kill(pid, signal.SIGCONT)
    replay = api.act("job.submit", payload, token=token, key=key)  # a 504 reached the service: stored
    assert replay.status_code == 504 and replay.content == late.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert api.act("circuit.reset", {"service": "jobs"}, key=uid("k")).status_code == 200


def test_breaker_opens_answers_without_the_service_and_recovers(own, settings, logs_dir):
    api, state, svc_settings = own
    assert api.act("circuit.reset", {"service": "jobs"}, key=uid("k")).status_code == 200
    state["jobs"].stop()
    for _ in range(2):
        r = api.act("job.get", {"job_id": "x"})
        assert r.status_code == 503 and r.json()["type"] == "/problems/unavailable"
    t0 = time.perf_counter()
    trace, h = new_trace()
    r = api.act("job.get", {"job_id": "x"}, headers=h)
    assert time.perf_counter() - t0 < 0.5
    assert r.status_code == 503 and r.json()["type"] == "/problems/circuit-open" and r.json()["code"] == "UNAVAILABLE"
    assert 1 <= int(r.headers["retry-after"]) <= RESET_S
    assert audit_rows(settings, trace)[0]["outcome"] == "unavailable"
    # other services' actions keep working
    assert api.act("queue.list").status_code == 200
    breakers = {b["service"]: b for b in api.act("circuit.list").json()["data"]["breakers"]}
    assert breakers["jobs"]["state"] == "open" and breakers["queue"]["state"] == "closed"
    # the service is back, but the open breaker still answers for it: nothing reaches it
    state["jobs"] = start_service("jobs", svc_settings, logs_dir)
    wait_gateways_reach(["jobs"])  # the channel's reconnect back-off, not the breaker, must not decide below
    marker = uid("m")
    r = api.act("job.submit", {"task": "echo", "kwargs": {"message": marker}}, roles=("operator",), key=uid("k"))
    assert r.status_code == 503 and r.json()["type"] == "/problems/circuit-open"
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        assert conn.execute("SELECT count(*) FROM jobs.jobs WHERE kwargs->>'message' = %s",
                            (marker,)).fetchone()[0] == 0
    wait_for(lambda: all(b["retry_after_s"] == 0 for b in api.act("circuit.list").json()["data"]["breakers"]
                         if b["service"] == "jobs"), timeout=RESET_S + 10, what="the reset timeout to run out")
    probe = api.act("job.get", {"job_id": "x"})
    assert probe.status_code == 404  # a business answer: the probe succeeded
    breakers = {b["service"]: b for b in api.act("circuit.list").json()["data"]["breakers"]}
    assert breakers["jobs"]["state"] == "closed"


def test_audit_verify_detects_an_altered_record(own, settings):
    api, _, _ = own
    trace, h = new_trace()
    api.act("circuit.list", headers=h)
    [rec] = audit_rows(settings, trace)
    assert api.act("audit.verify").json()["data"]["ok"] is True
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE audit.audit_log SET outcome = 'denied' WHERE seq = %s", (rec["seq"],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit.audit_log WHERE seq = %s", (rec["seq"],))
        # a superuser can disable the trigger; the chain still tells
        conn.execute("ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_no_update_delete")
        try:
            conn.execute("UPDATE audit.audit_log SET outcome = 'denied' WHERE seq = %s", (rec["seq"],))
            data = api.act("audit.verify").json()["data"]
            assert data["ok"] is False and data["first_broken_seq"] == rec["seq"]
        finally:
            conn.execute("UPDATE audit.audit_log SET outcome = %s WHERE seq = %s", (rec["outcome"], rec["seq"]))
            conn.execute("ALTER TABLE audit.audit_log ENABLE TRIGGER audit_log_no_update_delete")
    assert api.act("audit.verify").json()["data"]["ok"] is True
