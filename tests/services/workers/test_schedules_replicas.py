"""Several workers-service replicas run each manager once: a schedule firing every second submits
exactly one job per tick while the scheduler's leader is SIGKILLed mid-run; a leader that died
between recording a tick and confirming its job leaves nothing twice; a paused manager does
nothing and stays paused across a restart."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import struct_pb2

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.common.times import iso
from services.workers.managers.lease import lease_key
from tests.conftest import Component
from tests.helpers import wait_for
from tests.services.workers.managers_helpers import act, manager_row, ok, pid_of, rows, start_replica


@pytest.fixture(scope="module")
def replicas(settings, logs_dir, workers_service) -> Iterator[list[Component]]:
    """Two more workers-service processes beside the session's (short lease and tick)."""
    started = [start_replica(settings, logs_dir), start_replica(settings, logs_dir)]
    yield started
    for comp in started:
        comp.stop()


def leader(redis_client, name: str = "scheduler") -> str:
    raw = redis_client.get(lease_key(name))
    return raw.decode().rsplit("|", 1)[0] if raw else ""


def ticks_of(settings, name: str) -> list[dict]:
    return rows(settings, "SELECT * FROM workers.schedule_ticks WHERE schedule = %s ORDER BY tick", name)


def jobs_of(settings, name: str) -> list[dict]:
    return rows(settings, "SELECT job_id, scheduled_for FROM jobs.jobs WHERE schedule = %s", name)


def test_exactly_once_per_tick_while_the_leader_is_killed(api, replicas, services, settings, logs_dir,
                                                          redis_client) -> None:
    ok(act(api, "manager.start", {"name": "scheduler"}))
    name = f"every-second-{secrets.token_hex(3)}"
    ok(act(api, "schedule.create", {"name": name, "task": "echo", "kwargs": {"message": "tick"}, "interval_s": 1}))
    try:
        wait_for(lambda: len([t for t in ticks_of(settings, name) if t["job_id"]]) >= 3, timeout=20,
                 what="three ticks fired")
        first = leader(redis_client)
        procs = {c.proc.pid: c for c in [services.running["workers"], *replicas]}
        victim = procs[pid_of(first)]
        token_before = max(t["fence"] for t in ticks_of(settings, name))
        victim.kill()  # SIGKILL: no release, no drain; its lease must lapse
        wait_for(lambda: leader(redis_client) not in ("", first), timeout=15, what="another replica leading")
        if victim is services.running["workers"]:
            services.restart("workers")
        wait_for(lambda: len([t for t in ticks_of(settings, name) if t["job_id"] and t["fence"] > token_before]) >= 3,
                 timeout=20, what="three ticks fired by the new leader")
        ok(act(api, "schedule.pause", {"name": name}))
        ticks = wait_for(lambda: (ts := ticks_of(settings, name)) and all(t["job_id"] for t in ts) and ts,
                         timeout=10, what="every recorded tick confirmed")
    finally:
        ok(act(api, "schedule.pause", {"name": name}))
    jobs = jobs_of(settings, name)
    per_tick = Counter(j["scheduled_for"] for j in jobs)
    assert max(per_tick.values()) == 1, per_tick  # never twice for one tick
    assert set(per_tick) == {t["tick"] for t in ticks}  # every recorded tick submitted, nothing else
    assert {j["job_id"] for j in jobs} == {t["job_id"] for t in ticks}
    anchor = rows(settings, "SELECT anchor FROM workers.schedules WHERE name = %s", name)[0]["anchor"]
    assert all(((t["tick"] - anchor) / timedelta(seconds=1)).is_integer() for t in ticks)
    fences = [t["fence"] for t in ticks]
    assert fences == sorted(fences) and fences[-1] > token_before  # the new leader's token is larger


def test_a_tick_left_half_done_by_a_dead_leader_is_submitted_once(api, replicas, settings) -> None:
    """Two crash windows, laid out by hand: recorded but never submitted, and submitted but never
    confirmed. The leader finds both, and the jobs service's de-duplication keeps one job a tick."""
    name = f"half-done-{secrets.token_hex(3)}"
    ok(act(api, "schedule.create", {"name": name, "task": "echo", "kwargs": {"message": "x"}, "interval_s": 3600}))
    t1 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    t2 = t1 + timedelta(hours=1)
    kwargs = struct_pb2.Struct()
    kwargs.update({"message": "x"})
    with grpc.insecure_channel(settings.addr("jobs")) as ch:
        earlier = jobs_pb2_grpc.JobsServiceStub(ch).SubmitScheduledJob(jobs_pb2.SubmitScheduledJobRequest(
            task="echo", kwargs=kwargs, queue="default", schedule=name, scheduled_for=iso(t2)), timeout=5).job
    import psycopg

    from services.common.db import libpq_url

    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        for tick in (t1, t2):
            conn.execute("INSERT INTO workers.schedule_ticks (schedule, tick, fence) VALUES (%s, %s, 0)", (name, tick))
    ticks = wait_for(lambda: (ts := ticks_of(settings, name)) and all(t["job_id"] for t in ts) and ts, timeout=10,
                     what="both ticks confirmed")
    assert {t["tick"]: t["job_id"] for t in ticks}[t2] == earlier.job_id
    per_tick = Counter(j["scheduled_for"] for j in jobs_of(settings, name))
    assert per_tick == {t1: 1, t2: 1}, per_tick
    ok(act(api, "schedule.delete", {"name": name}))


def test_a_paused_manager_does_nothing_and_stays_paused_after_a_restart(api, replicas, services, settings, logs_dir,
                                                                      redis_client) -> None:
    ok(act(api, "manager.pause", {"name": "scheduler"}))
    name = f"while-paused-{secrets.token_hex(3)}"
    try:
        ok(act(api, "schedule.create", {"name": name, "task": "echo", "kwargs": {"message": "p"}, "interval_s": 1}))
        passes = manager_row(settings, "scheduler")["passes"]
        services.running["workers"].stop()
        for comp in replicas:
            comp.stop()
            comp.start()
        services.restart("workers")
        wait_for(lambda: leader(redis_client), timeout=15, what="a scheduler leader after the restart")
        assert ok(act(api, "manager.get", {"name": "scheduler"}))["manager"]["state"] == "paused"
        # The schedule has been due for 3 s under a leading, paused scheduler: nothing fired.
        wait_for(lambda: rows(settings, "SELECT 1 FROM workers.schedules WHERE name = %s AND next_run < now() - "
                                        "interval '3 seconds'", name), timeout=15, what="the schedule overdue")
        assert ticks_of(settings, name) == [] and manager_row(settings, "scheduler")["passes"] == passes
        ok(act(api, "manager.resume", {"name": "scheduler"}))
        ticks = wait_for(lambda: ticks_of(settings, name), timeout=10, what="the scheduler firing again")
        ok(act(api, "schedule.pause", {"name": name}))
        overdue = ticks[0]
        assert overdue["tick"] > datetime.now(UTC) - timedelta(seconds=10)  # missed ticks coalesced into one
    finally:
        ok(act(api, "manager.resume", {"name": "scheduler"}))
        ok(act(api, "schedule.delete", {"name": name}))
