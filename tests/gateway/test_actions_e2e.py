"""Every jobs / queue / gateway action of the catalogue driven through the gateway over HTTP
against the real services and a real Celery worker, with its effect checked."""

import time
from typing import Any

import pytest

from tests.gateway.conftest import uid

pytestmark = pytest.mark.usefixtures("job_worker")


def ok(r) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True
    return body["data"]


def wait_status(api, job_id, wanted, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        job = ok(api.act("job.get", {"job_id": job_id}))["job"]
        if job["status"] in wanted or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_job_actions(api):
    submitted = ok(api.act("job.submit", {"task": "echo", "kwargs": {"message": "hi"}, "queue": "default"},
                           key=uid("k")))["job"]
    assert submitted["status"] == "pending" and submitted["job_id"]
    done = wait_status(api, submitted["job_id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded" and done["attempts"] >= 1
    listed = ok(api.act("job.list", {"task": "echo", "status": "succeeded", "page_size": 100}))
    assert submitted["job_id"] in [j["job_id"] for j in listed["jobs"]] and "next_page_token" in listed
    # cancel a finished job: the service's FAILED_PRECONDITION -> 400 with its field
    r = api.act("job.cancel", {"job_id": submitted["job_id"]}, key=uid("k"))
    assert r.status_code == 400 and r.json()["code"] == "FAILED_PRECONDITION"
    # terminate a running job, then retry it
    running = ok(api.act("job.submit", {"task": "sleep", "kwargs": {"seconds": 30}}, key=uid("k")))["job"]
    assert wait_status(api, running["job_id"], {"running"})["status"] == "running"
    killed = ok(api.act("job.terminate", {"job_id": running["job_id"]}, key=uid("k")))["job"]
    assert wait_status(api, killed["job_id"], {"cancelled"})["status"] == "cancelled"
    retried = ok(api.act("job.retry", {"job_id": running["job_id"]}, key=uid("k")))["job"]
    assert retried["retry_of"] == running["job_id"] and retried["job_id"] != running["job_id"]
    ok(api.act("job.cancel", {"job_id": retried["job_id"]}, key=uid("k")))
    assert wait_status(api, retried["job_id"], {"cancelled"})["status"] == "cancelled"
    r = api.act("job.get", {"job_id": "job_does_not_exist"})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "job_id"


def test_queue_actions(api):
    name = uid("q").replace("-", "_")
    q = ok(api.act("queue.create", {"queue_name": name, "description": "gateway e2e"}, key=uid("k")))["queue"]
    assert q["queue_name"] == name and q["paused"] is False and q["depth"] == 0
    dup = api.act("queue.create", {"queue_name": name}, key=uid("k"))
    assert dup.status_code == 409 and dup.json()["code"] == "QUEUE_EXISTS"
    assert ok(api.act("queue.pause", {"queue_name": name}, key=uid("k")))["queue"]["paused"] is True
    jobs = [ok(api.act("job.submit", {"task": "echo", "kwargs": {"message": "x"}, "queue": name},
                       key=uid("k")))["job"]["job_id"] for _ in range(2)]
    # Barrier: a later job on a queue that is not paused has run, so the workers have polled since.
    later = ok(api.act("job.submit", {"task": "echo", "kwargs": {"message": "x"}}, key=uid("k")))["job"]["job_id"]
    assert wait_status(api, later, {"succeeded"})["status"] == "succeeded"
    assert all(wait_status(api, j, {"pending"}, 0)["status"] == "pending" for j in jobs)  # paused: stays pending
    got = ok(api.act("queue.get", {"queue_name": name}))["queue"]
    assert got["paused"] is True and got["depth"] == 2
    assert name in [x["queue_name"] for x in ok(api.act("queue.list"))["queues"]]
    dry = ok(api.act("queue.clear", {"queue_name": name, "dry_run": True}, key=uid("k")))
    assert dry == {"cleared": 2, "purged": dry["purged"], "dry_run": True}
    cleared = ok(api.act("queue.clear", {"queue_name": name}, key=uid("k")))
    assert cleared["cleared"] == 2 and cleared["dry_run"] is False  # zero-valued fields are present too
    assert all(wait_status(api, j, {"cancelled"})["status"] == "cancelled" for j in jobs)
    assert ok(api.act("queue.resume", {"queue_name": name}, key=uid("k")))["queue"]["paused"] is False
    after = ok(api.act("job.submit", {"task": "echo", "kwargs": {"message": "y"}, "queue": name},
                       key=uid("k")))["job"]
    assert wait_status(api, after["job_id"], {"succeeded"})["status"] == "succeeded"
    r = api.act("queue.get", {"queue_name": "no_such_queue"})
    assert r.status_code == 404 and r.json()["code"] == "QUEUE_NOT_FOUND"


def test_gateway_admin_actions(api):
    me = uid("admin")
    trace = api.act("circuit.list", sub=me).json()["trace_id"]
    breakers = {b["service"]: b for b in ok(api.act("circuit.list", sub=me))["breakers"]}
    assert breakers["jobs"]["state"] == "closed" and breakers["jobs"]["fail_max"] >= 1
    reset = ok(api.act("circuit.reset", {"service": "queue"}, sub=me, key=uid("k")))["breaker"]
    assert reset == {**reset, "service": "queue", "state": "closed", "fail_counter": 0}
    r = api.act("circuit.reset", {"service": "nope"}, sub=me, key=uid("k"))
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "service"

    windows = {w["name"]: w for w in ok(api.act("ratelimit.status", sub=me))["windows"]}
    assert windows["default"]["used"] == 5 and windows["default"]["remaining"] == 45  # this call counted too
    assert windows["high-risk"]["used"] == 2
    assert ok(api.act("ratelimit.reset", {"user": me}, sub=me, key=uid("k")))["windows_cleared"] >= 1
    windows = {w["name"]: w for w in ok(api.act("ratelimit.status", {"user": me}, sub=me))["windows"]}
    assert windows["default"]["used"] == 1 and windows["high-risk"]["used"] == 0

    time.sleep(0.2)  # audit records are written in batches
    found = ok(api.act("audit.search", {"actor": me, "trace_id": trace}))
    [rec] = found["records"]
    assert rec["action"] == "circuit.list" and rec["outcome"] == "succeeded" and rec["status"] == 200
    page = ok(api.act("audit.search", {"actor": me, "page_size": 2}))
    assert len(page["records"]) == 2 and page["next_page_token"]
    rest = ok(api.act("audit.search", {"actor": me, "page_size": 100, "page_token": page["next_page_token"]}))
    assert rest["records"][0]["seq"] < page["records"][-1]["seq"]
    bad = api.act("audit.search", {"since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "since"
    exported = ok(api.act("audit.export", {"actor": me, "format": "csv"}))
    assert exported["format"] == "csv" and exported["count"] >= 5 and exported["content"].startswith("seq,")
    assert ok(api.act("audit.export", {"actor": me}))["content"].startswith("[")
    verified = ok(api.act("audit.verify"))
    assert verified["ok"] is True and verified["first_broken_seq"] == 0 and verified["checked"] >= 5

    stats = ok(api.act("cache.stats"))
    assert {"hits", "misses", "hit_ratio", "cached", "extra"} <= set(stats)
    flushed = ok(api.act("cache.flush", key=uid("k")))
    assert isinstance(flushed["flushed"], bool)
