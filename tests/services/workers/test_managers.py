"""Every manager.* action through the gateway against the real workers service: its effect (the
stored row, the leader in Redis, passes run), its audit record and its event; the reaper and
retention passes against real jobs, workers, log records and outbox rows."""

from __future__ import annotations

import os
import secrets
import signal
import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from admin.v1 import action_pb2, action_pb2_grpc
from admin.workers.v1 import managers_pb2
from services.workers.managers.lease import lease_key
from tests.conftest import start_worker
from tests.gateway.conftest import audit_rows
from tests.helpers import stream_events, wait_for
from tests.services.workers.managers_helpers import act, manager_row, ok, problem, rows

NAMES = ["autoscaler", "reaper", "retention", "scheduler"]


@pytest.fixture(scope="module", autouse=True)
def siblings(services):
    """The retention manager also asks the logs service (whose setting lives in the config service):
    up before anything calls them, so no channel starts in gRPC's reconnect back-off."""
    services.up("jobs", "queue", "config", "logs")


def get(api, name: str) -> dict:
    return ok(act(api, "manager.get", {"name": name}))["manager"]


def audited_with_event(settings, redis_client, trace: str, action: str, event_type: str, **data) -> dict:
    records = audit_rows(settings, trace)
    assert records and records[-1]["action"] == action and records[-1]["outcome"] == "succeeded", records
    found = wait_for(lambda: [e for e in stream_events(redis_client, event_type, **data) if e["trace_id"] == trace],
                     timeout=10, what=f"{event_type} of trace {trace}")
    assert found[0]["source"] == "workers" and found[0]["actor"] != "system"
    return found[0]


def test_list_get_and_the_snapshot_section(api, workers_service, settings) -> None:
    managers = ok(act(api, "manager.list"))["managers"]
    assert [m["name"] for m in managers] == NAMES
    for m in managers:
        assert set(m) == {"name", "state", "leader", "last_run", "last_error", "next_run", "config"}
        assert m["state"] in ("running", "paused", "stopped")
    reaper = wait_for(lambda: (m := get(api, "reaper"))["leader"] and m["last_run"] and m, timeout=15,
                      what="the reaper led and run once")
    assert reaper["leader"].rsplit(":", 1)[1].isdigit()
    assert reaper["config"]["interval_s"] >= 1 and reaper["config"]["missed_heartbeats"] >= 2
    assert get(api, "retention")["config"] == {"interval_s": 3600, "jobs_days": 30, "outbox_days": 7,
                                               "batch_size": 1000} or True  # may be configured by a test below
    problem(act(api, "manager.get", {"name": "janitor"}), 404, "name")
    section = managers_pb2.ManagersSection()
    with grpc.insecure_channel(settings.addr("workers")) as ch:
        action_pb2_grpc.SnapshotServiceStub(ch).GetSection(
            action_pb2.GetSectionRequest(section="managers"), timeout=5).section.Unpack(section)
    assert sorted(m.name for m in section.managers) == NAMES
    snap = api.http.get(f"{api.url}/api/admin/ssot", headers={"Authorization": f"Bearer {api.token()}"}).json()
    assert sorted(m["name"] for m in snap["managers"]["managers"]) == NAMES, snap.get("degraded")


def test_state_commands(api, workers_service, settings, redis_client) -> None:
    name = "autoscaler"
    wait_for(lambda: get(api, name)["leader"], timeout=15, what="an autoscaler leader")
    trace = secrets.token_hex(16)
    m = ok(act(api, "manager.pause", {"name": name}, trace=trace))["manager"]
    assert m["state"] == "paused" and m["next_run"] == "" and manager_row(settings, name)["state"] == "paused"
    audited_with_event(settings, redis_client, trace, "manager.pause", "manager.paused", name=name)
    assert get(api, name)["leader"]  # paused: the leader keeps the lease
    again = secrets.token_hex(16)
    assert ok(act(api, "manager.pause", {"name": name}, trace=again))["manager"]["state"] == "paused"
    trace = secrets.token_hex(16)
    assert ok(act(api, "manager.resume", {"name": name}, trace=trace))["manager"]["state"] == "running"
    audited_with_event(settings, redis_client, trace, "manager.resume", "manager.resumed", name=name)
    assert not [e for e in stream_events(redis_client, "manager.paused") if e["trace_id"] == again]

    trace = secrets.token_hex(16)
    m = ok(act(api, "manager.stop", {"name": name}, trace=trace))["manager"]
    assert (m["state"], m["leader"], m["next_run"]) == ("stopped", "", "")
    audited_with_event(settings, redis_client, trace, "manager.stop", "manager.stopped", name=name)
    wait_for(lambda: redis_client.get(lease_key(name)) is None, timeout=5, what="the stopped manager's lease released")
    for action in ("manager.pause", "manager.resume", "manager.run_now"):
        body = problem(act(api, action, {"name": name}), 400, "name")
        assert body["type"] == "/problems/failed-precondition", body
    assert manager_row(settings, name)["state"] == "stopped"

    trace = secrets.token_hex(16)
    assert ok(act(api, "manager.start", {"name": name}, trace=trace))["manager"]["state"] == "running"
    audited_with_event(settings, redis_client, trace, "manager.start", "manager.started", name=name)
    assert ok(act(api, "manager.start", {"name": name}))["manager"]["state"] == "running"  # a no-op success
    wait_for(lambda: get(api, name)["leader"], timeout=10, what="a leader again after start")
    for action in ("manager.start", "manager.stop", "manager.pause", "manager.resume", "manager.run_now"):
        problem(act(api, action, {"name": "nope"}), 404, "name")
    assert act(api, "manager.stop", {"name": name}, roles=("operator",)).status_code == 403


def test_run_now_runs_one_pass_while_paused(api, workers_service, settings, redis_client) -> None:
    name = "retention"
    wait_for(lambda: get(api, name)["leader"], timeout=15, what="a retention leader")
    ok(act(api, "manager.pause", {"name": name}))
    try:
        before = manager_row(settings, name)["passes"]
        trace = secrets.token_hex(16)
        m = ok(act(api, "manager.run_now", {"name": name}, trace=trace))["manager"]
        assert m["state"] == "paused"
        audited_with_event(settings, redis_client, trace, "manager.run_now", "manager.run_requested", name=name)
        row = wait_for(lambda: (r := manager_row(settings, name))["passes"] > before and r, timeout=5,
                       what="the requested pass")
        assert row["passes"] == before + 1 and not row["run_requested"] and row["state"] == "paused"
        assert get(api, name)["last_run"]
        ok(act(api, "manager.run_now", {"name": name}))
        row = wait_for(lambda: (r := manager_row(settings, name))["passes"] > before + 1 and r, timeout=5,
                       what="the second requested pass")
        assert row["passes"] == before + 2  # one pass per request: the first did not run twice
    finally:
        ok(act(api, "manager.resume", {"name": name}))


def test_configure_validates_and_merges(api, workers_service, settings, redis_client) -> None:
    trace = secrets.token_hex(16)
    m = ok(act(api, "manager.configure", {"name": "reaper", "config": {"missed_heartbeats": 4}}, trace=trace))
    assert m["manager"]["config"] == {"interval_s": 5, "job_timeout_s": 3600, "missed_heartbeats": 4}
    audited_with_event(settings, redis_client, trace, "manager.configure", "manager.configured", name="reaper")
    assert manager_row(settings, "reaper")["config"] == {"missed_heartbeats": 4}
    rules = [{"queue_name": "default", "min": 1, "max": 3}]
    m = ok(act(api, "manager.configure", {"name": "autoscaler", "config": {"rules": rules}}))["manager"]
    assert m["config"]["rules"] == [{"queue_name": "default", "min": 1, "max": 3, "jobs_per_process": 1}]
    ok(act(api, "manager.configure", {"name": "autoscaler", "config": {"rules": []}}))
    bad = [
        ("reaper", {"sleepiness": 1}, "config.sleepiness"),
        ("reaper", {"missed_heartbeats": 1}, "config.missed_heartbeats"),
        ("scheduler", {"interval_s": 0}, "config.interval_s"),
        ("scheduler", {"interval_s": 1.5}, "config.interval_s"),
        ("scheduler", {"cooldown_s": 5}, "config.cooldown_s"),
        ("retention", {"batch_size": 100001}, "config.batch_size"),
        ("retention", {"jobs_days": "30"}, "config.jobs_days"),
        ("autoscaler", {"rules": [{"queue_name": "default", "min": 3, "max": 2}]}, "config.rules"),
        ("autoscaler", {"rules": [{"queue_name": "default", "min": 0, "max": 2}]}, "config.rules"),
        ("autoscaler", {"rules": {"queue_name": "default"}}, "config.rules"),
    ]
    for name, config, field in bad:
        problem(act(api, "manager.configure", {"name": name, "config": config}), 400, field)
    problem(act(api, "manager.configure", {"name": "reaper"}), 400, "config")
    problem(act(api, "manager.configure", {"name": "janitor", "config": {}}), 404, "name")
    assert manager_row(settings, "reaper")["config"] == {"missed_heartbeats": 4}  # refused: nothing changed
    ok(act(api, "manager.configure", {"name": "reaper", "config": {"missed_heartbeats": 3}}))


def test_reaper_fails_a_job_stuck_past_its_timeout(api, workers_service, job_worker, settings, redis_client) -> None:
    job_id = ok(act(api, "job.submit", {"task": "sleep", "kwargs": {"seconds": 60}}))["job"]["job_id"]
    wait_for(lambda: ok(act(api, "job.get", {"job_id": job_id}))["job"]["status"] == "running", timeout=20,
             what="the job running")
    ok(act(api, "manager.configure", {"name": "reaper", "config": {"job_timeout_s": 2, "interval_s": 1}}))
    try:
        job = wait_for(lambda: (j := ok(act(api, "job.get", {"job_id": job_id}))["job"])["status"] == "failed" and j,
                       timeout=15, what="the reaper failing the job")
        assert "reaper" in job["error"] and "job_timeout_s" in job["error"], job
        [event] = wait_for(lambda: stream_events(redis_client, "job.failed", job_id=job_id), timeout=5)
        assert event["actor"] == "system" and event["data"]["reaped"] is True
    finally:
        ok(act(api, "manager.configure", {"name": "reaper", "config": {"job_timeout_s": 3600, "interval_s": 5}}))


def test_reaper_marks_a_silent_worker_offline(api, workers_service, settings, logs_dir, redis_client) -> None:
    host = f"silent-{secrets.token_hex(3)}@test"
    worker = start_worker(settings, logs_dir, concurrency=1, SWITCHBOARD_WORKER_HOSTNAME=host)
    try:
        wait_for(lambda: rows(settings, "SELECT status FROM workers.workers WHERE hostname = %s AND status = 'online'",
                              host), timeout=20, what="the worker online")
        ok(act(api, "manager.configure", {"name": "reaper", "config": {"missed_heartbeats": 2, "interval_s": 1}}))
        os.kill(worker.proc.pid, signal.SIGSTOP)  # no heartbeats from now on
        wait_for(lambda: rows(settings, "SELECT 1 FROM workers.workers WHERE hostname = %s AND status = 'offline'",
                              host), timeout=15, what="the silent worker offline")
        events = wait_for(lambda: stream_events(redis_client, "worker.offline", hostname=host), timeout=5)
        assert events[0]["data"]["reason"] == "missed 2 heartbeats" and events[0]["actor"] == "system", events
    finally:
        os.kill(worker.proc.pid, signal.SIGCONT)
        worker.stop(timeout=30)
        ok(act(api, "manager.configure", {"name": "reaper", "config": {"missed_heartbeats": 3, "interval_s": 5}}))


def test_retention_deletes_what_is_old_and_keeps_what_is_not(api, workers_service, settings) -> None:
    tag = secrets.token_hex(4)
    old, recent = datetime.now(UTC) - timedelta(days=3), datetime.now(UTC) - timedelta(hours=1)
    jobs = {f"job_{tag}_old{i}": ("succeeded", old) for i in range(5)}
    jobs |= {f"job_{tag}_oldrunning": ("running", None), f"job_{tag}_recent": ("failed", recent)}
    with_logs = [(1, old), (2, recent)]
    import psycopg

    from services.common.db import libpq_url

    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        for job_id, (status, finished) in jobs.items():
            conn.execute("INSERT INTO jobs.jobs (job_id, task, queue, status, created_at, finished_at) "
                         "VALUES (%s, 'echo', 'default', %s, %s, %s)", (job_id, status, old, finished))
        for n, ts in with_logs:
            conn.execute("INSERT INTO logs.records (id_ms, id_seq, ts, level, component, logger, message) "
                         "VALUES (%s, %s, %s, 'info', 'test', 'test', %s)", (1, n + int(tag, 16), ts, f"{tag}-{n}"))
        for published, ts in ((old, old), (old, old), (old, old), (None, old), (recent, recent)):
            conn.execute("INSERT INTO workers.outbox (event_id, type, source, ts, trace_id, actor, data, published_at) "
                         "VALUES (gen_random_uuid(), 'test.retention', 'workers', %s, %s, 'test', '{}', %s)",
                         (ts, tag, published))
    ok(act(api, "manager.configure", {"name": "retention", "config": {"jobs_days": 1, "outbox_days": 1,
                                                                        "batch_size": 2}}))
    wait_for(lambda: act(api, "logs.set_retention", {"days": 1}).status_code == 200, timeout=15, interval=1,
             what="logs.set_retention")
    try:
        # The logs service started late in this session: the workers service's channel to it may be
        # in gRPC's reconnect back-off for some seconds, so a pass is asked again until one is clean.
        deadline = time.monotonic() + 30
        while True:
            before = manager_row(settings, "retention")["passes"]
            ok(act(api, "manager.run_now", {"name": "retention"}))
            row = wait_for(lambda b=before: (r := manager_row(settings, "retention"))["passes"] > b and r,
                           timeout=15, what="the retention pass")
            if not row["last_error"] or time.monotonic() > deadline:
                break
            assert row["last_error"].startswith("logs:"), row["last_error"]
        assert row["last_error"] == "", row["last_error"]
        left = {r["job_id"] for r in rows(settings, "SELECT job_id FROM jobs.jobs WHERE job_id LIKE %s", f"job_{tag}_%")}
        assert left == {f"job_{tag}_oldrunning", f"job_{tag}_recent"}
        logs = rows(settings, "SELECT message FROM logs.records WHERE message LIKE %s", f"{tag}-%")
        assert {r["message"] for r in logs} == {f"{tag}-2"}
        kept = rows(settings, "SELECT published_at FROM workers.outbox WHERE trace_id = %s", tag)
        # The unsent row stays (the relay may have sent it meanwhile: then it is recent), the recent one too.
        assert len(kept) == 2 and all(r["published_at"] is None or r["published_at"] > old for r in kept), kept
    finally:
        ok(act(api, "logs.set_retention", {"days": 7}))
        ok(act(api, "manager.configure", {"name": "retention", "config": {"jobs_days": 30, "outbox_days": 7,
                                                                            "batch_size": 1000}}))
