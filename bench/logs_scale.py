"""`python -m bench.logs_scale`: the logs service at scale (issue 12, "Tests and speed").

On a private stack (bench/stack.py: jobs, queue, one gateway; the logs service spawned here):

1. **Ingestion** (into the seeded table). Four producer processes, each configured exactly like a component
   (`services.common.jsonlog.setup(component, "INFO", redis_url)`: the JSON console handler, sent
   to /dev/null, and the `logship` shipper), log for BENCH_LOGS_SECONDS while a thread drives
   `job.submit` / `job.get` through the gateway. Every record carries a per-run marker (logger
   `bench.<marker>.p<i>`) and a sequence number, so produced, stored (distinct) and dropped add up
   per run. Three phases:
   - `steady`: each producer offers BENCH_LOGS_RATE records/s (default 2,000: 8,000/s in all);
     target >= 5,000 records/s ingested into `logs.records`, zero records lost;
   - `flat-out`: each producer logs as fast as it can; what the shipper cannot send is dropped
     (drop-oldest) and must be counted exactly: produced = stored + dropped;
   - `redis-outage`: the producers reach Redis through a TCP proxy of this process that is closed
     for BENCH_LOGS_OUTAGE seconds in the middle (connections refused, as with Redis stopped); the
     loss must be counted exactly by the shippers' drop counters (and `switchboard:logs:dropped`),
     and the log call must stay as fast while Redis is away.
2. **Search** (run first, so it is over exactly the seeded records). BENCH_LOGS_ROWS records (default 1,000,000) are seeded by COPY (six days of
   requests: gateway access records, service action records, job worker records with job ids,
   background noise; levels, components, trace ids and text spread like the real thing), then
   `logs.search` by trace id and by text through the gateway, BENCH_LOGS_N requests each;
   target p50 <= 50 ms. EXPLAIN ANALYZE of the statements goes into the JSON.

Prints a table and writes bench/logs_scale.json.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing as mp
import os
import random
import secrets
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
import redis as redis_sync

from bench.stack import _wait_grpc, free_port, running_stack
from bench.stats import Row, percentile
from services.common.db import libpq_url
from services.common.logship import DROPPED_KEY

OUT = Path(__file__).resolve().parent / "logs_scale.json"
PRODUCER_COMPONENTS = ("gateway", "jobs", "queue", "job-worker")
COLUMNS = ("id_ms", "id_seq", "ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra")


# --- producers: real components' logging, as fast as asked ------------------------------------


def _producer(i: int, redis_url: str, marker: str, rate: float, seconds: float, down, out, ready, go) -> None:
    """One producer process: `jsonlog.setup` as a component does, then log for `seconds`."""
    import logging

    from services.common import jsonlog

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the console JSON lines are formatted and written, to nowhere
    component = PRODUCER_COMPONENTS[i % len(PRODUCER_COMPONENTS)]
    jsonlog.setup(component, "INFO", redis_url)
    shipper = jsonlog.shipper()
    assert shipper is not None
    log = logging.getLogger(f"bench.{marker}.p{i}")
    rnd = random.Random(i)
    call_s = {False: 0.0, True: 0.0}  # time inside log calls while Redis is up / away
    calls = {False: 0, True: 0}
    n = 0
    chunk = 50
    ready.put(i)
    go.wait()  # every producer set up: the window starts for all at once
    t0 = time.perf_counter()
    end = t0 + seconds
    trace = secrets.token_hex(16)
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if rate > 0:
            due = t0 + n / rate
            if due > now:
                time.sleep(due - now)
        away = down.is_set()
        s = time.perf_counter()
        for _ in range(chunk):
            if n % 4 == 0:
                trace = f"{rnd.getrandbits(128):032x}"
            log.info("bench record %d of run %s dispatched to queue default", n, marker,
                     extra={"seq": n, "trace_id": trace, "action": "job.submit"})
            n += 1
        call_s[away] += time.perf_counter() - s
        calls[away] += chunk
    produced_s = time.perf_counter() - t0
    flushed = shipper.flush(timeout=60)
    out.put({
        "producer": i, "component": component, "produced": n, "seconds": round(produced_s, 3),
        "dropped": shipper.dropped, "shipped": shipper.shipped, "flushed": flushed,
        "unreported_drops": shipper.unreported_drops(),
        "call_us_up": round(call_s[False] / calls[False] * 1e6, 2) if calls[False] else None,
        "call_us_down": round(call_s[True] / calls[True] * 1e6, 2) if calls[True] else None,
    })
    shipper.close(timeout=0.1)


# --- a TCP proxy in front of Redis that can be closed (Redis "down" for the producers) -------


class Proxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._halt = threading.Event()

    def up(self) -> None:
        self._halt.clear()
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        self._listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def down(self, grace_s: float = 0.3) -> None:
        """Redis becomes unreachable between two commands: requests stop reaching it at once,
        replies to those already forwarded still arrive for `grace_s`, then every connection is
        closed and connects are refused until `up()`. (A cut mid-reply would leave the shipper
        unable to know whether its batch was written: it counts it dropped although Redis has it.)"""
        self._halt.set()
        time.sleep(grace_s)
        with self._lock:
            socks, self._socks = self._socks, []
            ls, self._listener = self._listener, None
        for s in [ls, *socks]:
            if s is not None:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()

    def _accept(self, ls: socket.socket) -> None:
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.upstream)
            except OSError:
                c.close()
                continue
            with self._lock:
                if self._listener is not ls:
                    c.close()
                    u.close()
                    return
                self._socks += [c, u]
            threading.Thread(target=self._pump, args=(c, u, self._halt), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, None), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket, halt: threading.Event | None) -> None:
        try:
            while data := a.recv(65536):
                if halt is not None and halt.is_set():
                    continue  # a request after the cut never reaches Redis
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


# --- action load through the gateway ----------------------------------------------------------


class ActionLoad:
    """job.submit then job.get of it, in a loop, through the gateway (one client, sequential)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.stop = threading.Event()
        self.lat: list[float] = []
        self.errors = 0
        self.t0 = self.t1 = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ActionLoad:
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(30)
        self.t1 = time.perf_counter()

    def _post(self, http: httpx.Client, action: str, payload: dict, key: bool = False) -> dict | None:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        s = time.perf_counter()
        try:
            r = http.post(f"{self.url}/api/admin/action", json={"action": action, "payload": payload}, headers=headers)
        except httpx.HTTPError:
            self.errors += 1
            return None
        self.lat.append((time.perf_counter() - s) * 1000)
        if r.status_code != 200:
            self.errors += 1
            return None
        return r.json()

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                body = self._post(http, "job.submit", {"task": "echo", "kwargs": {"message": "bench"},
                                                       "queue": "default"}, key=True)
                data = (body or {}).get("data", body or {})
                job_id = (data.get("job") or {}).get("job_id") or data.get("job_id")
                if job_id:
                    self._post(http, "job.get", {"job_id": job_id})

    def summary(self) -> dict:
        lat = sorted(self.lat)
        wall = max(1e-9, self.t1 - self.t0)
        return {"requests": len(lat), "errors": self.errors, "rps": round(len(lat) / wall, 1),
                "p50_ms": round(percentile(lat, 50), 2), "p99_ms": round(percentile(lat, 99), 2)}


# --- one ingestion phase ----------------------------------------------------------------------


def _stored(conn: psycopg.Connection, marker: str, since_ms: int) -> tuple[int, int]:
    """(rows, distinct records) of this run's marker ingested into logs.records."""
    row = conn.execute(
        "SELECT count(*), count(DISTINCT (logger, extra->>'seq')) FROM logs.records "
        "WHERE id_ms >= %s AND logger LIKE %s",
        (since_ms, f"bench.{marker}.p%"),
    ).fetchone()
    return int(row[0]), int(row[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _dropped_hash(r: redis_sync.Redis) -> int:
    return sum(int(v) for v in r.hgetall(DROPPED_KEY).values())


def ingestion_phase(name: str, *, stack, redis_url_for_producers: str, producers: int, rate: float,
                    seconds: float, url: str, token: str, outage: tuple[float, float] | None = None,
                    proxy: Proxy | None = None) -> dict:
    s = stack.settings
    marker = f"{name.replace('-', '')}{secrets.token_hex(4)}"
    r = redis_sync.Redis.from_url(s.redis_url)
    dropped_before = _dropped_hash(r)
    cpu_before = _cpu_s(stack.pids["logs"])
    since_ms = int(time.time() * 1000) - 1000
    ctx = mp.get_context("spawn")
    down, go = ctx.Event(), ctx.Event()
    out, ready = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_producer, args=(i, redis_url_for_producers, marker, rate, seconds, down, out,
                                                 ready, go))
             for i in range(producers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)  # spawned and configured (imports take seconds on a busy machine)
    polls: list[tuple[float, int]] = []
    results: list[dict] = []
    with psycopg.connect(libpq_url(s.database_url), autocommit=True) as conn, ActionLoad(url, token) as load:
        go.set()
        t0 = time.monotonic()
        outage_done = False
        while len(results) < producers:
            el = time.monotonic() - t0
            if outage and proxy is not None:
                if not down.is_set() and not outage_done and el >= outage[0]:
                    down.set()
                    proxy.down()
                elif down.is_set() and el >= outage[0] + outage[1]:
                    proxy.up()
                    down.clear()
                    outage_done = True
            polls.append((el, _stored(conn, marker, since_ms)[0]))
            with contextlib.suppress(Exception):
                results.append(out.get(timeout=0.25))
            if el > seconds + 120:
                raise TimeoutError(f"{name}: producers did not finish")
        load.stop.set()
        produced = sum(x["produced"] for x in results)
        dropped = sum(x["dropped"] for x in results)
        # Wait until the logs service has ingested everything the shippers sent.
        deadline = time.monotonic() + 60
        rows, distinct = _stored(conn, marker, since_ms)
        while distinct < produced - dropped and time.monotonic() < deadline:
            time.sleep(0.2)
            rows, distinct = _stored(conn, marker, since_ms)
            polls.append((time.monotonic() - t0, rows))
        time.sleep(1.0)  # anything late (duplicates) shows up too
        rows, distinct = _stored(conn, marker, since_ms)
    for p in procs:
        p.join(10)
    # Ingestion rate: from the first record stored to the last one stored (poll resolution 0.25 s).
    first = next((t for t, c in polls if c > 0), 0.0)
    last = next((t for t, c in polls if c >= rows), polls[-1][0])
    produce_s = max(x["seconds"] for x in results)
    ingest_s = max(1e-9, last - first)
    dropped_reported = _dropped_hash(r) - dropped_before
    logs_cpu = _cpu_s(stack.pids["logs"]) - cpu_before
    up = [x["call_us_up"] for x in results if x["call_us_up"] is not None]
    dn = [x["call_us_down"] for x in results if x["call_us_down"] is not None]
    return {
        "phase": name, "marker": marker, "producers": producers,
        "offered_rate_per_producer": rate or "as fast as possible", "seconds": seconds,
        "outage_s": list(outage) if outage else None,
        "produced": produced, "produced_per_s": round(produced / produce_s, 1),
        "stored_rows": rows, "stored_distinct": distinct, "duplicates": rows - distinct,
        "dropped_counted": dropped, "dropped_reported_to_redis": dropped_reported,
        "lost_uncounted": produced - distinct - dropped,
        "exact": produced == distinct + dropped and dropped == dropped_reported,
        "ingested_per_s": round(rows / ingest_s, 1), "ingest_window_s": round(ingest_s, 2),
        "drain_after_producers_s": round(max(0.0, last - produce_s), 2),
        "logs_service_cpu_s": round(logs_cpu, 2),
        "logs_service_cpu_us_per_record": round(logs_cpu / max(1, rows) * 1e6, 1),
        "log_call_us_up": round(sum(up) / len(up), 2) if up else None,
        "log_call_us_down": round(sum(dn) / len(dn), 2) if dn else None,
        "action_load": load.summary(),
        "producers_detail": sorted(results, key=lambda x: x["producer"]),
    }


# --- seeding a million records ----------------------------------------------------------------

VOCAB = (
    "order payment invoice customer report export user account session cache refresh token retry "
    "upload download archive backup restore sync index thumbnail resize email notify webhook ledger "
    "balance shipment warehouse inventory audit compliance billing subscription renewal coupon "
    "discount catalog product price tax currency refund chargeback dispute fraud score model "
    "training dataset feature pipeline batch stream partition shard replica snapshot checkpoint "
    "migration schema tenant region cluster node pod deploy rollout canary metric alert dashboard "
    "quota limit throttle backoff lease lock mutex semaphore barrier epoch window aggregate rollup "
    "digest summary nightly weekly monthly quarterly yearly europe asia america africa oceania"
).split()
WORKER_ERRORS = ("boom", "deadlock detected on relation jobs", "timeout waiting for upstream ledger",
                 "connection reset by peer", "division by zero in rollup", "invalid currency code")
BACKGROUND = (
    ("info", "services.outbox", "outbox relay published {n} events"),
    ("info", "services.heartbeat", "heartbeat sent"),
    ("debug", "services.pool", "pool checkout took {n} ms"),
    ("warning", "services.redis", "redis reconnect after {n} ms"),
    ("warning", "services.jobs", "job lease expired for worker {n}"),
    ("error", "services.db", "could not serialize access due to concurrent update ({n})"),
)
SERVICE_OF = {"job": "jobs", "queue": "queue", "worker": "workers", "system": "system", "config": "config",
              "logs": "logs"}
ACTIONS = ("job.submit", "job.get", "job.list", "job.cancel", "queue.stats", "worker.list", "system.report",
           "config.get", "logs.search")


def _words(rnd: random.Random, k: int, weights: list[float]) -> str:
    return " ".join(rnd.choices(VOCAB, weights=weights, k=k))


def seed(database_url: str, rows: int, days: float = 6.0) -> dict:
    """COPY `rows` records spread over `days` (indexes dropped and rebuilt around the load,
    as a restore would); returns timings and a sample of trace ids and text terms to search."""
    rnd = random.Random(12)
    weights = [1 / (k + 1) for k in range(len(VOCAB))]  # Zipf: a few common words, many rare ones
    now = datetime.now(UTC) - timedelta(minutes=5)
    span = days * 86400
    traces: list[str] = []
    buf = io.StringIO()
    written = 0
    seq = 0

    def put(ts: datetime, level: str, component: str, logger: str, message: str, trace: str, job: str,
            extra: dict) -> None:
        nonlocal written, seq
        ms = int(ts.timestamp() * 1000)
        seq += 1
        ex = orjson.dumps(extra).decode().replace("\\", "\\\\")
        buf.write(f"{ms}\t{seq}\t{ts.isoformat()}\t{level}\t{component}\t{logger}\t{message}\t{trace}\t{job}\t{ex}\n")
        written += 1

    t0 = time.perf_counter()
    with psycopg.connect(libpq_url(database_url)) as conn:
        idx = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'logs' AND tablename = 'records' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'logs.records'::regclass)"
        ).fetchall()
        for name, _ in idx:
            conn.execute(f"DROP INDEX logs.{name}")
        with conn.cursor() as cur, cur.copy(f"COPY logs.records ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            while written < rows:
                ts = now - timedelta(seconds=rnd.uniform(0, span))
                if rnd.random() < 0.15:  # background noise, no trace
                    level, logger, msg = rnd.choices(BACKGROUND, weights=(40, 40, 10, 5, 3, 2))[0]
                    comp = rnd.choice(("jobs", "queue", "workers", "system", "config", "logs", "gateway"))
                    put(ts, level, comp, logger, msg.format(n=rnd.randint(1, 5000)), "", "", {})
                else:  # one request: gateway access, the service's action record, maybe a job's run
                    trace = f"{rnd.getrandbits(128):032x}"
                    if len(traces) < 5000 and rnd.random() < 0.05:
                        traces.append(trace)
                    action = rnd.choices(ACTIONS, weights=(30, 25, 10, 5, 8, 6, 6, 5, 5))[0]
                    svc = SERVICE_OF.get(action.split(".")[0], "jobs")
                    status = rnd.choices((200, 400, 404, 503), weights=(94, 3, 2, 1))[0]
                    if rnd.random() < 0.2:
                        put(ts, "debug", "gateway", "gateway.pipeline", f"{action} passed ratelimit", trace, "", {})
                    put(ts, "info", svc, "services.action", f"action {action}", trace, "", {"action": action})
                    lvl = "info" if status < 500 else "error"
                    put(ts + timedelta(milliseconds=3), lvl, "gateway", "gateway.access",
                        f"POST /api/admin/action {action} {status}", trace, "",
                        {"action": action, "status": status, "outcome": "ok" if status == 200 else "error",
                         "duration_ms": round(rnd.expovariate(1 / 8), 2)})
                    if action == "job.submit":
                        job = f"job_{rnd.getrandbits(64):016x}"
                        t = ts + timedelta(milliseconds=rnd.uniform(5, 2000))
                        put(t, "info", "job-worker", "services.jobs.worker", "job attempt started", trace, job, {})
                        put(t, "info", "job-worker", "services.jobs.samples", _words(rnd, rnd.randint(4, 12), weights),
                            trace, job, {})
                        if rnd.random() < 0.06:
                            err = rnd.choice(WORKER_ERRORS)
                            put(t, "error", "job-worker", "services.jobs.worker", f"task failed: {err}", trace, job,
                                {"traceback": f"Traceback (most recent call last):\n  ...\nRuntimeError: {err}"})
                        put(t, "info", "job-worker", "services.jobs.worker", "job attempt ended", trace, job,
                            {"outcome": "ok"})
                if buf.tell() > 4_000_000:
                    copy.write(buf.getvalue())
                    buf.seek(0)
                    buf.truncate()
            copy.write(buf.getvalue())
        copy_s = time.perf_counter() - t0
        for _, ddl in idx:
            conn.execute(ddl)
        conn.commit()
        index_s = time.perf_counter() - t0 - copy_s
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE logs.records")
        freq = {}
        total = conn.execute("SELECT count(*) FROM logs.records").fetchone()[0]
        for term in ("deadlock", "job", VOCAB[0], VOCAB[5], VOCAB[40], VOCAB[90], "timeout ledger"):
            freq[term] = conn.execute("SELECT count(*) FROM logs.records WHERE tsv @@ plainto_tsquery('simple', %s)",
                                      (term,)).fetchone()[0]
    return {"rows": total, "copy_s": round(copy_s, 1), "index_s": round(index_s, 1),
            "total_s": round(time.perf_counter() - t0, 1), "traces": traces, "term_matches": freq}


# --- search ----------------------------------------------------------------------------------


def measure(http: httpx.Client, url: str, token: str, name: str, payloads: list[dict], n: int) -> tuple[Row, float]:
    lat: list[float] = []
    errors = 0
    hits = 0
    headers = {"Authorization": f"Bearer {token}"}
    t0 = time.perf_counter()
    for k in range(n):
        body = {"action": "logs.search", "payload": payloads[k % len(payloads)]}
        s = time.perf_counter()
        r = http.post(f"{url}/api/admin/action", json=body, headers=headers)
        lat.append((time.perf_counter() - s) * 1000)
        if r.status_code != 200:
            errors += 1
        else:
            hits += len(r.json()["data"]["records"])
    return Row.of(name, "gateway", 1, lat, errors, time.perf_counter() - t0), hits / max(1, n)


def plans(database_url: str, trace: str, terms: dict[str, str]) -> dict[str, str]:
    cols = "id_ms, id_seq, ts, level, component, logger, message, trace_id, job_id, extra"
    order = "ORDER BY ts DESC, id_ms DESC, id_seq DESC LIMIT 51"
    stmts = {"trace_id": (f"SELECT {cols} FROM logs.records WHERE trace_id = %s {order}", (trace,))}
    for name, term in terms.items():
        stmts[name] = (f"SELECT {cols} FROM logs.records WHERE tsv @@ plainto_tsquery('simple', %s) {order}", (term,))
    out = {}
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        for name, (sql, args) in stmts.items():
            rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", args).fetchall()
            out[name] = "\n".join(r[0] for r in rows)
    return out


# --- the run ----------------------------------------------------------------------------------


def main() -> dict:
    rows = int(os.environ.get("BENCH_LOGS_ROWS", "1000000"))
    seconds = float(os.environ.get("BENCH_LOGS_SECONDS", "10"))
    n = int(os.environ.get("BENCH_LOGS_N", "100"))
    rate = float(os.environ.get("BENCH_LOGS_RATE", "2000"))
    outage_s = float(os.environ.get("BENCH_LOGS_OUTAGE", "8"))
    producers = int(os.environ.get("BENCH_LOGS_PRODUCERS", "4"))
    from gateway.auth import issue_token

    started = time.perf_counter()
    results: dict = {"when": datetime.now(UTC).isoformat(), "rows": rows, "seconds": seconds, "n": n,
                     "rate_per_producer": rate, "producers": producers, "cpus": os.cpu_count(),
                     "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    with running_stack(gateways=1) as stack:
        s = stack.settings
        stack.spawn("logs", "services.logs")
        _wait_grpc(s.addr("logs"))
        print(f"private stack up; logs service pid {stack.pids['logs']}", flush=True)
        url = stack.gateway_urls[0]
        token = issue_token(s, "bench-admin", ["admin"], ttl_s=3600)

        sd = seed(s.database_url, rows)
        traces = sd.pop("traces")
        results["seed"] = sd
        print(f"seeded {sd['rows']} records by COPY in {sd['total_s']} s (copy {sd['copy_s']} s, "
              f"indexes {sd['index_s']} s); text matches {sd['term_matches']}")

        sample = random.Random(3).sample(traces, min(len(traces), max(n, 1)))
        terms = {"text rare (deadlock)": "deadlock", "text mid (" + VOCAB[40] + ")": VOCAB[40],
                 "text common (job)": "job", "text two words (timeout ledger)": "timeout ledger"}
        cases = [("logs.search trace_id", [{"trace_id": t} for t in sample])]
        cases += [(f"logs.search {k}", [{"text": v}]) for k, v in terms.items()]
        cases += [("logs.search text+level error", [{"text": "ledger", "level": "error"}])]
        table: list[Row] = []
        hits: dict[str, float] = {}
        with httpx.Client(timeout=60) as http:
            for name, payloads in cases:
                measure(http, url, token, name, payloads, 5)
                row, avg_hits = measure(http, url, token, name, payloads, n)
                table.append(row)
                hits[name] = round(avg_hits, 1)
        results["search"] = [{**r.as_dict(), "avg_records": hits[r.name]} for r in table]
        results["plans"] = plans(s.database_url, sample[0], terms)
        print("search: " + ", ".join(f"{r.name} p50 {r.p50_ms} ms" for r in table))

        phases = []
        for name, r in (("steady", rate), ("flat-out", 0.0)):
            ph = ingestion_phase(name, stack=stack, redis_url_for_producers=s.redis_url, producers=producers,
                                 rate=r, seconds=seconds, url=url, token=token)
            phases.append(ph)
            print(f"{name}: produced {ph['produced']} ({ph['produced_per_s']}/s), stored {ph['stored_distinct']}, "
                  f"dropped {ph['dropped_counted']}, ingested {ph['ingested_per_s']}/s")
        proxy = Proxy(("127.0.0.1", int(s.redis_url.split("//", 1)[1].split("/")[0].split(":")[1])))
        proxy.up()
        db = s.redis_url.rsplit("/", 1)[1]
        outage_seconds = max(seconds, outage_s + 6)
        ph = ingestion_phase("redis-outage", stack=stack, redis_url_for_producers=f"redis://127.0.0.1:{proxy.port}/{db}",
                             producers=producers, rate=rate, seconds=outage_seconds, url=url, token=token,
                             outage=(3.0, outage_s), proxy=proxy)
        proxy.down()
        phases.append(ph)
        print(f"redis-outage: produced {ph['produced']}, stored {ph['stored_distinct']}, dropped {ph['dropped_counted']} "
              f"(reported {ph['dropped_reported_to_redis']}), exact {ph['exact']}")
        results["ingestion"] = phases
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]  # the machine is shared: noise

    print()
    print(f"{'ingestion phase':<16}{'produced':>10}{'stored':>10}{'dropped':>9}{'exact':>7}{'prod/s':>9}"
          f"{'ingest/s':>10}{'call us up/down':>18}{'actions/s':>11}")
    for ph in phases:
        ud = f"{ph['log_call_us_up']}/{ph['log_call_us_down'] or '-'}"
        print(f"{ph['phase']:<16}{ph['produced']:>10}{ph['stored_distinct']:>10}{ph['dropped_counted']:>9}"
              f"{'yes' if ph['exact'] else 'NO':>7}{ph['produced_per_s']:>9.0f}{ph['ingested_per_s']:>10.0f}"
              f"{ud:>18}{ph['action_load']['rps']:>11}")
    st = phases[0]
    print(f"target: steady ingestion >= 5000/s with zero loss -> {st['ingested_per_s']:.0f}/s, lost "
          f"{st['produced'] - st['stored_distinct']} ({'ok' if st['ingested_per_s'] >= 5000 and st['produced'] == st['stored_distinct'] else 'MISSED'})")
    print()
    print(f"{'search over ' + str(results['seed']['rows']) + ' records':<40}{'n':>5}{'err':>5}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'records':>9}  target p50 <= 50 ms")
    for r in table:
        print(f"{r.name:<40}{r.requests:>5}{r.errors:>5}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{hits[r.name]:>9}  "
              f"{'ok' if r.p50_ms <= 50 else 'OVER'}")
    print(f"total {results['total_s']} s; load average at start {results['loadavg_at_start'][0]}, "
          f"at end {results['loadavg_at_end'][0]} ({results['cpus']} CPUs)")
    OUT.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
