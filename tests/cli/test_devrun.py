"""`make run` (tools.devrun) for real: the supervisor as a subprocess on free ports brings
every existing component to SERVING, prints the console URL and a working dev token, and leaves no
process behind after SIGTERM; it explains a missing PostgreSQL; and it starts private PostgreSQL and
Redis servers from the installed binaries when none answers."""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis as redis_sync

from gateway.auth import verify_token
from services.common.db import drop_database, libpq_url
from services.common.settings import PORTS, Settings, load
from tests.conftest import (
    REDIS_BASE,
    ROOT,
    _lease_redis_db,
    env_for,
    free_port,
    settings_env,
    wait_grpc_serving,
)
from tools import devrun


class Output:
    """Collects a child's stdout lines on a thread so the test can wait for a line without blocking."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._t = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._t.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, proc: subprocess.Popen, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := rx.search(line):
                    return m
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-80:]))

    def join(self) -> None:
        self._t.join(10)

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture()
def own_redis_db() -> Iterator[str]:
    """A Redis database of its own, so the Celery ping that devrun waits for can only be answered by
    the worker devrun started (not the session's job worker)."""
    n, owner = _lease_redis_db()
    url = f"{REDIS_BASE}/{n}"
    redis_sync.Redis.from_url(url).flushdb()
    yield url
    redis_sync.Redis.from_url(url).flushdb()
    lock = redis_sync.Redis.from_url(f"{REDIS_BASE}/0")
    if lock.get(f"switchboard:test-lease:{n}") == owner.encode():
        lock.delete(f"switchboard:test-lease:{n}")


def group_members(pgids: set[int]) -> list[int]:
    """Live (non-zombie) processes whose process group is one of `pgids`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) in pgids:
            found.append(int(entry.name))
    return found


def drive_flow_1_and_flow_3(url: str, token: str, redis_url: str) -> None:
    """The seed's flows through the gateway that `make run` started, as an operator would."""
    from services.common.events import STREAM, decode

    def act(action: str, payload: dict, trace_id: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(8)}
        if trace_id:
            headers["X-Trace-Id"] = trace_id
        resp = httpx.post(f"{url}/api/admin/action", json={"action": action, "payload": payload},
                          headers=headers, timeout=15)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    def events(type_: str) -> list[dict]:
        return [e for e in (decode(i, f) for i, f in redis_sync.Redis.from_url(redis_url).xrange(STREAM))
                if e["type"] == type_]

    def until(predicate, what: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    # Flow 1: a long job starts running, is terminated, ends cancelled, and says so once.
    job_id = act("job.submit", {"task": "sleep", "kwargs": {"seconds": 30}})["job"]["job_id"]
    until(lambda: act("job.get", {"job_id": job_id})["job"]["status"] == "running", "running")
    trace = secrets.token_hex(16)
    assert act("job.terminate", {"job_id": job_id}, trace)["job"]["status"] == "cancelled"
    cancelled = until(lambda: [e for e in events("job.cancelled") if e["data"]["job_id"] == job_id],
                      "job.cancelled")
    assert len(cancelled) == 1 and cancelled[0]["trace_id"] == trace

    # Flow 3: five pending jobs on a paused queue; a dry run changes nothing; the clear cancels all.
    queue = f"flow3-{secrets.token_hex(3)}"
    act("queue.create", {"queue_name": queue, "description": "flow 3"})
    act("queue.pause", {"queue_name": queue})
    ids = [act("job.submit", {"task": "sleep", "kwargs": {"seconds": 1}, "queue": queue})["job"]["job_id"]
           for _ in range(5)]
    assert act("queue.clear", {"queue_name": queue, "dry_run": True})["cleared"] == 5
    assert {act("job.get", {"job_id": i})["job"]["status"] for i in ids} == {"pending"}
    trace = secrets.token_hex(16)
    assert act("queue.clear", {"queue_name": queue, "dry_run": False}, trace)["cleared"] == 5
    assert {act("job.get", {"job_id": i})["job"]["status"] for i in ids} == {"cancelled"}
    cleared = until(lambda: [e for e in events("queue.cleared") if e["data"]["queue_name"] == queue],
                    "queue.cleared")
    assert cleared[0]["trace_id"] == trace


@pytest.fixture()
def own_database(settings: Settings) -> Iterator[str]:
    """A database of its own (devrun creates and migrates it): the session's services relay the
    session database's outboxes to the session's Redis, and would take this run's events."""
    url = f"{settings.database_url.rsplit('/', 1)[0]}/sb_devrun_{secrets.token_hex(4)}"
    yield url
    drop_database(url)


def test_devrun_starts_every_component_and_sigterm_stops_them_all(
    settings: Settings, own_redis_db: str, own_database: str
) -> None:
    ports = {svc: free_port() for svc in PORTS}
    gateway_port = free_port()
    env = env_for(settings)
    env.update(settings_env(own_database, own_redis_db, ports, gateway_port))
    # The flows below send more than ten high-risk commands within a minute.
    env["SWITCHBOARD_RATE_LIMIT_HIGH_RISK_PER_MIN"] = "100"
    run_settings = load(env=env)
    proc = subprocess.Popen([sys.executable, "-m", "tools.devrun"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        token = out.wait_for(r"dev admin token \(12 h\): (\S+)", proc, timeout=120).group(1)
        started = {m.group(1): int(m.group(2))
                   for m in re.finditer(r"started (\S+) \(pid (\d+)\)", out.text())}
        expected = {name for name in PORTS if devrun.module_exists(f"services.{name}")}
        assert {"jobs", "queue"} <= expected
        assert set(started) == expected | {"worker", "worker-2", "gateway"}  # two job workers (make run)
        assert "migrated schemas: " in out.text()
        assert f"console: http://127.0.0.1:{gateway_port}/" in out.text()
        for name in expected:  # our own health check, not devrun's word for it
            wait_grpc_serving(run_settings.addr(name), timeout=2)
            assert f"{name} ready (SERVING)" in out.text()
        assert "worker ready" in out.text()
        assert any(line.startswith("[jobs]") for line in out.lines)  # output prefixed per component

        principal = verify_token(run_settings, token)
        assert (principal.sub, principal.roles) == ("dev-admin", ("admin",))
        resp = httpx.get(f"http://127.0.0.1:{gateway_port}/api/admin/actions",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert resp.status_code == 200
        assert all(a["allowed"] for a in resp.json()["actions"])  # the dev token is an admin's
        drive_flow_1_and_flow_3(f"http://127.0.0.1:{gateway_port}", token, own_redis_db)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    out.join()
    assert code == 0, out.text()[-4000:]
    assert out.lines[-1].endswith("stopped")
    # Every child ran in its own process group; nothing in any of them outlived the supervisor.
    assert group_members(set(started.values())) == []


def test_devrun_explains_a_missing_postgresql_and_exits_nonzero(settings: Settings, tmp_path: Path) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/switchboard"
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = env_for(settings, DATABASE_URL=closed, SWITCHBOARD_PG_BIN=str(empty_bin),
                  PATH=f"{empty_bin}:/usr/bin:/bin")
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "tools.devrun"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert f"PostgreSQL not reachable at {closed}" in out.stdout
    assert "no initdb found; install postgresql or set DATABASE_URL" in out.stdout
    assert "started " not in out.stdout  # nothing was started
    assert time.monotonic() - started < 30


async def test_private_backends_start_from_installed_binaries(settings: Settings) -> None:
    data = Path(tempfile.mkdtemp(prefix="sb-test-pg-", dir="/tmp"))
    closed = settings.with_(database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/sb_private",
                            redis_url=f"redis://127.0.0.1:{free_port()}/4")
    sup = devrun.Supervisor(devrun.Printer(io.StringIO()))
    try:
        got = await devrun.ensure_backends(sup, closed, pg_data=data)
        assert [c.name for c in sup.backends] == ["postgres", "redis"]
        assert got.database_url != closed.database_url and got.redis_url.endswith("/4")
        assert sup.env["DATABASE_URL"] == got.database_url  # what the components will be given
        server = got.database_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(libpq_url(server)) as conn:
            assert conn.execute("SHOW fsync").fetchone()[0] == "off"
        assert redis_sync.Redis.from_url(got.redis_url).ping()
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres, mode 700
            st = data.stat()
            assert (st.st_uid, st.st_mode & 0o777) == (devrun.pwd.getpwnam("postgres").pw_uid, 0o700)
    finally:
        await sup.shutdown(grace=10)
        shutil.rmtree(data, ignore_errors=True)
    assert all(c.proc.returncode is not None for c in sup.backends)
    assert group_members({c.proc.pid for c in sup.backends}) == []
