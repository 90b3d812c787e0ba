"""The bench scenarios: each returns rows (latency percentiles, throughput) and derived numbers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import grpc
import orjson
from grpc_health.v1 import health_pb2, health_pb2_grpc

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from bench.rawhttp import Connection
from bench.stack import Stack
from bench.stats import Row
from services.common.context import CallContext, new_trace_id, to_metadata

Call = Callable[[int], Awaitable[bool]]
BENCH_QUEUE = "bench"


def _token(stack: Stack, sub: str = "bench-admin", roles: tuple[str, ...] = ("admin",)) -> str:
    from gateway.auth import issue_token

    return issue_token(stack.settings, sub, list(roles), ttl_s=3600)


async def run_load(n: int, concurrency: int, make_worker: Callable[[], Awaitable[tuple[Call, Callable]]]) -> tuple[list[float], int, float]:
    """n calls spread over `concurrency` workers; returns latencies (ms), errors, wall seconds."""
    latencies: list[float] = []
    errors = 0
    it = iter(range(n))
    workers = [await make_worker() for _ in range(concurrency)]

    async def loop(call: Call) -> None:
        nonlocal errors
        for k in it:
            t0 = time.perf_counter()
            ok = await call(k)
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(call) for call, _ in workers))
    wall = time.perf_counter() - t0
    for _, close in workers:
        await close()
    return latencies, errors, wall


async def _noop() -> None:
    return None


def _direct_md() -> tuple[tuple[str, str], ...]:
    return to_metadata(CallContext(trace_id=new_trace_id(), actor="bench-admin", roles=("admin",)))


async def paused_bench_queue(queues: queue_pb2_grpc.QueueServiceStub) -> None:
    """The queue the bench's pending jobs wait in: created once, paused so nothing runs them."""
    try:
        await queues.CreateQueue(queue_pb2.CreateQueueRequest(queue_name=BENCH_QUEUE), metadata=_direct_md())
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise
    await queues.PauseQueue(queue_pb2.PauseQueueRequest(queue_name=BENCH_QUEUE), metadata=_direct_md())


async def _prepare_jobs(stub: jobs_pb2_grpc.JobsServiceStub, count: int) -> list[str]:
    ids: list[str] = []
    sem = asyncio.Semaphore(32)

    async def one() -> None:
        async with sem:
            r = await stub.SubmitJob(
                jobs_pb2.SubmitJobRequest(task="echo", kwargs={"message": "bench"}, queue=BENCH_QUEUE),
                metadata=_direct_md(),
            )
            ids.append(r.job.job_id)

    await asyncio.gather(*(one() for _ in range(count)))
    return ids


async def gateway_vs_direct(stack: Stack, *, n: int) -> tuple[list[Row], list[dict]]:
    s = stack.settings
    url = stack.gateway_urls[0]
    token = _token(stack)
    channel = grpc.aio.insecure_channel(s.addr("jobs"))
    jobs = jobs_pb2_grpc.JobsServiceStub(channel)
    qchan = grpc.aio.insecure_channel(s.addr("queue"))
    queues = queue_pb2_grpc.QueueServiceStub(qchan)
    await paused_bench_queue(queues)
    probe = (await _prepare_jobs(jobs, 1))[0]
    n_cancel = max(100, n // 2)
    rows: list[Row] = []
    comparisons: list[dict] = []

    def http_worker(body_for: Callable[[int], bytes], high_risk: bool) -> Callable[[], Awaitable[tuple[Call, Callable]]]:
        async def make() -> tuple[Call, Callable]:
            conn = await Connection(url).open()
            base = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

            async def call(k: int) -> bool:
                headers = dict(base)
                if high_risk:
                    headers["Idempotency-Key"] = uuid.uuid4().hex
                status, _, _ = await conn.request(conn.build("POST", "/api/admin/action", headers, body_for(k)))
                return status == 200

            return call, conn.close

        return make

    def grpc_worker(call_for: Callable[[int], Awaitable[object]]) -> Callable[[], Awaitable[tuple[Call, Callable]]]:
        async def make() -> tuple[Call, Callable]:
            async def call(k: int) -> bool:
                try:
                    await call_for(k)
                    return True
                except grpc.aio.AioRpcError:
                    return False

            return call, _noop

        return make

    # The floor of any hop to a service: a gRPC health check of the jobs service, no application
    # code on either side. SPEC's gateway -> service call costs at least this before any work.
    health = health_pb2_grpc.HealthStub(channel)
    await run_load(50, 1, grpc_worker(lambda k: health.Check(health_pb2.HealthCheckRequest())))
    lat, err, wall = await run_load(n, 1, grpc_worker(lambda k: health.Check(health_pb2.HealthCheckRequest())))
    rows.append(Row.of("grpc health (bare round trip)", "direct", 1, lat, err, wall))
    get_body = orjson.dumps({"action": "job.get", "payload": {"job_id": probe}})
    # The pipeline alone: an in-process GatewayAdmin query runs every step (validate, authn, audit,
    # authz, maintenance, payload, rate limit, breaker, dispatch, respond) with no service behind it,
    # so its throughput is the gateway's own, not shared with a service on the same two cores.
    local_body = orjson.dumps({"action": "circuit.list", "payload": {}})
    for conc in (1, 32):
        await run_load(50, conc, http_worker(lambda k: local_body, False))
        lat, err, wall = await run_load(n, conc, http_worker(lambda k: local_body, False))
        rows.append(Row.of("circuit.list (pipeline only)", "gateway", conc, lat, err, wall))
    for conc in (1, 32):
        # Warm both paths (connections, caches, JIT-less but lazy imports) before measuring.
        await run_load(50, conc, http_worker(lambda k: get_body, False))
        await run_load(50, conc, grpc_worker(lambda k: jobs.GetJob(jobs_pb2.GetJobRequest(job_id=probe), metadata=_direct_md())))
        lat, err, wall = await run_load(
            n, conc, grpc_worker(lambda k: jobs.GetJob(jobs_pb2.GetJobRequest(job_id=probe), metadata=_direct_md()))
        )
        direct = Row.of("job.get", "direct", conc, lat, err, wall)
        lat, err, wall = await run_load(n, conc, http_worker(lambda k: get_body, False))
        gw = Row.of("job.get", "gateway", conc, lat, err, wall)
        rows += [direct, gw]
        comparisons.append(_compare("job.get", conc, direct, gw))

        ids_direct = await _prepare_jobs(jobs, n_cancel)
        ids_gw = await _prepare_jobs(jobs, n_cancel)
        lat, err, wall = await run_load(
            n_cancel,
            conc,
            grpc_worker(lambda k, ids=ids_direct: jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=ids[k]), metadata=_direct_md())),
        )
        direct = Row.of("job.cancel (pending)", "direct", conc, lat, err, wall)
        lat, err, wall = await run_load(
            n_cancel,
            conc,
            http_worker(lambda k, ids=ids_gw: orjson.dumps({"action": "job.cancel", "payload": {"job_id": ids[k]}}), True),
        )
        gw = Row.of("job.cancel (pending)", "gateway", conc, lat, err, wall)
        rows += [direct, gw]
        comparisons.append(_compare("job.cancel", conc, direct, gw))
    await channel.close()
    await qchan.close()
    return rows, comparisons


def _compare(action: str, conc: int, direct: Row, gw: Row) -> dict:
    return {
        "action": action,
        "concurrency": conc,
        "direct_p50_ms": direct.p50_ms,
        "gateway_p50_ms": gw.p50_ms,
        "ratio_p50": round(gw.p50_ms / direct.p50_ms, 2) if direct.p50_ms else None,
        "added_p50_ms": round(gw.p50_ms - direct.p50_ms, 3),
        "added_p99_ms": round(gw.p99_ms - direct.p99_ms, 3),
        "gateway_rps": gw.throughput_rps,
        "direct_rps": direct.throughput_rps,
        "gateway_errors": gw.errors,
    }


async def _get_worker(url: str, path: str, token: str, seen: dict[str, int] | None = None):
    async def make() -> tuple[Call, Callable]:
        conn = await Connection(url).open()
        raw = conn.build("GET", path, {"Authorization": f"Bearer {token}"})

        async def call(k: int) -> bool:
            status, headers, _ = await conn.request(raw)
            if seen is not None:
                seen[headers.get("x-cache", "-")] = seen.get(headers.get("x-cache", "-"), 0) + 1
            return status == 200

        return call, conn.close

    return make


async def _action(url: str, token: str, action: str, payload: dict, key: bool = False) -> dict:
    conn = await Connection(url).open()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    try:
        _, _, body = await conn.request(
            conn.build("POST", "/api/admin/action", headers, orjson.dumps({"action": action, "payload": payload}))
        )
        return orjson.loads(body)
    finally:
        await conn.close()


async def read_path(stack: Stack, *, n: int) -> dict:
    import os

    url = stack.gateway_urls[0]
    token = _token(stack)
    out: dict = {"rows": []}
    # 1. Cache hit against a trivial endpoint of the same server.
    await run_load(20, 1, await _get_worker(url, "/api/admin/ssot", token))
    for conc in (1, 32):
        seen: dict[str, int] = {}
        lat, err, wall = await run_load(n, conc, await _get_worker(url, "/api/admin/ssot", token, seen))
        hit = Row.of("ssot (cache hit)", "gateway", conc, lat, err, wall)
        lat, err, wall = await run_load(n, conc, await _get_worker(url, "/healthz", token))
        triv = Row.of("healthz (trivial)", "gateway", conc, lat, err, wall)
        out["rows"] += [hit.as_dict(), triv.as_dict()]
        out[f"ssot_hit_vs_trivial_p50_ratio_c{conc}"] = round(hit.p50_ms / triv.p50_ms, 2) if triv.p50_ms else None
        out[f"ssot_x_cache_c{conc}"] = seen
    # 2. Hit ratio under steady reads while actions flow (each action emits an event that invalidates).
    seconds = float(os.environ.get("BENCH_SECONDS", "5"))
    actions_per_s = 5.0
    seen = {}
    stop = time.monotonic() + seconds
    acted = 0

    async def writer() -> None:
        nonlocal acted
        while time.monotonic() < stop:
            await _action(url, token, "job.submit", {"task": "echo", "kwargs": {"message": "x"}, "queue": BENCH_QUEUE}, key=True)
            acted += 1
            await asyncio.sleep(1 / actions_per_s)

    async def reader() -> None:
        call, close = await (await _get_worker(url, "/api/admin/ssot", token, seen))()
        k = 0
        while time.monotonic() < stop:
            await call(k)
            k += 1
        await close()

    await asyncio.gather(writer(), *(reader() for _ in range(8)))
    total = sum(seen.values())
    out["steady_reads"] = {
        "seconds": seconds,
        "reads": total,
        "actions": acted,
        "x_cache": seen,
        "hit_ratio": round(seen.get("HIT", 0) / total, 4) if total else None,
    }
    # 3. Cold-cache burst of 500 concurrent readers: how many fan-outs ran.
    before = (await _action(url, token, "cache.stats", {})).get("data", {})
    await _action(url, token, "cache.flush", {}, key=True)
    burst_seen: dict[str, int] = {}
    lat, err, wall = await run_load(500, 500, await _get_worker(url, "/api/admin/ssot", token, burst_seen))
    after = (await _action(url, token, "cache.stats", {})).get("data", {})
    out["rows"].append(Row.of("ssot cold burst", "gateway", 500, lat, err, wall).as_dict())
    out["cold_burst_500"] = {
        "fanouts": (after.get("fanouts", 0) or 0) - (before.get("fanouts", 0) or 0),
        "x_cache": burst_seen,
    }
    # 4. Commit -> WebSocket latency with many consoles connected.
    out["websocket"] = await _ws_latency(stack, url, token, int(os.environ.get("BENCH_WS_CLIENTS", "500")))
    return out


async def _ws_latency(stack: Stack, url: str, token: str, clients: int) -> dict:
    import websockets

    ws_url = url.replace("http://", "ws://") + "/api/admin/events?types=job.submitted"
    lat: list[float] = []
    conns = []
    for _ in range(clients):
        conns.append(await websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None))
    events = 20
    expected = clients * events

    async def consume(ws) -> None:
        async for msg in ws:
            recv = time.time()
            ev = orjson.loads(msg)
            if ev.get("type") != "job.submitted":
                continue
            ts = datetime.fromisoformat(ev["ts"].replace("Z", "+00:00")).timestamp()
            lat.append((recv - ts) * 1000)
            if len(lat) >= expected:
                return

    consumers = [asyncio.create_task(consume(ws)) for ws in conns]
    await asyncio.sleep(0.5)
    for _ in range(events):
        await _action(url, token, "job.submit", {"task": "echo", "kwargs": {"message": "ws"}, "queue": BENCH_QUEUE}, key=True)
        await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(asyncio.gather(*consumers, return_exceptions=True), timeout=20)
    except TimeoutError:
        pass
    for c in consumers:
        c.cancel()
    for ws in conns:
        await ws.close()
    lat.sort()
    from bench.stats import percentile

    return {
        "clients": clients,
        "events": events,
        "delivered": len(lat),
        "expected": expected,
        "p50_ms": round(percentile(lat, 50), 2) if lat else None,
        "p99_ms": round(percentile(lat, 99), 2) if lat else None,
    }
