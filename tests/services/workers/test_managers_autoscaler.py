"""The autoscaler against a real prefork job worker: a queue that fills grows the worker's pool (up
to the rule's max), a drained one shrinks it back to min, each change a `worker.pool_changed` by
`system` through the same remote control as worker.pool_grow / pool_shrink, none within the
cool-down."""

from __future__ import annotations

import secrets

import redis as redis_sync

from services.common.times import parse_iso
from tests.conftest import start_worker
from tests.helpers import stream_events, wait_for
from tests.services.workers.managers_helpers import act, ok, rows


def pool(api, host: str) -> int:
    [reply] = ok(act(api, "worker.inspect", {"destination": host}))["replies"]
    return reply["pool_size"] if reply["ok"] else -1


def test_grows_when_the_queue_fills_and_shrinks_when_it_drains(api, workers_service, settings, logs_dir) -> None:
    tag = secrets.token_hex(3)
    queue, host = f"scale-{tag}", f"scale-{tag}@test"
    ok(act(api, "queue.create", {"queue_name": queue, "description": "autoscaler test"}))
    worker = start_worker(settings, logs_dir, concurrency=1, SWITCHBOARD_WORKER_HOSTNAME=host)
    client = redis_sync.Redis.from_url(settings.redis_url)
    try:
        wait_for(lambda: rows(settings, "SELECT 1 FROM workers.workers WHERE hostname = %s AND status = 'online' "
                                        "AND %s = ANY(queues)", host, queue), timeout=20, what="the worker online")
        # Only this worker is to serve (and be sized for) the queue: the others leave it.
        others = [r["hostname"] for r in rows(settings, "SELECT hostname FROM workers.workers WHERE status <> 'offline' "
                                                        "AND hostname <> %s", host)]
        for other in others:
            ok(act(api, "worker.cancel_consumer", {"destination": other, "queue_name": queue}))
        wait_for(lambda: not rows(settings, "SELECT 1 FROM workers.workers WHERE status <> 'offline' AND "
                                            "hostname <> %s AND %s = ANY(queues)", host, queue),
                 timeout=15, what="the other workers off the queue")
        assert pool(api, host) == 1
        # The queue fills first (one process: the jobs wait), then the autoscaler gets its rule.
        jobs = [ok(act(api, "job.submit", {"task": "sleep", "kwargs": {"seconds": 2}, "queue": queue}))["job"]["job_id"]
                for _ in range(6)]
        rule = {"queue_name": queue, "min": 1, "max": 3, "jobs_per_process": 1}
        ok(act(api, "manager.configure", {"name": "autoscaler", "config": {"interval_s": 1, "cooldown_s": 2,
                                                                           "rules": [rule]}}))
        ok(act(api, "manager.start", {"name": "autoscaler"}))
        wait_for(lambda: pool(api, host) == 3, timeout=20, what="the pool grown to the rule's max")
        [grew] = wait_for(lambda: stream_events(client, "worker.pool_changed", hostname=host, change="grow"),
                          timeout=5)
        assert grew["actor"] == "system" and grew["data"]["n"] == 2, grew
        wait_for(lambda: all(ok(act(api, "job.get", {"job_id": j}))["job"]["status"] == "succeeded" for j in jobs),
                 timeout=30, interval=0.5, what="the queue drained")
        wait_for(lambda: pool(api, host) == 1, timeout=20, what="the pool shrunk back to min")
        [shrank] = wait_for(lambda: stream_events(client, "worker.pool_changed", hostname=host, change="shrink"),
                            timeout=5)
        assert shrank["actor"] == "system" and shrank["data"]["n"] == 2
        assert (parse_iso(shrank["ts"], "ts") - parse_iso(grew["ts"], "ts")).total_seconds() >= 2  # the cool-down
        assert ok(act(api, "manager.get", {"name": "autoscaler"}))["manager"]["last_error"] == ""
    finally:
        ok(act(api, "manager.configure", {"name": "autoscaler", "config": {"interval_s": 10, "cooldown_s": 30,
                                                                           "rules": []}}))
        worker.stop(timeout=30)
        client.close()
        act(api, "queue.delete", {"queue_name": queue, "force": True})
