"""Load from a generator that is not Python (`wrk`, Debian's package), so the client does not take
the cores it measures (SPEC §11), and Celery Flower as a peer row on the same Redis and Celery.

`flower_vs_cancel`: Flower's `POST /api/task/revoke/{id}` beside our `job.cancel` of pending jobs of
a paused queue (auth, audit, idempotency, a database transaction and an event on our side), rows
interleaved — Flower c=1, ours c=1, Flower c=16, ours c=16, twice — so drift hits both alike.
`throughput`: `job.get`, `job.cancel` and `job.submit` at c=16 through the full pipeline, with the CPU
each process spent per action (from /proc: gateway, jobs, queue, PostgreSQL, Redis, load generator).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from bench.stack import ROOT, Stack, free_port
from bench.stats import Row

SCRIPTS = Path(__file__).resolve().parent / "wrk"
PEER_QUEUE = "bench-peer"
SECONDS = float(os.environ.get("BENCH_WRK_SECONDS", "5"))


@dataclass
class WrkResult:
    requests: int
    non_2xx: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float

    def row(self, name: str, path: str, conc: int) -> Row:
        return Row(name=name, path=path, concurrency=conc, requests=self.requests, errors=self.non_2xx + self.errors,
                   p50_ms=self.p50_ms, p99_ms=self.p99_ms, throughput_rps=round(self.rps, 1))


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    return float(m.group(1)) * _UNIT[m.group(2)] if m else float("nan")


def parse_wrk(out: str) -> WrkResult:
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M))
    req = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests=int(req.group(1)) if req else 0,
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
        errors=sum(int(x) for x in socket_errors.groups()) if socket_errors else 0,
        rps=float(rps.group(1)) if rps else 0.0,
        p50_ms=_ms(pct.get("50", "nan")),
        p99_ms=_ms(pct.get("99", "nan")),
    )


def wrk(url: str, script: str, args: list[str], *, connections: int, seconds: float = SECONDS) -> WrkResult:
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(SCRIPTS / script),
           url, "--", *args, str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr or out.stdout}")
    return parse_wrk(out.stdout)


# --- CPU per action ---------------------------------------------------------------------------


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _pids_named(name: str) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError):
                if (p / "comm").read_text().strip() == name:
                    out.append(int(p.name))
    return out


class CpuMeter:
    """CPU seconds each process group spends between `start()` and `stop()`."""

    def __init__(self, groups: dict[str, list[int] | str]) -> None:
        self.groups = groups
        self.before: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        out = {}
        for name, pids in self.groups.items():
            ids = _pids_named(pids) if isinstance(pids, str) else pids
            out[name] = sum(_cpu_s(p) for p in ids)
        return out

    def start(self) -> None:
        self.before = self._now()

    def per_action_ms(self, actions: int) -> dict[str, float]:
        after = self._now()
        return {k: round((after[k] - self.before.get(k, 0.0)) * 1000 / max(actions, 1), 3) for k in after}


# --- the stack's extras -----------------------------------------------------------------------


@contextlib.contextmanager
def flower(stack: Stack) -> Iterator[str]:
    """Celery Flower on the stack's Redis broker, API open (bound to loopback), as a peer."""
    port = free_port()
    env = {**stack.env, "FLOWER_UNAUTHENTICATED_API": "true"}
    log = open(stack.logdir / "flower.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", f"--broker={stack.settings.redis_url}", "flower",
         "--address=127.0.0.1", f"--port={port}", "--logging=warning"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthcheck", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError(f"flower exited: {(stack.logdir / 'flower.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


async def pending_jobs(stack: Stack, count: int) -> list[str]:
    """`count` pending jobs on a paused queue (real rows and broker messages), submitted directly."""
    s = stack.settings
    md = _md()
    async with grpc.aio.insecure_channel(s.addr("queue")) as qch, grpc.aio.insecure_channel(s.addr("jobs")) as jch:
        queues = queue_pb2_grpc.QueueServiceStub(qch)
        with contextlib.suppress(grpc.aio.AioRpcError):
            await queues.CreateQueue(queue_pb2.CreateQueueRequest(queue_name=PEER_QUEUE), metadata=md)
        await queues.PauseQueue(queue_pb2.PauseQueueRequest(queue_name=PEER_QUEUE), metadata=md)
        jobs = jobs_pb2_grpc.JobsServiceStub(jch)
        sem = asyncio.Semaphore(16)
        ids: list[str] = []

        async def one() -> None:
            async with sem:
                r = await jobs.SubmitJob(jobs_pb2.SubmitJobRequest(task="echo", kwargs={"message": "peer"},
                                                                   queue=PEER_QUEUE), metadata=md)
                ids.append(r.job.job_id)

        await asyncio.gather(*(one() for _ in range(count)))
        return ids


def ids_file(ids: list[str]) -> str:
    f = tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False)  # noqa: SIM115 - path handed to wrk
    f.write("\n".join(ids) + "\n")
    f.close()
    return f.name


def available() -> str | None:
    return None if shutil.which("wrk") else "wrk is not installed (apt-get install wrk)"


def jobs_needed(rate_hint: float = 600.0) -> int:
    """Enough distinct ids for one wrk run at c=16 (each request cancels a different job)."""
    return int(rate_hint * SECONDS * 1.3) + 200


__all__ = ["CpuMeter", "WrkResult", "available", "flower", "ids_file", "jobs_needed", "parse_wrk", "pending_jobs",
           "wrk"]


def _token(stack: Stack) -> str:
    from gateway.auth import issue_token

    return issue_token(stack.settings, "bench-admin", ["admin"], ttl_s=3600)


def _md() -> tuple[tuple[str, str], ...]:
    from services.common.context import CallContext, new_trace_id, to_metadata

    return to_metadata(CallContext(trace_id=new_trace_id(), actor="bench-admin", roles=("admin",)))


class IdPool:
    """Pending jobs handed out in slices: each cancel run gets ids no earlier run touched."""

    def __init__(self, ids: list[str]) -> None:
        self.ids, self.pos = ids, 0

    def take(self, n: int) -> str:
        chunk = self.ids[self.pos : self.pos + n]
        self.pos += n
        if len(chunk) < n:
            raise RuntimeError(f"id pool exhausted: seed more than {len(self.ids)} pending jobs")
        return ids_file(chunk)


def _groups(stack: Stack, gateway: str) -> dict[str, list[int] | str]:
    return {"gateway": [stack.pids[gateway]], "jobs": [stack.pids["jobs"]], "queue": [stack.pids["queue"]],
            "postgres": "postgres", "redis": "redis-server", "wrk": "wrk"}


async def flower_vs_cancel(stack: Stack) -> dict:
    """Flower's revoke against our job.cancel of pending jobs, interleaved, twice."""
    url = stack.gateway_urls[0]
    token = _token(stack)
    budget = {1: int(400 * SECONDS) + 100, 16: int(1500 * SECONDS) + 200}  # ids per run, above any rate seen
    pool = IdPool(await pending_jobs(stack, 2 * sum(budget.values())))
    flower_ids = ids_file(await pending_jobs(stack, 500))  # a revoke changes nothing: ids may repeat
    rows: list[Row] = []
    verdict: dict[str, dict] = {}
    with flower(stack) as furl:
        wrk(furl, "revoke.lua", [flower_ids], connections=4, seconds=1)  # warm both
        wrk(url, "action.lua", [token, "job.get", '{"job_id":"job_0000000000000000"}', "0"], connections=4, seconds=1)
        for _round in range(2):
            for conc in (1, 16):
                f = wrk(furl, "revoke.lua", [flower_ids], connections=conc)
                ours = wrk(url, "cancel.lua", [pool.take(budget[conc]), token], connections=conc)
                rows += [f.row("flower revoke (pending)", "flower", conc), ours.row("job.cancel (pending)", "gateway", conc)]
                v = verdict.setdefault(str(conc), {"flower": [], "ours": []})
                v["flower"].append(f.p50_ms if conc == 1 else f.rps)
                v["ours"].append(ours.p50_ms if conc == 1 else ours.rps)
    summary = {
        "c1_p50_ms": {k: round(sorted(v)[len(v) // 2], 3) for k, v in verdict["1"].items()},
        "c16_rps": {k: round(max(v), 1) for k, v in verdict["16"].items()},
    }
    summary["ours_p50_at_most_flowers"] = summary["c1_p50_ms"]["ours"] <= summary["c1_p50_ms"]["flower"]
    summary["ours_rps_at_least_flowers"] = summary["c16_rps"]["ours"] >= summary["c16_rps"]["flower"]
    return {"rows": [r.as_dict() for r in rows], "summary": summary}


async def throughput(stack: Stack, conc: int = 16) -> dict:
    """job.get, job.cancel and job.submit at c=`conc` through the full pipeline, CPU per action per process."""
    url = stack.gateway_urls[0]
    token = _token(stack)
    probe = (await pending_jobs(stack, 1))[0]
    pool = IdPool(await pending_jobs(stack, int(1500 * SECONDS) + 200))
    runs = {
        "job.get": ("action.lua", [token, "job.get", orjson_dumps({"job_id": probe}), "0"]),
        "job.cancel": ("cancel.lua", [pool.take(int(1500 * SECONDS) + 200), token]),
        "job.submit": ("action.lua", [token, "job.submit",
                                      orjson_dumps({"task": "echo", "kwargs": {"message": "x"}, "queue": PEER_QUEUE}), "1"]),
    }
    rows, cpu = [], {}
    for action, (script, args) in runs.items():
        meter = CpuMeter(_groups(stack, "gateway-0"))
        meter.start()
        res = wrk(url, script, args, connections=conc)
        cpu[action] = {**meter.per_action_ms(res.requests), "rate": round(res.rps, 1)}
        rows.append(res.row(f"{action} (wrk)", "gateway", conc))
    return {"rows": [r.as_dict() for r in rows], "cpu_ms_per_action": cpu}


def orjson_dumps(value: object) -> str:
    import orjson

    return orjson.dumps(value).decode()
