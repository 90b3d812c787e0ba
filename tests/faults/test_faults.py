"""Fault injection (issue 15 §2, SPEC §11): kill or restart one component in the middle of a mixed
load of commands, restart it as Kubernetes would, and check that nothing an answer promised is lost.

For every action answered 2xx: its committed change (job row, cancelled status, queue pause state,
config version), its audit record (by the X-Trace-Id of the response) and its event on
`switchboard:events` (by trace id and type; duplicates allowed). Then: no job pending without a
broker message, the audit chain verifies, and every component that was not the victim kept its
PID and is healthy. One private PostgreSQL and Redis for the module (tests/faults/stack.py).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis as redis_sync

from services.common.celery import broker_keys, make_celery
from services.common.db import libpq_url
from tests.faults.stack import HAS_CONFIG, Load, Stack, build_stack, destroy, orphans, verify
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(300)

RESULTS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # Component logs and the results outlive the run (pytest's own temp dirs are rotated by any
    # concurrent session); the backends' data directories are removed.
    workdir = Path(tempfile.mkdtemp(prefix="sb-faults-"))
    st = build_stack(workdir)
    yield st
    destroy(st)
    out = workdir / "fault-results.json"
    out.write_text(json.dumps(RESULTS, indent=2))
    print(f"\nfault results ({out}):\n{json.dumps(RESULTS, indent=2)}")


def probe(load: Load, gw: int, action: str, payload: dict) -> Callable[[], bool]:
    """One request through gateway `gw`; true when answered 2xx (recorded with the load)."""
    def go() -> bool:
        with httpx.Client(timeout=10) as http:
            return load._record(load.act(http, gw, action, payload)).status == 200
    return go


def job_runs(stack: Stack, load: Load) -> Callable[[], bool]:
    """A job submitted now reaches `succeeded`: a worker consumes again."""
    def go() -> bool:
        with httpx.Client(timeout=10) as http:
            a = load._record(load.act(http, 0, "job.submit", {"task": "echo", "kwargs": {"message": "probe"}}))
        if a.status != 200:
            return False
        job_id = a.data["job"]["job_id"]
        with psycopg.connect(libpq_url(stack.settings.database_url), autocommit=True) as conn:
            return bool(wait_for(lambda: conn.execute("SELECT status FROM jobs.jobs WHERE job_id = %s",
                                                      (job_id,)).fetchone()[0] == "succeeded",
                                 timeout=20, what=f"probe job {job_id} succeeded"))
    return go


# fault name → (victim key in Stack.pids(), inject-and-restart, recovery probe)
def fault_plan(stack: Stack, load: Load, fault: str, held: HeldJobs | None):
    submit = probe(load, 0, "job.submit", {"task": "echo", "kwargs": {"message": "probe"}})
    if fault in ("jobs", "queue", "config"):
        query = {"jobs": submit, "queue": probe(load, 1, "queue.get", {"queue_name": "default"}),
                 "config": probe(load, 1, "config.list", {})}[fault]
        return f"service:{fault}", lambda: (stack.sigkill(stack.services[fault]), stack.restart_service(fault)), query
    if fault == "gateway":
        return "gateway:1", lambda: (stack.sigkill(stack.gateways[1]), stack.restart_gateway(1)), \
            probe(load, 1, "job.list", {})
    if fault == "worker":
        return "worker", lambda: (stack.sigkill(stack.worker), stack.restart_worker()), job_runs(stack, load)
    # A backend stays down until the load has felt it: 4 more failed answers than before.
    def felt() -> Callable[[], bool]:
        base = sum(a.status != 200 for a in load.answers)
        return lambda: sum(a.status != 200 for a in load.answers) >= base + 4
    if fault == "postgres":
        return None, lambda: stack.restart_postgres(felt(), during=held.release if held else lambda: None), submit
    if fault == "redis":
        return None, lambda: stack.restart_redis(felt()), submit
    raise AssertionError(fault)


class HeldJobs:
    """Jobs waiting in a paused queue that a worker is told to consume while PostgreSQL is down:
    the worker takes their messages but cannot record them as started. Each must still run once
    the database is back (deterministic, unlike the load's chance of hitting the window)."""

    def __init__(self, stack: Stack, load: Load, n: int = 5) -> None:
        self.stack, self.queue = stack, f"fq-{load.tag}-held"
        with httpx.Client(timeout=15) as http:
            assert load.act(http, 0, "queue.create", {"queue_name": self.queue}).status == 200
            assert load.act(http, 0, "queue.pause", {"queue_name": self.queue}).status == 200
            self.job_ids = []
            for i in range(n):
                a = load.act(http, 1, "job.submit", {"task": "echo", "kwargs": {"message": f"h{i}"}, "queue": self.queue})
                assert a.status == 200, a.problem
                self.job_ids.append(a.data["job"]["job_id"])
        self.app = make_celery(stack.settings)

    def release(self) -> None:
        """Called while PostgreSQL is down: the worker consumes the queue until it is empty."""
        self.app.control.add_consumer(self.queue, reply=False)
        r = redis_sync.Redis.from_url(self.stack.settings.redis_url)
        wait_for(lambda: not any(r.llen(k) for k in broker_keys(self.queue)), timeout=15,
                 what="the worker took the held jobs' messages while PostgreSQL was down")

    def statuses(self) -> dict[str, str]:
        with psycopg.connect(libpq_url(self.stack.settings.database_url), autocommit=True) as conn:
            return dict(conn.execute("SELECT job_id, status FROM jobs.jobs WHERE job_id = ANY(%s)",
                                     (self.job_ids,)).fetchall())

    def close(self) -> None:
        self.app.control.cancel_consumer(self.queue, reply=False)


class RunningJob:
    """A job running on the worker while Redis restarts: its message is unacknowledged (late
    acknowledgement) when the worker loses the broker. The worker must keep going and the job
    must end `succeeded` (kombu's close used to stop the worker here: services/common/celery.py)."""

    def __init__(self, stack: Stack, load: Load, seconds: float = 8.0) -> None:
        self.stack = stack
        with httpx.Client(timeout=15) as http:
            a = load.act(http, 0, "job.submit", {"task": "sleep", "kwargs": {"seconds": seconds}})
        assert a.status == 200, a.problem
        self.job_id = a.data["job"]["job_id"]
        wait_for(lambda: self.status() == "running", timeout=15, what="the long job running")

    def status(self) -> str:
        with psycopg.connect(libpq_url(self.stack.settings.database_url), autocommit=True) as conn:
            return conn.execute("SELECT status FROM jobs.jobs WHERE job_id = %s", (self.job_id,)).fetchone()[0]


FAULTS = ["jobs", "queue", *(["config"] if HAS_CONFIG else []), "gateway", "worker", "postgres", "redis"]


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_mid_load_loses_nothing(stack: Stack, fault: str) -> None:
    assert stack.healthy(), stack.unhealthy()
    load = Load(stack, f"{fault}-{int(time.time()) % 100000}", threads=4, max_requests=600, max_s=45.0)
    load.setup()
    held = HeldJobs(stack, load) if fault == "postgres" else None
    running = RunningJob(stack, load) if fault == "redis" else None
    victim, inject, recovered = fault_plan(stack, load, fault, held)
    before = stack.pids()
    earlier_orphans = set(orphans(stack.settings))  # reported by the case that left them

    load.start()
    wait_for(lambda: sum(a.status == 200 for a in load.answers) >= 10, timeout=20, what="load under way")
    t_fault = time.monotonic()
    inject()
    wait_for(recovered, timeout=60, interval=0.2, what=f"recovery after {fault}")
    recovery_s = time.monotonic() - t_fault
    n_ok = sum(a.status == 200 for a in load.answers)
    wait_for(lambda: sum(a.status == 200 for a in load.answers) >= n_ok + 8 or load.stop.is_set()
             or not any(t.is_alive() for t in load._threads), timeout=10, what="load after recovery")
    load.join()

    verdict = verify(stack, load)
    held_lost: dict[str, str] = {}
    if held is not None:
        try:
            wait_for(lambda: set(held.statuses().values()) == {"succeeded"}, timeout=20,
                     what="jobs consumed during the outage ran once PostgreSQL was back")
        except AssertionError:
            held_lost = {j: st for j, st in held.statuses().items() if st != "succeeded"}
        held.close()
    running_end = ""
    if running is not None:
        try:
            wait_for(lambda: running.status() == "succeeded", timeout=30, what="the long job succeeded")
        except AssertionError:
            pass
        running_end = running.status()
    left = []
    try:
        wait_for(lambda: not set(orphans(stack.settings)) - earlier_orphans, timeout=15, interval=0.5,
                 what="no orphan pending job")
    except AssertionError:
        left = sorted(set(orphans(stack.settings)) - earlier_orphans)
    # audit.verify through the gateway. Its first query after a PostgreSQL restart may land on a
    # pooled connection that died with the server (no pre-ping, docs/decisions.md): count such
    # failures (reported) and ask again, as a client would.
    verify_failures: list[str] = []

    def chain_verified() -> httpx.Response | None:
        with httpx.Client(timeout=15) as http:
            resp = http.post(f"{stack.urls[0]}/api/admin/action", json={"action": "audit.verify", "payload": {}},
                             headers={"Authorization": f"Bearer {load.token}"})
        if resp.status_code != 200:
            verify_failures.append(f"{resp.status_code} {resp.json().get('code')}")
            return None
        return resp

    r = wait_for(chain_verified, timeout=20, interval=0.5, what="audit.verify answered")
    chain = r.json()
    healthy = stack.healthy()
    unhealthy = stack.unhealthy() if not healthy else []
    after = stack.pids()
    restarted = sorted(k for k in before if before[k] != after[k] and k != victim)
    statuses: dict[str, int] = {}
    for a in load.answers:
        statuses[str(a.status)] = statuses.get(str(a.status), 0) + 1
    RESULTS[fault] = {
        "requests": verdict.answers, "answered_2xx_commands": verdict.ok_answers, "statuses": statuses,
        "lost_changes": len(verdict.lost_changes), "lost_audit": len(verdict.lost_audit),
        "lost_events": len(verdict.lost_events), "orphan_pending_jobs": len(left),
        "held_jobs_not_run": held_lost, "running_job_end": running_end,
        "recovery_s": round(recovery_s, 2), "chain_ok": chain.get("data", {}).get("ok"),
        "chain_checked": chain.get("data", {}).get("checked"), "verify_failures_first": verify_failures,
        "failures": sorted({f"{a.status} {a.action}: {a.problem}" for a in load.answers
                            if a.status not in (200, 503)})[:8],
        "detail": {"changes": verdict.lost_changes[:5], "audit": verdict.lost_audit[:5],
                   "events": verdict.lost_events[:5], "orphans": left[:5]},
    }

    assert verdict.ok_answers >= 10, f"too little load got through to judge: {statuses}"
    assert not verdict.lost_changes, f"answered 2xx without a committed change: {verdict.lost_changes}"
    assert not verdict.lost_audit, f"answered 2xx without an audit record: {verdict.lost_audit}"
    assert not verdict.lost_events, f"answered 2xx without an event: {verdict.lost_events}"
    assert not left, f"pending jobs without a broker message: {left}"
    assert not held_lost, f"jobs taken by the worker during the outage never ran: {held_lost}"
    assert running_end in ("", "succeeded"), f"the job running through the restart ended {running_end}"
    assert chain["data"]["ok"], f"audit chain: {chain}"
    assert not restarted, f"components other than {victim} restarted: {restarted}"
    assert healthy, unhealthy
