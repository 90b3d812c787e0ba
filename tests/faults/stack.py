"""The fault-injection rig: a private PostgreSQL and Redis, the whole stack on them (jobs, queue and
config services, a job worker, two gateway replicas), a bounded mixed load, and the checks that
compare every 2xx answer with what the databases and the event stream hold afterwards.

Backends come from the `make run` supervisor's helpers (tools/devrun.py), so the fault tests start
them exactly as a developer's machine does. Redis runs with AOF (`appendfsync always`): a Redis
that holds a Celery broker and an event stream is only restartable without loss when it persists,
and that is the deployment the restart case models.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis as redis_sync

from gateway.auth import issue_token
from services.common.celery import UNACKED_KEY, broker_keys, make_celery
from services.common.db import check_database, check_redis, libpq_url
from services.common.events import STREAM, decode
from services.common.settings import PORTS, Settings, load
from services.jobs.broker import message_id, unacked_message_id
from tests.conftest import ROOT, Component, env_for, free_port, settings_env, wait_grpc_serving
from tests.helpers import wait_for
from tools import devrun

# Limits raised so the load measures faults, not the rate limiter; a short breaker reset so a
# restarted service is retried within a second or two (the default 30 s would hide recovery).
STACK_ENV = {
    "SWITCHBOARD_RATE_LIMIT_PER_MIN": "100000",
    "SWITCHBOARD_RATE_LIMIT_HIGH_RISK_PER_MIN": "100000",
    "SWITCHBOARD_BREAKER_RESET_S": "1",
    "SWITCHBOARD_RPC_TIMEOUT_MS": "4000",
}
START_S = 120.0
HAS_CONFIG = (ROOT / "proto/admin/config/v1/config.proto").exists() and (ROOT / "services/config/servicer.py").exists()
SERVICE_NAMES = ("jobs", "queue", *(("config",) if HAS_CONFIG else ()))
EVENT_OF = {"job.submit": "job.submitted", "job.cancel": "job.cancelled", "queue.pause": "queue.paused",
            "queue.resume": "queue.resumed", "config.set": "config.changed"}


# ------------------------------------------------------------------------------------- backends


class Backend:
    """One private backend process (its own session, so a stop reaches nothing else)."""

    def __init__(self, name: str, argv: list[str], *, user: str | None, stop_signal: int, log: Path) -> None:
        self.name, self.argv, self.user, self.stop_signal, self.log_path = name, argv, user, stop_signal, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         **devrun.privileges(self.user))

    def stop(self, timeout: float = 20) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_postgres(workdir: Path) -> tuple[Backend, str]:
    data = Path(tempfile.mkdtemp(prefix="sb-fault-pg-"))
    child, url = asyncio.run(devrun.prepare_private_postgres(
        "postgresql://postgres@127.0.0.1:5432/switchboard_faults", "fault tests use a private server", data))
    pg = Backend("postgres", child.argv, user=child.user, stop_signal=signal.SIGINT, log=workdir / "postgres.log")
    pg.data_dir = data  # type: ignore[attr-defined]
    pg.start()
    server = url.rsplit("/", 1)[0] + "/postgres"
    wait_for(lambda: check_database(server, timeout_s=1) is None, timeout=60, what="private PostgreSQL")
    return pg, url


def start_redis(workdir: Path) -> tuple[Backend, str]:
    child, url = devrun.prepare_private_redis("redis://127.0.0.1:6379/0", "fault tests use a private server")
    data = Path(tempfile.mkdtemp(prefix="sb-fault-redis-"))
    argv = [*child.argv, "--dir", str(data), "--appendonly", "yes", "--appendfsync", "always"]
    rd = Backend("redis", argv, user=None, stop_signal=signal.SIGTERM, log=workdir / "redis.log")
    rd.data_dir = data  # type: ignore[attr-defined]
    rd.start()
    wait_for(lambda: check_redis(url, timeout_s=1) is None, timeout=30, what="private Redis")
    return rd, url


# ------------------------------------------------------------------------------------- the stack


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass
class Stack:
    settings: Settings
    logs: Path
    postgres: Backend
    redis: Backend
    services: dict[str, Component] = field(default_factory=dict)
    worker: Component | None = None
    gateways: list[Component] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    # --- start / stop --------------------------------------------------------------------------

    def up(self) -> None:
        # Started side by side, each waiting for its own readiness (start-up dominates the module;
        # the limits are generous because this machine's two cores are shared).
        with ThreadPoolExecutor(8) as pool:
            svcs = {n: pool.submit(self._start_service, n) for n in SERVICE_NAMES}
            gws = [pool.submit(self._start_gateway) for _ in range(2)]
            errors: list[Exception] = []
            wk = None
            for name, fut in svcs.items():
                try:
                    self.services[name] = fut.result()
                except Exception as exc:  # noqa: BLE001 - stop what did start, then fail
                    errors.append(exc)
            if not errors:  # the worker asks the queue service which queues to consume
                wk = pool.submit(self._start_worker)
            for fut in gws:
                try:
                    comp, url = fut.result()
                    self.gateways.append(comp)
                    self.urls.append(url)
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)
            if wk is not None:
                try:
                    self.worker = wk.result()
                except Exception as exc:  # noqa: BLE001
                    errors.append(exc)
            if errors:
                raise errors[0]

    def _component(self, module: str, log: str, **extra: str) -> Component:
        return Component(module, env_for(self.settings, **STACK_ENV, **extra),
                         self.logs / f"{log}-{secrets.token_hex(3)}.log").start()

    def _start_service(self, name: str) -> Component:
        comp = self._component(f"services.{name}", name)
        self._ready(comp, lambda: wait_grpc_serving(self.settings.addr(name), timeout=START_S, proc=comp.proc))
        return comp

    def _start_gateway(self) -> tuple[Component, str]:
        port = free_port()
        comp = self._component("gateway", "gateway", GATEWAY_PORT=str(port))
        url = f"http://127.0.0.1:{port}"
        self._ready(comp, lambda: wait_for(lambda: _healthz(url) or comp.proc.poll() is not None,
                                           timeout=START_S, what="gateway /healthz"))
        return comp, url

    def _start_worker(self) -> Component:
        comp = self._component("services.jobs.worker", "worker", SWITCHBOARD_WORKER_CONCURRENCY="2")
        app = make_celery(self.settings)
        self._ready(comp, lambda: wait_for(lambda: app.control.ping(timeout=0.5) or comp.proc.poll() is not None,
                                           timeout=START_S, interval=0.2, what="job worker ping"))
        return comp

    @staticmethod
    def _ready(comp: Component, wait: Callable[[], Any]) -> None:
        try:
            wait()
            if comp.proc.poll() is not None:  # type: ignore[union-attr]
                raise RuntimeError(f"exited with {comp.proc.returncode}")  # type: ignore[union-attr]
        except Exception as exc:
            comp.kill()
            raise RuntimeError(f"{comp.module} did not start ({exc}):\n{comp.log()[-3000:]}") from None

    def down(self) -> None:
        for comp in [*self.gateways, self.worker, *reversed(list(self.services.values()))]:
            if comp is None:
                continue
            kids = child_pids(comp.proc.pid) if comp.proc else []
            comp.stop(timeout=20)
            for pid in kids:  # a Celery pool process left behind by a killed parent
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def components(self) -> dict[str, Component]:
        out = {f"service:{n}": c for n, c in self.services.items()}
        out["worker"] = self.worker  # type: ignore[assignment]
        out.update({f"gateway:{i}": g for i, g in enumerate(self.gateways)})
        return out

    def pids(self) -> dict[str, int]:
        return {name: c.proc.pid for name, c in self.components().items()}  # type: ignore[union-attr]

    # --- faults: kill, then restart as Kubernetes would ------------------------------------------

    def sigkill(self, comp: Component) -> None:
        kids = child_pids(comp.proc.pid)  # type: ignore[union-attr]
        comp.kill()
        for pid in kids:  # the prefork pool of a job worker dies with its pod
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def restart_service(self, name: str) -> None:
        comp = self.services[name]
        comp.start()  # same command, environment and port: the pod comes back
        self._ready(comp, lambda: wait_grpc_serving(self.settings.addr(name), timeout=START_S, proc=comp.proc))

    def restart_gateway(self, i: int) -> None:
        comp = self.gateways[i]
        comp.start()
        self._ready(comp, lambda: wait_for(lambda: _healthz(self.urls[i]), timeout=START_S, what="gateway /healthz"))

    def restart_worker(self) -> None:
        comp = self.worker
        comp.start()  # type: ignore[union-attr]
        app = make_celery(self.settings)
        self._ready(comp, lambda: wait_for(lambda: app.control.ping(timeout=0.5), timeout=START_S, interval=0.2,
                                           what="job worker ping"))  # type: ignore[arg-type]

    def restart_postgres(self, down: Callable[[], bool] = lambda: True,
                         during: Callable[[], None] = lambda: None) -> None:
        self.postgres.stop()
        during()
        hold(down)
        self.postgres.start()
        server = self.settings.database_url.rsplit("/", 1)[0] + "/postgres"
        wait_for(lambda: check_database(server, timeout_s=1) is None, timeout=60, what="PostgreSQL back")

    def restart_redis(self, down: Callable[[], bool] = lambda: True) -> None:
        self.redis.stop()
        hold(down)
        self.redis.start()
        wait_for(lambda: check_redis(self.settings.redis_url, timeout_s=1) is None, timeout=60, what="Redis back")

    # --- health -------------------------------------------------------------------------------

    def healthy(self, timeout: float = 30) -> bool:
        """Every component answers its health check (waited for: a client connection that
        predates a backend restart may fail once before it reconnects)."""
        try:
            wait_for(lambda: not self.unhealthy(), timeout=timeout, interval=0.5, what="every component healthy")
        except AssertionError:
            return False
        return True

    def unhealthy(self) -> list[str]:
        bad = []
        for name, comp in self.services.items():
            try:
                wait_grpc_serving(self.settings.addr(name), timeout=5, proc=comp.proc)
            except Exception as exc:  # noqa: BLE001
                bad.append(f"{name}: {exc}")
        for i, url in enumerate(self.urls):
            if not _healthz(url):
                bad.append(f"gateway {i}: /healthz does not answer")
        try:
            if not make_celery(self.settings).control.ping(timeout=1):
                bad.append("job worker: no ping answer")
        except Exception as exc:  # noqa: BLE001 - the test's own broker connection may be stale
            bad.append(f"job worker: ping failed: {exc}")
        return bad


def hold(down: Callable[[], bool], limit_s: float = 5.0) -> None:
    """Keep a backend down until `down()` says the outage was felt (requests failed), at most
    `limit_s`: an outage long enough to catch requests half-way, bounded."""
    with contextlib.suppress(AssertionError):
        wait_for(down, timeout=limit_s, interval=0.05, what="outage felt")


def _healthz(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def build_stack(workdir: Path) -> Stack:
    pg, db_url = start_postgres(workdir)
    rd = None
    try:
        rd, redis_url = start_redis(workdir)
        ports = {svc: free_port() for svc in PORTS}
        settings = load(env=settings_env(db_url, redis_url, ports, free_port()))
        from services.common.migrate import migrate_all

        migrate_all(settings.database_url)
        stack = Stack(settings, workdir, pg, rd)
        try:
            stack.up()
        except BaseException:
            stack.down()
            raise
        return stack
    except BaseException:
        for b in (rd, pg):
            if b:
                b.stop()
                shutil.rmtree(b.data_dir, ignore_errors=True)  # type: ignore[attr-defined]
        raise


def destroy(stack: Stack) -> None:
    stack.down()
    stack.redis.stop()
    stack.postgres.stop()
    for b in (stack.redis, stack.postgres):
        shutil.rmtree(b.data_dir, ignore_errors=True)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------- the load


@dataclass
class Answer:
    """One request of the load and what came back (status 0 = no answer: connection dropped)."""

    action: str
    payload: dict[str, Any]
    status: int
    trace_id: str
    t: float
    data: dict[str, Any] = field(default_factory=dict)
    gateway: int = 0
    problem: str = ""


class Load:
    """Threads sending a mix of commands round-robin over the gateways until `stop`, bounded by
    `max_requests` and `max_s`. Each thread owns one queue (pause/resume, pending jobs to cancel)."""

    def __init__(self, stack: Stack, tag: str, *, threads: int = 4, max_requests: int = 400,
                 max_s: float = 10.0) -> None:
        self.stack, self.tag = stack, tag
        self.threads, self.max_requests, self.max_s = threads, max_requests, max_s
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.token = issue_token(stack.settings, f"fault-{tag}", ["admin"])
        self.queues = [f"fq-{tag}-{i}" for i in range(threads)]
        self.sent = 0
        self._threads: list[threading.Thread] = []

    def act(self, http: httpx.Client, gw: int, action: str, payload: dict[str, Any]) -> Answer:
        trace = secrets.token_hex(16)
        headers = {"Authorization": f"Bearer {self.token}", "X-Trace-Id": trace,
                   "Idempotency-Key": str(uuid.uuid4())}
        t = time.monotonic()
        try:
            r = http.post(f"{self.stack.urls[gw]}/api/admin/action",
                          json={"action": action, "payload": payload}, headers=headers)
            body = r.json() if "json" in r.headers.get("content-type", "") else {}
            ans = Answer(action, payload, r.status_code, r.headers.get("x-trace-id", trace), t,
                         body.get("data") or {}, gw,
                         "" if r.status_code == 200 else f"{body.get('type')} {body.get('detail')}")
        except httpx.HTTPError as exc:
            ans = Answer(action, payload, 0, trace, t, {}, gw, type(exc).__name__)
        return ans

    def setup(self) -> None:
        with httpx.Client(timeout=15) as http:
            for q in self.queues:
                r = self.act(http, 0, "queue.create", {"queue_name": q})
                assert r.status == 200, f"queue.create {q}: {r.status}"
                r = self.act(http, 1, "queue.pause", {"queue_name": q})
                assert r.status == 200, f"queue.pause {q}: {r.status}"

    def start(self) -> None:
        self.t0 = time.monotonic()
        for i in range(self.threads):
            th = threading.Thread(target=self._run, args=(i,), daemon=True)
            th.start()
            self._threads.append(th)

    def join(self) -> None:
        self.stop.set()
        for th in self._threads:
            th.join(30)

    def _claim(self) -> bool:
        with self.lock:
            if self.sent >= self.max_requests or time.monotonic() - self.t0 > self.max_s:
                return False
            self.sent += 1
            return True

    def _record(self, a: Answer) -> Answer:
        with self.lock:
            self.answers.append(a)
        return a

    def _run(self, i: int) -> None:
        rnd = random.Random(f"{self.tag}-{i}")
        queue = self.queues[i]
        paused: bool | None = True  # known committed state of our queue (None: an answer was lost)
        pending: list[str] = []  # our jobs in our (paused) queue, cancellable
        n = 0
        with httpx.Client(timeout=15) as http:
            failed = False
            while not self.stop.is_set() and self._claim():
                if failed:
                    # A client backs off after a failure instead of spinning on a dead dependency
                    # (and spending the request budget in the first second of an outage).
                    self.stop.wait(0.1)
                n += 1
                gw = (n + i) % len(self.stack.urls)
                roll = rnd.random()
                if paused is None:
                    a = self._record(self.act(http, gw, "queue.get", {"queue_name": queue}))
                    if a.status == 200:
                        paused = bool(a.data["queue"]["paused"])
                    failed = a.status != 200
                    continue
                if roll < 0.35:
                    a = self._record(self.act(http, gw, "job.submit", {"task": "echo", "kwargs": {"message": f"m{n}"}}))
                elif roll < 0.55:
                    a = self._record(self.act(http, gw, "job.submit",
                                              {"task": "echo", "kwargs": {"message": f"q{n}"}, "queue": queue}))
                    if a.status == 200:
                        pending.append(a.data["job"]["job_id"])
                elif roll < 0.72 and pending:
                    job_id = pending.pop(rnd.randrange(len(pending)))
                    a = self._record(self.act(http, gw, "job.cancel", {"job_id": job_id}))
                elif roll < 0.88 or not HAS_CONFIG:
                    action = "queue.resume" if paused else "queue.pause"
                    a = self._record(self.act(http, gw, action, {"queue_name": queue}))
                    # The state the answer confirms; after a lost answer it is unknown until queue.get.
                    paused = (action == "queue.pause") if a.status == 200 else None
                    if a.status == 200:
                        a.data["changed"] = True  # our state was known, so this call flipped it
                else:
                    a = self._record(self.act(http, gw, "config.set",
                                              {"key": f"fault.{self.tag}.{i}", "value": n, "comment": "fault load"}))
                failed = a.status != 200


# ------------------------------------------------------------------------------------- the checks


@dataclass
class Verdict:
    ok_answers: int = 0
    answers: int = 0
    lost_changes: list[str] = field(default_factory=list)
    lost_audit: list[str] = field(default_factory=list)
    lost_events: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


def outbox_backlog(conn: psycopg.Connection) -> int:
    total = 0
    for schema in SERVICE_NAMES:
        total += conn.execute(f'SELECT count(*) FROM "{schema}".outbox WHERE published_at IS NULL').fetchone()[0]
    return total


def broker_ids(r: redis_sync.Redis, queue: str) -> set[str]:
    """Task ids of the messages waiting in a queue's Redis lists (kombu envelope: headers.id)."""
    return {message_id(raw) for key in broker_keys(queue) for raw in r.lrange(key, 0, -1)}


def unacked_ids(r: redis_sync.Redis) -> set[str]:
    """Messages a worker has taken but not acknowledged (kombu's `unacked` hash): the broker
    restores them to their queue after the visibility timeout."""
    return {unacked_message_id(raw) for raw in r.hvals(UNACKED_KEY)}


def orphans(settings: Settings) -> list[str]:
    """Pending, non-held jobs with no broker message anywhere (list or unacked)."""
    r = redis_sync.Redis.from_url(settings.redis_url)
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        rows = conn.execute("SELECT job_id, queue FROM jobs.jobs WHERE status = 'pending' AND NOT held").fetchall()
    queued: dict[str, set[str]] = {}
    for _, q in rows:
        if q not in queued:
            queued[q] = broker_ids(r, q)
    taken = unacked_ids(r)
    # A job whose message the worker just popped is still pending for a moment: look again.
    still = [(j, q) for j, q in rows if j not in queued[q] and j not in taken]
    if not still:
        return []
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        pending = {j for (j,) in conn.execute("SELECT job_id FROM jobs.jobs WHERE status = 'pending' AND NOT held "
                                               "AND job_id = ANY(%s)", ([j for j, _ in still],)).fetchall()}
    return sorted(f"{j} ({q})" for j, q in still if j in pending)


def verify(stack: Stack, load: Load) -> Verdict:
    s = stack.settings
    v = Verdict(answers=len(load.answers))
    ok = [a for a in load.answers if a.status == 200 and a.action in EVENT_OF]
    v.ok_answers = len(ok)
    with psycopg.connect(libpq_url(s.database_url), autocommit=True) as conn:
        wait_for(lambda: outbox_backlog(conn) == 0, timeout=30, what="every outbox row published")
        traces = [a.trace_id for a in ok]
        audited = {t: act for t, act in conn.execute(
            "SELECT trace_id, action FROM audit.audit_log WHERE trace_id = ANY(%s) AND outcome = 'succeeded'",
            (traces,)).fetchall()}
        jobs = dict(conn.execute("SELECT job_id, status FROM jobs.jobs WHERE job_id LIKE 'job%%'").fetchall())
        queues = dict(conn.execute("SELECT queue_name, paused FROM queue.queues WHERE queue_name = ANY(%s)",
                                   (load.queues,)).fetchall())
        config = {}
        if HAS_CONFIG:
            config = {(k, ver) for k, ver in conn.execute(
                "SELECT key, version FROM config.versions WHERE key LIKE %s", (f"fault.{load.tag}.%",)).fetchall()}
    events = set()
    r = redis_sync.Redis.from_url(s.redis_url)
    for sid, fields in r.xrange(STREAM):
        e = decode(sid, fields)
        events.add((e["trace_id"], e["type"]))

    # Committed changes. A queue's final state must be the last one an answer confirmed, unless a
    # later request on it went unanswered (then either state is possible and proves nothing).
    last_queue: dict[str, Answer] = {}
    for a in sorted(load.answers, key=lambda a: a.t):
        q = a.payload.get("queue_name")
        if q in load.queues and a.action in ("queue.pause", "queue.resume", "queue.get"):
            last_queue[q] = a
    for a in ok:
        what = f"{a.action} {a.payload} trace {a.trace_id}"
        if a.action == "job.submit":
            if a.data["job"]["job_id"] not in jobs:
                v.lost_changes.append(what)
        elif a.action == "job.cancel":
            if jobs.get(a.payload["job_id"]) != "cancelled":
                v.lost_changes.append(f"{what}: status {jobs.get(a.payload['job_id'])}")
        elif a.action == "config.set":
            if (a.payload["key"], a.data["entry"]["version"]) not in config:
                v.lost_changes.append(what)
        if audited.get(a.trace_id) != a.action:
            v.lost_audit.append(what)
        needs_event = a.action not in ("queue.pause", "queue.resume") or a.data.get("changed")
        if needs_event and (a.trace_id, EVENT_OF[a.action]) not in events:
            v.lost_events.append(what)
    for q, a in last_queue.items():
        if a.status == 200:
            want = a.data["queue"]["paused"] if a.action == "queue.get" else a.action == "queue.pause"
            if queues.get(q) != want:
                v.lost_changes.append(f"{a.action} {q} trace {a.trace_id}: paused={queues.get(q)}")
    return v
