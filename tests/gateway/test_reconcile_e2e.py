"""The jobs service's reconciler (services/jobs/reconcile.py) through the gateway: a pending job
whose broker message vanished the way a worker SIGKILLed mid-BRPOP loses it gets exactly one
message back and runs; a job whose message sits in a list or in kombu's `unacked` hash, and a job
held for an eta, get none. The session's services run it every second (tests/conftest.py)."""

from __future__ import annotations

import json
import time

import pytest
import redis as redis_sync

from services.common.celery import UNACKED_KEY, broker_keys
from tests.gateway.test_jobs_e2e import act, depth, ids_in, new_queue, ok, submit, wait_status
from tests.helpers import wait_for

pytestmark = pytest.mark.usefixtures("job_worker")

PASSES_S = 3.5  # three passes of the session's 1 s reconciler


@pytest.fixture
def rds(settings):
    client = redis_sync.Redis.from_url(settings.redis_url)
    yield client
    client.close()


def listed(rds, queue: str) -> list[str]:
    return [job_id for key in broker_keys(queue) for job_id in ids_in(rds, key)]


def test_a_lost_message_is_sent_again_once_and_the_job_runs(api, rds):
    q = new_queue(api, paused=True)
    job = submit(api, q)
    held = submit(api, q, countdown_s=3600)  # no message until its eta: must stay without one
    assert listed(rds, q) == [job["job_id"]]
    # What a worker killed between BRPOP and its `unacked` write leaves: the message is gone.
    (key,) = [k for k in broker_keys(q) if rds.llen(k)]
    assert json.loads(rds.rpop(key))["headers"]["id"] == job["job_id"]
    assert depth(rds, q) == 0
    wait_for(lambda: listed(rds, q) == [job["job_id"]], timeout=15, what="the lost message sent again")
    time.sleep(PASSES_S)
    assert listed(rds, q) == [job["job_id"]]  # once: a job with a message is left alone
    ok(act(api, "queue.resume", {"queue_name": q}))
    assert wait_status(api, job["job_id"], "succeeded")["attempts"] == 1
    assert ok(api.act("job.get", {"job_id": held["job_id"]}))["job"]["status"] == "pending"
    assert depth(rds, q) == 0


def test_a_message_a_worker_holds_unacknowledged_is_not_sent_again(api, rds):
    q = new_queue(api, paused=True)
    job = submit(api, q)
    (key,) = [k for k in broker_keys(q) if rds.llen(k)]
    # A worker took it and keeps it unacknowledged while the task runs (acks_late).
    raw = rds.rpop(key)
    tag = f"test-{job['job_id']}"
    rds.hset(UNACKED_KEY, tag, json.dumps([json.loads(raw), "", q]))
    try:
        time.sleep(PASSES_S)
        assert depth(rds, q) == 0
        assert ok(api.act("job.get", {"job_id": job["job_id"]}))["job"]["status"] == "pending"
    finally:
        rds.hdel(UNACKED_KEY, tag)
    # Acknowledged without running (a worker killed then), the job is found again.
    wait_for(lambda: listed(rds, q) == [job["job_id"]], timeout=15, what="the message sent again")
    ok(act(api, "job.cancel", {"job_id": job["job_id"]}))
