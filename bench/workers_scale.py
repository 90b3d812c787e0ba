"""`python -m bench.workers_scale`: `worker.list` over a simulated fleet (issue 9, "Speed").

On a private stack (bench/stack.py: jobs, queue, one gateway; the workers service spawned here),
a fleet of fake Celery workers is simulated the way the registry learns of real ones
(services/workers/registry.py): a separate process publishes, on the broker's `celeryev` exchange
through Celery's own `app.events.Dispatcher`, one `worker-online` per hostname and then a
`worker-heartbeat` every 2 s per hostname (Celery's default interval; phases spread evenly, with
`active` / `processed` / `loadavg` and the software fields a real worker sends). The registry's
event receiver, reaper and live-details refresh (which broadcasts `stats` / `active_queues` to every
live worker every 5 s; fake workers do not answer) run as they would against a real fleet.

With 20 and then 200 workers beating (the first 20 keep beating), once the registry lists every one
of them online, N sequential `worker.list` requests are timed:

- through the gateway (`POST /api/admin/action`, the whole HTTP pipeline),
- direct gRPC (`WorkersService.ListWorkers` on the service's port),
- both again with `status=offline`, which answers no row: the fixed cost of each path, so the
  cost per listed worker shows; and `circuit.list` (answered inside the gateway, no RPC), the
  gateway pipeline's own floor under the same machine load;
- and, when Flower (installed as a dependency) starts, its `/api/workers` on the same broker:
  `?status=true` (its in-memory event state, fed by the same heartbeats), the default (its cache of
  `inspect` replies — empty here: simulated workers do not answer `inspect`) and `?refresh=true`
  (a live `inspect` broadcast; without replies it is bounded by Flower's 1 s inspect timeout, so
  only a few requests are made).

Target (issue 9): `worker.list` with 200 workers <= 5 ms p50 through the gateway.
Environment: BENCH_WORKERS_N (requests per row, default 500), BENCH_WORKERS_SIZES (default
"20,200"), BENCH_WORKERS_FLOWER (default 1; 0 skips Flower). Prints a table and writes
bench/workers_scale.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import httpx

from admin.workers.v1 import workers_pb2 as pb
from admin.workers.v1 import workers_pb2_grpc as pb_grpc
from bench import rawhttp
from bench.stack import ROOT, Stack, _wait_grpc, free_port, running_stack
from bench.stats import Row

OUT = Path(__file__).resolve().parent / "workers_scale.json"
HEARTBEAT_S = 2.0  # Celery's worker heartbeat interval (worker_heartbeat default)
TARGET_P50_MS = 5.0


def hostnames(start: int, stop: int) -> list[str]:
    return [f"celery@bench-{i:04d}" for i in range(start, stop)]


# --- the simulated fleet (a process of its own, so the timed client shares no GIL with it) ----


def fleet(env: dict[str, str], hosts: list[str], stop: Any, sent: Any) -> None:
    """Publish `worker-online` for each host, then a heartbeat per host every HEARTBEAT_S, phases
    spread evenly over the interval, until `stop`; `sent` counts the events published."""
    import celery

    from services.common.celery import make_celery
    from services.common.settings import load

    app = make_celery(load(env))
    rnd = random.Random(len(hosts))
    software = {"sw_ident": "py-celery", "sw_ver": celery.__version__, "sw_sys": platform.system()}
    processed = dict.fromkeys(hosts, 0)
    with app.connection_for_write() as conn:
        dispatcher = app.events.Dispatcher(conn, hostname=hosts[0], enabled=True)
        for h in hosts:  # workers coming up one after another
            dispatcher.hostname = h
            dispatcher.send("worker-online", freq=HEARTBEAT_S, **software)
            sent.value += 1
            time.sleep(0.002)
        start = time.monotonic()
        step = HEARTBEAT_S / len(hosts)
        k = 0
        while not stop.is_set():
            due = start + k * step
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            h = hosts[k % len(hosts)]
            processed[h] += rnd.randint(0, 5)
            dispatcher.hostname = h
            dispatcher.send("worker-heartbeat", freq=HEARTBEAT_S, active=rnd.randint(0, 2),
                            processed=processed[h], loadavg=[0.4, 0.3, 0.2], **software)
            sent.value += 1
            k += 1
        dispatcher.close()


# --- measuring ---------------------------------------------------------------------------------


def via_raw(url: str, method: str, path: str, headers: dict[str, str], body: bytes, n: int,
            count: Any) -> tuple[list[float], int, int]:
    """`n` sequential requests on one keep-alive connection of `bench.rawhttp` (httpx spends more
    CPU per request than the servers measured here; the gateway and Flower rows use the same
    client, so their difference is theirs). `count(body)` -> how many workers an answer lists."""
    lat: list[float] = []
    errors = listed = 0

    async def run() -> None:
        nonlocal errors, listed
        conn = await rawhttp.Connection(url).open()
        raw = conn.build(method, path, headers, body)
        try:
            for _ in range(n):
                s = time.perf_counter()
                status, _, data = await conn.request(raw)
                lat.append((time.perf_counter() - s) * 1000)
                if status == 200:
                    listed = count(data)
                else:
                    errors += 1
        finally:
            await conn.close()

    asyncio.run(run())
    return lat, errors, listed


def via_gateway(url: str, token: str, n: int, status: str = "",
                action: str = "worker.list") -> tuple[list[float], int, int]:
    body = json.dumps({"action": action, "payload": {"status": status} if status else {}}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return via_raw(url, "POST", "/api/admin/action", headers, body, n,
                   lambda data: len(json.loads(data)["data"].get("workers", [])))


def via_grpc(stub: pb_grpc.WorkersServiceStub, md: tuple, n: int, status: str = "") -> tuple[list[float], int, int]:
    lat: list[float] = []
    errors = listed = 0
    for _ in range(n):
        s = time.perf_counter()
        try:
            listed = len(stub.ListWorkers(pb.ListWorkersRequest(status=status), metadata=md, timeout=10).workers)
        except grpc.RpcError:
            errors += 1
        lat.append((time.perf_counter() - s) * 1000)
    return lat, errors, listed


def via_flower(url: str, query: str, n: int) -> tuple[list[float], int, int]:
    return via_raw(url, "GET", f"/api/workers{query}", {}, b"", n, lambda data: len(json.loads(data)))


def timed(name: str, path: str, run, n: int, warm: int = 10) -> tuple[Row, int]:
    run(warm)
    t0 = time.perf_counter()
    lat, errors, listed = run(n)
    return Row.of(name, path, 1, lat, errors, time.perf_counter() - t0), listed


def wait_registry(stub: pb_grpc.WorkersServiceStub, md: tuple, hosts: set[str], timeout: float = 60) -> float:
    """Seconds until the registry lists every one of `hosts` online."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        with contextlib.suppress(grpc.RpcError):
            rows = stub.ListWorkers(pb.ListWorkersRequest(status="online"), metadata=md, timeout=5).workers
            if hosts <= {w.hostname for w in rows}:
                return time.monotonic() - t0
        time.sleep(0.2)
    raise TimeoutError(f"registry did not list {len(hosts)} workers online within {timeout} s")


def wait_gateway(http: httpx.Client, url: str, token: str, timeout: float = 30) -> None:
    """The gateway started before the workers service: wait until it reaches it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = http.post(f"{url}/api/admin/action", json={"action": "worker.list", "payload": {}},
                      headers={"Authorization": f"Bearer {token}"})
        if r.status_code == 200:
            return
        time.sleep(0.2)
    raise TimeoutError("gateway does not reach the workers service")


def start_flower(stack: Stack) -> tuple[str, subprocess.Popen] | None:
    port = free_port()
    stack.logdir.mkdir(parents=True, exist_ok=True)
    log = open(stack.logdir / "flower.log", "wb")  # noqa: SIM115 - closed with the process
    p = subprocess.Popen(
        [sys.executable, "-m", "celery", "--broker", stack.settings.redis_url, "flower",
         "--address=127.0.0.1", f"--port={port}", "--inspect_timeout=1000"],
        env={**stack.env, "FLOWER_UNAUTHENTICATED_API": "true"}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    stack.procs.append(p)  # torn down with the stack
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if p.poll() is not None:
            return None
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthcheck", timeout=1).status_code == 200:
                return url, p
        time.sleep(0.2)
    p.terminate()
    return None


def main() -> dict:
    n = int(os.environ.get("BENCH_WORKERS_N", "500"))
    sizes = [int(x) for x in os.environ.get("BENCH_WORKERS_SIZES", "20,200").split(",")]
    with_flower = os.environ.get("BENCH_WORKERS_FLOWER", "1") != "0"
    from gateway.auth import issue_token
    from services.common.context import CallContext, new_trace_id, to_metadata

    started = time.perf_counter()
    results: dict = {"when": datetime.now(UTC).isoformat(), "n": n, "sizes": sizes, "cpus": os.cpu_count(),
                     "loadavg_before": os.getloadavg(),
                     "heartbeat_s": HEARTBEAT_S, "target": f"worker.list p50 <= {TARGET_P50_MS} ms via gateway "
                                                           f"at {max(sizes)} workers"}
    table: list[dict] = []
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    fleets: list[mp.process.BaseProcess] = []
    counters: list = []
    with running_stack(gateways=1) as stack:
        s = stack.settings
        stack.spawn("workers", "services.workers")
        _wait_grpc(s.addr("workers"))
        flower = start_flower(stack) if with_flower else None
        results["flower"] = "running" if flower else ("skipped" if not with_flower else "did not start")
        url = stack.gateway_urls[0]
        token = issue_token(s, "bench-admin", ["admin"], ttl_s=3600)
        md = to_metadata(CallContext(trace_id=new_trace_id(), actor="bench-admin", roles=("admin",)))
        channel = grpc.insecure_channel(s.addr("workers"))
        stub = pb_grpc.WorkersServiceStub(channel)
        try:
            with httpx.Client(timeout=60) as http:
                wait_gateway(http, url, token)
                furl = flower[0] if flower else ""
                have = 0
                for size in sorted(sizes):
                    hosts = hostnames(have, size)
                    sent = ctx.Value("q", 0)
                    p = ctx.Process(target=fleet, args=(stack.env, hosts, stop, sent), daemon=True)
                    p.start()
                    fleets.append(p)
                    counters.append(sent)
                    have = size
                    filled = wait_registry(stub, md, set(hostnames(0, size)))
                    time.sleep(HEARTBEAT_S * 2)  # a couple of full heartbeat rounds at this size
                    print(f"{size} workers online in the registry after {filled:.1f} s; measuring")
                    rows = [timed(f"worker.list {size} workers", "gateway", lambda k: via_gateway(url, token, k), n),
                            timed(f"worker.list {size} workers", "grpc", lambda k: via_grpc(stub, md, k), n),
                            # the same call answering no row: the fixed cost of each path
                            timed(f"worker.list status=offline {size}", "gateway",
                                  lambda k: via_gateway(url, token, k, "offline"), n),
                            timed(f"worker.list status=offline {size}", "grpc",
                                  lambda k: via_grpc(stub, md, k, "offline"), n),
                            # the gateway's own floor under the same load: an in-process action, no RPC
                            timed(f"circuit.list (no RPC) {size}", "gateway",
                                  lambda k: via_gateway(url, token, k, action="circuit.list"), n)]
                    if flower:
                        rows += [
                            timed(f"flower /api/workers?status=true {size}", "flower",
                                  lambda k: via_flower(furl, "?status=true", k), n),
                            timed(f"flower /api/workers {size}", "flower",
                                  lambda k: via_flower(furl, "", k), n),
                            timed(f"flower /api/workers?refresh=true {size}", "flower",
                                  lambda k: via_flower(furl, "?refresh=true", k), 5, warm=1),
                        ]
                    for row, listed in rows:
                        table.append({**row.as_dict(), "workers": size, "listed": listed})
                        print(f"  {row.name:<42}{row.path:>8}  p50 {row.p50_ms:8.2f} ms  p99 {row.p99_ms:8.2f} ms"
                              f"  listed {listed}")
                results["events_sent"] = sum(c.value for c in counters)
        finally:
            stop.set()
            for p in fleets:
                p.join(10)
                if p.is_alive():
                    p.terminate()
            channel.close()
    results["rows"] = table
    results["loadavg_after"] = os.getloadavg()  # the machine is shared: how busy it was
    results["total_s"] = round(time.perf_counter() - started, 1)
    big = max(sizes)
    gw = next(r for r in table if r["workers"] == big and r["path"] == "gateway")
    results["target_met"] = gw["p50_ms"] <= TARGET_P50_MS and gw["errors"] == 0 and gw["listed"] == big

    print()
    print(f"{'row':<44}{'path':>8}{'workers':>8}{'listed':>8}{'n':>6}{'err':>5}{'p50 ms':>10}{'p99 ms':>10}")
    for r in table:
        print(f"{r['name']:<44}{r['path']:>8}{r['workers']:>8}{r['listed']:>8}{r['requests']:>6}{r['errors']:>5}"
              f"{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}")
    print(f"target: worker.list with {big} workers p50 <= {TARGET_P50_MS} ms through the gateway -> "
          f"{gw['p50_ms']:.2f} ms ({'ok' if results['target_met'] else 'MISSED'}); total {results['total_s']} s")
    OUT.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
