"""`make run`: the whole of Switchboard on one machine, under one supervisor.

It finds PostgreSQL and Redis at `DATABASE_URL` / `REDIS_URL`, or starts private ones from the
installed binaries when none answers; migrates every schema; starts each component that exists
(SPEC §2 start commands) as a subprocess with its output prefixed `[name]`; waits until the gRPC
services report SERVING, the job worker answers a Celery ping and the gateway's /healthz answers;
then prints the console URL and a dev admin token. A component that dies stops the rest; Ctrl-C or
SIGTERM stops everything (SIGTERM, wait for the drain, then SIGKILL).

Every child runs in its own session so a terminal's Ctrl-C reaches only this supervisor, which then
stops the children in order, and a last-resort SIGKILL takes a child's whole process group (the
Celery pool included) with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy.engine import make_url

from services.common.db import check_database, check_redis
from services.common.settings import PORTS, Settings, load

ROOT = Path(__file__).resolve().parents[2]
RUN_DIR = Path(os.environ.get("SWITCHBOARD_RUN_DIR") or ROOT / ".run")
TOKEN_TTL_S = 12 * 3600
START_TIMEOUT_S = 60.0
# A JSON log line with a traceback can be long; past asyncio's 64 KiB default the reader would fail
# and the child would block on a full pipe.
LINE_LIMIT = 16 * 1024 * 1024
COLOURS = ["36", "32", "33", "35", "34", "96", "92", "93", "95"]


class BackendMissing(RuntimeError):
    """Neither a reachable backend nor binaries to start a private one; the message says which."""


@dataclass
class Child:
    """One supervised subprocess and how to tell it is ready."""

    name: str
    argv: list[str]
    kind: str  # "grpc" | "http" | "celery" | "backend"
    user: str | None = None
    proc: asyncio.subprocess.Process | None = None
    pump: asyncio.Task | None = None
    stop_signal: int = signal.SIGTERM
    stopping: bool = field(default=False)


# ---------------------------------------------------------------- output


class Printer:
    """Prefixes each child's lines with `[name]`, coloured on a TTY; renders JSON log lines briefly."""

    def __init__(self, stream=sys.stdout) -> None:
        self.stream = stream
        self.colour = stream.isatty() and not os.environ.get("NO_COLOR")
        self.width = 8
        self._codes: dict[str, str] = {}

    def prefix(self, name: str) -> str:
        tag = f"[{name}]".ljust(self.width + 2)
        if not self.colour:
            return tag
        code = self._codes.setdefault(name, COLOURS[len(self._codes) % len(COLOURS)])
        return f"\x1b[{code}m{tag}\x1b[0m"

    def line(self, name: str, text: str) -> None:
        self.stream.write(f"{self.prefix(name)} {render(text)}\n")
        self.stream.flush()

    def say(self, text: str) -> None:
        self.line("devrun", text)


def render(text: str) -> str:
    """A structured (jsonlog) line as `level msg k=v`; anything else unchanged."""
    if not text.startswith("{"):
        return text
    try:
        rec = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(rec, dict) or "message" not in rec:
        return text
    more = dict(rec.get("extra") or {})
    exc = more.pop("exc", "")
    if rec.get("trace_id"):
        more["trace_id"] = rec["trace_id"]
    if rec.get("job_id"):
        more["job_id"] = rec["job_id"]
    extra = " ".join(f"{k}={v}" for k, v in more.items())
    out = f"{str(rec.get('level', '')).upper():<7} {rec['message']}" + (f"  {extra}" if extra else "")
    if exc:
        out += "\n" + str(exc)
    return out


# ---------------------------------------------------------------- backends


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def postgres_server_reason(database_url: str) -> str | None:
    """None when the PostgreSQL *server* answers (the database itself may not exist yet:
    `migrate_all` creates it), else why not."""
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    return check_database(server, timeout_s=3)


def find_pg_bin(name: str) -> str | None:
    """`SWITCHBOARD_PG_BIN` (a directory) when set, else PATH, else Debian's versioned folders,
    which are not on PATH by default."""
    only = os.environ.get("SWITCHBOARD_PG_BIN")
    if only:
        p = Path(only) / name
        return str(p) if os.access(p, os.X_OK) else None
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def pg_data_dir() -> Path:
    # initdb refuses root, and the postgres user cannot enter root's home: as root the cluster
    # lives in /tmp, owned by postgres; anyone else keeps it under ./.run/.
    if os.geteuid() == 0:
        return Path(f"/tmp/switchboard-run-pg-{os.getuid()}")
    return RUN_DIR / "pg"


def as_user(argv: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


async def run_once(argv: list[str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


async def prepare_private_postgres(database_url: str, reason: str, data_dir: Path | None = None) -> tuple[Child, str]:
    """initdb (once; the cluster is kept between runs) and the `postgres` child to start, with the
    DATABASE_URL that reaches it. Raises BackendMissing when the binaries are not installed."""
    initdb, postgres = find_pg_bin("initdb"), find_pg_bin("postgres")
    if not initdb or not postgres:
        missing = "initdb" if not initdb else "postgres"
        raise BackendMissing(
            f"PostgreSQL not reachable at {shown_url(database_url)} ({reason}) and no {missing} found; "
            "install postgresql or set DATABASE_URL"
        )
    user = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise BackendMissing("running as root needs `runuser` to start a private PostgreSQL")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise BackendMissing("running as root needs a `postgres` user to start a private PostgreSQL") from None
        user = "postgres"
    data = data_dir or pg_data_dir()
    data.mkdir(parents=True, exist_ok=True)
    if user:
        pw = pwd.getpwnam(user)
        os.chown(data, pw.pw_uid, pw.pw_gid)
    data.chmod(0o700)
    if not (data / "PG_VERSION").exists():
        code, out = await run_once(
            as_user([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], user)
        )
        if code != 0:
            raise BackendMissing(f"initdb failed in {data}:\n{out.strip()}")
    port = free_port()
    argv = [postgres, "-D", str(data), "-p", str(port), "-k", str(data),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300"]
    url = make_url(database_url).set(
        host="127.0.0.1", port=port, username="postgres", password=None
    ).render_as_string(hide_password=False)
    # The server runs as a direct child with dropped privileges (not under runuser, which does not
    # pass SIGINT on) so it gets fast shutdown (SIGINT) rather than "smart" SIGTERM, which waits
    # for idle clients.
    return Child("postgres", argv, "backend", user=user, stop_signal=signal.SIGINT), url


def prepare_private_redis(redis_url: str, reason: str) -> tuple[Child, str]:
    server = shutil.which("redis-server")
    if not server:
        raise BackendMissing(
            f"Redis not reachable at {redis_url} ({reason}) and no redis-server found; "
            "install redis-server or set REDIS_URL"
        )
    port = free_port()
    data = RUN_DIR / "redis"
    data.mkdir(parents=True, exist_ok=True)
    argv = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(data)]
    u = make_url(redis_url)
    db = u.database or "0"
    return Child("redis", argv, "backend"), f"redis://127.0.0.1:{port}/{db}"


async def wait_until(check, what: str, child: Child, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a poll of a child, not a cancellable await
    """Poll `check()` (sync, returns None when ready) in a thread until ready or the child exits."""
    deadline = time.monotonic() + timeout
    reason = None
    while time.monotonic() < deadline:
        if child.proc and child.proc.returncode is not None:
            raise RuntimeError(f"{child.name} exited with {child.proc.returncode} before {what} was ready")
        reason = await asyncio.to_thread(check)
        if reason is None:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s: {reason}")


# ---------------------------------------------------------------- components


def privileges(user: str | None) -> dict:
    if not user:
        return {}
    pw = pwd.getpwnam(user)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def describe(argv: list[str]) -> str:
    if len(argv) >= 3 and argv[1] == "-m":
        return f"python -m {argv[2]}"
    return Path(argv[0]).name


def module_exists(module: str) -> bool:
    """Whether `python -m module` would run: a module file, or a package with `__main__`."""
    try:
        spec = importlib.util.find_spec(module)
        if spec is None:
            return False
        if spec.submodule_search_locations is None:  # a plain module (services/jobs/worker.py)
            return True
        return importlib.util.find_spec(f"{module}.__main__") is not None
    except ModuleNotFoundError:
        return False


def components() -> tuple[list[Child], list[Child]]:
    """(gRPC services, then the worker and gateway that need them) — only modules that exist."""
    py = sys.executable
    services = [Child(name, [py, "-m", f"services.{name}"], "grpc") for name in PORTS
                if module_exists(f"services.{name}")]
    edge = []
    if module_exists("services.jobs.worker"):
        # Two job workers, so the workers view and `destination` have something to tell apart:
        # each names itself jobs-<random>@<host> (services/jobs/worker.py).
        edge.append(Child("worker", [py, "-m", "services.jobs.worker"], "celery"))
        edge.append(Child("worker-2", [py, "-m", "services.jobs.worker"], "celery"))
    if module_exists("gateway"):
        edge.append(Child("gateway", [py, "-m", "gateway"], "http"))
    return services, edge


def grpc_reason(addr: str) -> str | None:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(addr) as ch:
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.RpcError as exc:
        return exc.code().name
    ok = resp.status == health_pb2.HealthCheckResponse.SERVING
    return None if ok else health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)


def http_reason(url: str) -> str | None:
    import httpx

    try:
        r = httpx.get(url, timeout=1.0)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return None if r.status_code == 200 else f"HTTP {r.status_code}"


def celery_reason(settings: Settings) -> str | None:
    from services.common.celery import make_celery

    app = make_celery(settings)
    try:
        return None if app.control.ping(timeout=0.5) else "no worker answered ping"
    finally:
        app.close()


class Supervisor:
    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self.backends: list[Child] = []
        self.children: list[Child] = []
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.died: asyncio.Queue[Child] = asyncio.Queue()
        self.shutting_down = False

    async def start(self, child: Child) -> None:
        self.printer.width = max(self.printer.width, len(child.name))
        child.proc = await asyncio.create_subprocess_exec(
            *child.argv,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            limit=LINE_LIMIT,
            **privileges(child.user),
        )
        self.printer.say(f"started {child.name} (pid {child.proc.pid}): {describe(child.argv)}")
        child.pump = asyncio.create_task(self._pump(child))

    async def _pump(self, child: Child) -> None:
        assert child.proc and child.proc.stdout
        async for raw in child.proc.stdout:
            self.printer.line(child.name, raw.decode(errors="replace").rstrip("\n"))
        code = await child.proc.wait()
        if not child.stopping:
            self.printer.say(f"{child.name} exited with code {code}")
            self.died.put_nowait(child)

    async def stop_group(self, group: list[Child], grace: float) -> None:
        live = [(c, c.proc) for c in group if c.proc and c.proc.returncode is None]
        for c, proc in live:
            c.stopping = True
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(c.stop_signal)
        deadline = time.monotonic() + grace
        for c, proc in live:
            try:
                await asyncio.wait_for(proc.wait(), max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                self.printer.say(f"{c.name} did not stop within {grace:.0f}s; killing it")
        for c in group:
            # Also reaps what a child left behind in its group (a Celery pool process, postgres
            # under runuser) so nothing outlives `make run`.
            if c.proc:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(c.proc.pid, signal.SIGKILL)
                await c.proc.wait()
                if c.pump:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(c.pump, 2)

    async def shutdown(self, grace: float) -> None:
        if self.shutting_down:
            return
        self.shutting_down = True
        self.printer.say("stopping…")
        await self.stop_group(self.children, grace)
        await self.stop_group(self.backends, 15)
        self.printer.say("stopped")


async def ensure_backends(sup: Supervisor, settings: Settings, *, pg_data: Path | None = None) -> Settings:
    """Settings whose DATABASE_URL / REDIS_URL answer, starting private servers where needed."""
    say = sup.printer.say
    db_url, redis_url = settings.database_url, settings.redis_url
    reason = await asyncio.to_thread(postgres_server_reason, db_url)
    if reason is None:
        say(f"PostgreSQL at {shown_url(db_url)}")
    else:
        child, private_url = await prepare_private_postgres(db_url, reason, pg_data)
        say(f"PostgreSQL not reachable at {shown_url(db_url)} ({reason}); starting a private one")
        db_url = private_url
        sup.backends.append(child)
        await sup.start(child)
        await wait_until(lambda: postgres_server_reason(db_url), "PostgreSQL", child)
        say(f"private PostgreSQL at {shown_url(db_url)} (data in {pg_data or pg_data_dir()})")
    reason = await asyncio.to_thread(check_redis, redis_url, timeout_s=2)
    if reason is None:
        say(f"Redis at {redis_url}")
    else:
        child, private_url = prepare_private_redis(redis_url, reason)
        say(f"Redis not reachable at {redis_url} ({reason}); starting a private one")
        redis_url = private_url
        sup.backends.append(child)
        await sup.start(child)
        await wait_until(lambda: check_redis(redis_url, timeout_s=1), "Redis", child)
        say(f"private Redis at {redis_url}")
    sup.env.update(DATABASE_URL=db_url, REDIS_URL=redis_url)
    return settings.with_(database_url=db_url, redis_url=redis_url)


async def ready(child: Child, settings: Settings) -> None:
    if child.kind == "grpc":
        await wait_until(lambda: grpc_reason(settings.addr(child.name)), f"{child.name} health", child,
                         START_TIMEOUT_S)
    elif child.kind == "http":
        url = f"http://127.0.0.1:{settings.gateway_port}/healthz"
        await wait_until(lambda: http_reason(url), "gateway /healthz", child, START_TIMEOUT_S)
    elif child.kind == "celery":
        await wait_until(lambda: celery_reason(settings), "job worker ping", child, START_TIMEOUT_S)


def dev_token(settings: Settings) -> str | None:
    try:
        from gateway.auth import issue_token
    except ImportError:
        return None
    return issue_token(settings, "dev-admin", ["admin"], ttl_s=TOKEN_TTL_S)


async def bring_up(sup: Supervisor, settings: Settings) -> Settings:
    from services.common.migrate import migrate_all

    settings = await ensure_backends(sup, settings)
    schemas = await asyncio.to_thread(migrate_all, settings.database_url)
    sup.printer.say(f"migrated schemas: {', '.join(schemas) or '(none yet)'}")
    services, edge = components()
    if not services and not edge:
        raise RuntimeError("no component modules found (services.*/__main__.py, gateway/__main__.py)")
    # Services first: the job worker asks the queue service which queues to consume, and the
    # gateway's readiness is only meaningful with services behind it.
    for group in (services, edge):
        for child in group:
            sup.children.append(child)
            await sup.start(child)
        await asyncio.gather(*(ready(c, settings) for c in group))
        for c in group:
            sup.printer.say(f"{c.name} ready" + (" (SERVING)" if c.kind == "grpc" else ""))
    return settings


async def main_async() -> int:
    printer = Printer()
    settings = load()
    sup = Supervisor(printer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    grace = settings.drain_s + 5.0

    up = asyncio.create_task(bring_up(sup, settings))
    died = asyncio.create_task(sup.died.get())
    stopped = asyncio.create_task(stop.wait())
    code = 0
    try:
        done, _ = await asyncio.wait({up, died, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if up in done:
            try:
                settings = up.result()
            except BackendMissing as exc:
                printer.say(str(exc))
                return 2
            except Exception as exc:  # noqa: BLE001 - report, stop what started, exit non-zero
                printer.say(f"start-up failed: {exc}")
                return 1
            token = dev_token(settings)
            printer.say("Switchboard is up.")
            printer.say(f"console: http://127.0.0.1:{settings.gateway_port}/")
            if token:
                printer.say(f"dev admin token (12 h): {token}")
                printer.say(f"  export SWITCHBOARD_TOKEN={token}")
            else:
                printer.say("no dev token: gateway.auth is not installed")
            printer.say("Ctrl-C stops everything.")
            done, _ = await asyncio.wait({died, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if died in done:
            printer.say(f"{died.result().name} died; stopping the rest")
            code = 1
        return code
    finally:
        for t in (up, died, stopped):
            t.cancel()
        await asyncio.gather(up, died, stopped, return_exceptions=True)
        await sup.shutdown(grace)


def main() -> None:
    try:
        code = asyncio.run(main_async())
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


if __name__ == "__main__":
    main()
