"""Every worker.* action through the gateway against two real prefork job workers: its effect on
the workers (live inspect, jobs that run or wait), its audit record and its event."""

from __future__ import annotations

import secrets
import time

import grpc

from admin.v1 import action_pb2, action_pb2_grpc
from admin.workers.v1 import workers_pb2
from services.common.times import parse_iso
from tests.gateway.conftest import audit_rows
from tests.services.workers.workers_helpers import act, live_stats, ok, registry_row, stream_events, wait_for


def submit(api, task: str, kwargs: dict, queue: str = "default") -> str:
    return ok(act(api, "job.submit", {"task": task, "kwargs": kwargs, "queue": queue}))["job"]["job_id"]


def job(api, job_id: str) -> dict:
    return ok(act(api, "job.get", {"job_id": job_id}))["job"]


def audited_with_event(settings, redis_client, trace: str, action: str, event_type: str, **data) -> None:
    rows = audit_rows(settings, trace)
    assert rows and rows[-1]["action"] == action, rows
    found = wait_for(lambda: [e for e in stream_events(redis_client, event_type, **data) if e["trace_id"] == trace],
                     timeout=10, what=f"{event_type} of trace {trace}")
    assert found[0]["source"] == "workers"


def test_list_filters_and_the_dashboard(api, fleet, settings) -> None:
    workers = {w["hostname"]: w for w in ok(act(api, "worker.list", {}))["workers"]}
    for h in fleet.hosts:
        w = workers[h]
        assert (w["status"], w["pool_size"], w["concurrency"]) == ("online", 2, 2)
        # A worker starts on every queue not paused; the session's other tests have made more.
        assert "default" in w["queues"] and w["queues"] == sorted(set(w["queues"])), w["queues"]
        assert w["last_heartbeat"]
    online = {w["hostname"] for w in ok(act(api, "worker.list", {"status": "online", "queue": "default"}))["workers"]}
    assert set(fleet.hosts) <= online
    assert ok(act(api, "worker.list", {"queue": "no-such-queue"}))["workers"] == []
    bad = act(api, "worker.list", {"status": "sleepy"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
    snap = api.http.get(f"{api.url}/api/admin/ssot", headers={"Authorization": f"Bearer {api.token()}"}).json()
    assert {w["hostname"] for w in snap["workers"]["items"]} >= set(fleet.hosts), snap
    # The dashboard part the gateway lifts (the gateway's dashboard also needs every other service).
    section = workers_pb2.WorkersSection()
    with grpc.insecure_channel(settings.addr("workers")) as ch:
        action_pb2_grpc.SnapshotServiceStub(ch).GetSection(
            action_pb2.GetSectionRequest(section="workers"), timeout=5).section.Unpack(section)
    assert section.dashboard.workers_online >= 2
    assert section.dashboard.pool_sizes[fleet.hosts[0]] == 2


def test_ping_inspect_and_unknown_hostname(api, fleet) -> None:
    a, b = fleet.hosts
    data = ok(act(api, "worker.ping", {"destination": a}))
    assert data == {"replies": [{"hostname": a, "ok": True, "message": "pong", "error": ""}], "no_reply": []}
    every = ok(act(api, "worker.ping", {}))
    assert {a, b} <= {r["hostname"] for r in every["replies"]}
    reply = live_stats(api, b)
    assert (reply["pool_size"], reply["concurrency"]) == (2, 2) and "default" in reply["queues"]
    assert "switchboard.run_job" in reply["registered"] and reply["stats"]["pool"]
    missing = act(api, "worker.ping", {"destination": "nobody@nowhere"})
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "destination"


def test_grow_shrink_autoscale_restart(api, fleet, settings, redis_client) -> None:
    a, b = fleet.hosts
    trace = secrets.token_hex(16)
    data = ok(act(api, "worker.pool_grow", {"destination": a, "n": 2}, trace=trace))
    assert data["replies"][0]["ok"], data
    wait_for(lambda: live_stats(api, a)["pool_size"] == 4, timeout=5, what="pool grown")
    assert live_stats(api, b)["pool_size"] == 2
    audited_with_event(settings, redis_client, trace, "worker.pool_grow", "worker.pool_changed",
                       hostname=a, change="grow", n=2)
    wait_for(lambda: registry_row(settings, a)["pool_size"] == 4, timeout=6, what="registry follows the grow")

    trace = secrets.token_hex(16)
    ok(act(api, "worker.pool_shrink", {"destination": a, "n": 1}, trace=trace))
    wait_for(lambda: live_stats(api, a)["pool_size"] == 3, timeout=5, what="pool shrunk")
    audited_with_event(settings, redis_client, trace, "worker.pool_shrink", "worker.pool_changed",
                       hostname=a, change="shrink", n=1)

    for payload, field in (({"destination": a, "n": 3}, "n"), ({"destination": a, "n": 0}, "n")):
        r = act(api, "worker.pool_shrink", payload)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, r.text
    r = act(api, "worker.pool_grow", {"destination": a, "n": 62})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "n"
    assert live_stats(api, a)["pool_size"] == 3  # refused requests changed nothing

    r = act(api, "worker.autoscale", {"destination": a, "max": 2, "min": 3})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "min"
    r = act(api, "worker.autoscale", {"destination": a, "max": 65, "min": 1})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "max"
    trace = secrets.token_hex(16)
    ok(act(api, "worker.autoscale", {"destination": a, "max": 2, "min": 2}, trace=trace))
    wait_for(lambda: (r := live_stats(api, a))["pool_size"] == 2 and r["concurrency"] == 2, timeout=5,
             what="autoscaled to 2")
    audited_with_event(settings, redis_client, trace, "worker.autoscale", "worker.pool_changed",
                       hostname=a, change="autoscale", max=2, min=2)

    before = set(live_stats(api, b)["stats"]["pool"]["processes"])
    trace = secrets.token_hex(16)
    ok(act(api, "worker.pool_restart", {"destination": b}, trace=trace))
    # billiard replaces each process as it next checks in: wait for new ones, the size unchanged.
    wait_for(lambda: (p := set(live_stats(api, b)["stats"]["pool"]["processes"])) - before and len(p) == 2,
             timeout=15, what="new pool processes, same pool size")
    audited_with_event(settings, redis_client, trace, "worker.pool_restart", "worker.pool_changed",
                       hostname=b, change="restart")


def test_consumers_hold_until_added(api, fleet, settings, redis_client) -> None:
    a, b = fleet.hosts
    q = f"wq-{secrets.token_hex(3)}"
    ok(act(api, "queue.create", {"queue_name": q}))
    wait_for(lambda: all(q in live_stats(api, h)["queues"] for h in (a, b)), timeout=10, what="both consume the new queue")
    trace = secrets.token_hex(16)
    data = ok(act(api, "worker.cancel_consumer", {"queue_name": q}, trace=trace))
    assert {a, b} <= {r["hostname"] for r in data["replies"] if r["ok"]}
    audited_with_event(settings, redis_client, trace, "worker.cancel_consumer", "worker.consumer_cancelled",
                       hostname=a, queue_name=q)
    # A pause/resume of the queue does not bring an operator's cancel back.
    ok(act(api, "queue.pause", {"queue_name": q}))
    ok(act(api, "queue.resume", {"queue_name": q}))
    assert all(q not in live_stats(api, h)["queues"] for h in (a, b))
    job_id = submit(api, "echo", {"message": "waits"}, queue=q)
    time.sleep(1.5)  # a hold: nothing consumes the queue, so nothing may start it
    assert job(api, job_id)["status"] == "pending"

    trace = secrets.token_hex(16)
    ok(act(api, "worker.add_consumer", {"destination": b, "queue_name": q}, trace=trace))
    done = wait_for(lambda: (j := job(api, job_id))["status"] == "succeeded" and j, timeout=15, what="job ran")
    assert done["worker"] == b
    audited_with_event(settings, redis_client, trace, "worker.add_consumer", "worker.consumer_added",
                       hostname=b, queue_name=q)
    wait_for(lambda: q in registry_row(settings, b)["queues"], timeout=5, what="registry shows the consumer")

    r = act(api, "worker.add_consumer", {"queue_name": "no-such-queue"})
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "queue_name"
    ok(act(api, "queue.pause", {"queue_name": q}))
    r = act(api, "worker.add_consumer", {"destination": a, "queue_name": q})
    assert r.status_code == 400 and r.json()["code"] == "QUEUE_PAUSED" and r.json()["errors"][0]["field"] == "queue_name"


def test_quiet_finishes_running_work_and_survives_new_queues(api, fleet, settings, redis_client) -> None:
    a, b = fleet.hosts
    running = submit(api, "sleep", {"seconds": 2})
    wait_for(lambda: job(api, running)["status"] == "running", timeout=10, what="job running")
    trace = secrets.token_hex(16)
    try:
        listed = {w["hostname"]: w["status"] for w in ok(act(api, "worker.list", {}))["workers"]}  # kept now
        assert listed[a] == listed[b] == "online"
        data = ok(act(api, "worker.quiet", {}, trace=trace))
        assert {a, b} <= {r["hostname"] for r in data["replies"] if r["ok"]}
        # The change shows at once: the kept listing was dropped (registry.Listings), not aged out.
        listed = {w["hostname"]: w["status"] for w in ok(act(api, "worker.list", {}))["workers"]}
        assert listed[a] == listed[b] == "quiet"
        audited_with_event(settings, redis_client, trace, "worker.quiet", "worker.quieted", hostname=a)
        assert {registry_row(settings, h)["status"] for h in (a, b)} == {"quiet"}
        waiting = submit(api, "echo", {"message": "after quiet"})
        q = f"wq-{secrets.token_hex(3)}"
        ok(act(api, "queue.create", {"queue_name": q}))  # broadcasts add_consumer: a quiet worker keeps quiet
        wait_for(lambda: job(api, running)["status"] == "succeeded", timeout=15, what="running job finishes")
        assert job(api, waiting)["status"] == "pending"
        assert all(live_stats(api, h)["queues"] == [] for h in (a, b))
    finally:
        trace = secrets.token_hex(16)
        ok(act(api, "worker.unquiet", {}, trace=trace))
    wait_for(lambda: job(api, waiting)["status"] == "succeeded", timeout=15, what="held job runs after unquiet")
    assert all(set(live_stats(api, h)["queues"]) >= {"default", q} for h in (a, b))
    audited_with_event(settings, redis_client, trace, "worker.unquiet", "worker.unquieted", hostname=b)
    wait_for(lambda: {registry_row(settings, h)["status"] for h in (a, b)} == {"online"}, timeout=5)


def test_rate_limit_spaces_one_task_only(api, fleet, settings, redis_client) -> None:
    trace = secrets.token_hex(16)
    limited = ok(act(api, "worker.rate_limit", {"task": "echo", "rate": "30/m"}, trace=trace))
    audited_with_event(settings, redis_client, trace, "worker.rate_limit", "worker.rate_limit_set",
                       hostname=fleet.hosts[0], task="echo", rate="30/m")
    # Every worker of the session took the limit (the fleet's two, and any other job worker).
    n = len([r for r in limited["replies"] if r["ok"]])
    assert n >= 2, limited
    try:
        echoes = [submit(api, "echo", {"message": str(i)}) for i in range(n + 1)]
        other = submit(api, "report", {"rows": 10})
        wait_for(lambda: job(api, other)["status"] == "succeeded", timeout=10, what="another task is not limited")
        done = wait_for(lambda: all((js := [job(api, j) for j in echoes])[i]["status"] == "succeeded"
                                    for i in range(n + 1)) and js,
                        timeout=20, what="rate-limited echoes finish")
        starts = sorted(parse_iso(j["started_at"], "started_at") for j in done)
        # n workers, one token each (then one per 2 s): start n + 1 waits for a new token.
        assert (starts[n] - starts[0]).total_seconds() >= 1.5, starts
    finally:
        ok(act(api, "worker.rate_limit", {"task": "echo", "rate": ""}))
    for payload, field in (({"task": "nap", "rate": "1/s"}, "task"), ({"task": "echo", "rate": "fast"}, "rate")):
        r = act(api, "worker.rate_limit", payload)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field


def test_time_limits_fail_the_attempt(api, fleet, settings, redis_client) -> None:
    trace = secrets.token_hex(16)
    ok(act(api, "worker.time_limit", {"task": "sleep", "soft": 1, "hard": 0}, trace=trace))
    audited_with_event(settings, redis_client, trace, "worker.time_limit", "worker.time_limit_set",
                       hostname=fleet.hosts[0], task="sleep")
    try:
        soft = submit(api, "sleep", {"seconds": 10})
        ok(act(api, "worker.time_limit", {"task": "echo", "soft": 0, "hard": 0}))
        failed = wait_for(lambda: (j := job(api, soft))["status"] == "failed" and j, timeout=10, what="soft limit")
        assert "SoftTimeLimitExceeded" in failed["error"], failed
        ok(act(api, "worker.time_limit", {"task": "sleep", "soft": 0, "hard": 1}))
        hard = submit(api, "sleep", {"seconds": 10})
        failed = wait_for(lambda: (j := job(api, hard))["status"] == "failed" and j, timeout=10, what="hard limit")
        assert "hard time limit" in failed["error"], failed
        assert job(api, submit(api, "echo", {"message": "x"}))["status"] in ("pending", "running", "succeeded")
    finally:
        ok(act(api, "worker.time_limit", {"task": "sleep", "soft": 0, "hard": 0}))
    for payload, field in (({"task": "sleep", "soft": 5, "hard": 2}, "soft"), ({"task": "sleep", "hard": -1}, "hard"),
                           ({"task": "nope"}, "task")):
        r = act(api, "worker.time_limit", payload)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, r.text
