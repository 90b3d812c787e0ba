"""`python -m bench.jobs_scale`: the jobs table at a million rows (issue 8).

Seeds 1,000,000 jobs by COPY into a private stack (bench/stack.py): 30 days of finished history
over five queues and four tasks, plus 100,000 pending jobs of queue `bench` created in the last
hour, each with its broker message in Redis. Then, through the gateway:

- `job.list` with each filter combination, first page and a deep page (keyset token),
- `analytics.summary` and `analytics.timeseries` over 24 h,
- `job.cancel_bulk` of the 100,000 pending jobs (one transaction), and the broker depth after it.

Targets (issue 8): list / summary / timeseries p50 <= 50 ms; the bulk cancel < 10 s with no message
left. Environment: BENCH_SCALE_ROWS (default 1000000), BENCH_SCALE_PENDING (default 100000),
BENCH_SCALE_N (requests per row, default 100). Prints a table and writes bench/jobs_scale.json.
"""

from __future__ import annotations

import io
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import redis as redis_sync

from bench.stack import running_stack
from bench.stats import Row
from services.common.celery import broker_keys
from services.common.db import libpq_url
from services.common.paging import encode_page_token

OUT = Path(__file__).resolve().parent / "jobs_scale.json"
QUEUES = ["default", "q1", "q2", "q3", "q4"]
TASKS = ["echo", "sleep", "report", "fail"]
PENDING_QUEUE = "bench"
COLUMNS = ("job_id", "task", "queue", "status", "priority", "attempts", "kwargs", "error", "created_at",
           "started_at", "finished_at", "max_attempts", "held")


def _ts(t: datetime) -> str:
    return t.isoformat()


def seed(database_url: str, redis_url: str, rows: int, pending: int) -> float:
    """COPY the rows; returns the seconds it took (indexes maintained, then ANALYZE)."""
    rnd = random.Random(8)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    with psycopg.connect(libpq_url(database_url)) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY jobs.jobs ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            buf = io.StringIO()
            for i in range(rows):
                if i < rows - pending:
                    created = now - timedelta(seconds=rnd.uniform(60, 30 * 86400))
                    started = created + timedelta(milliseconds=rnd.uniform(5, 500))
                    finished = started + timedelta(milliseconds=rnd.expovariate(1 / 200))
                    r = rnd.random()
                    status = "succeeded" if r < 0.85 else "failed" if r < 0.93 else "cancelled"
                    queue, task = rnd.choice(QUEUES), rnd.choice(TASKS)
                    error = "boom" if status == "failed" else ""
                    line = (f"job_{i:016x}", task, queue, status, rnd.randint(0, 9), 1, "{}", error, _ts(created),
                            _ts(started), _ts(finished), 1, "f")
                else:
                    created = now - timedelta(seconds=rnd.uniform(1, 3600))
                    line = (f"job_{i:016x}", "echo", PENDING_QUEUE, "pending", 0, 0, '{"message": "x"}', "",
                            _ts(created), "\\N", "\\N", 1, "f")
                buf.write("\t".join(str(x) for x in line) + "\n")
                if i % 50_000 == 49_999:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE jobs.jobs")  # what autovacuum does after a load: index-only scans
    # The pending jobs' broker messages (priority 0 -> broker priority 9: the last list).
    r = redis_sync.Redis.from_url(redis_url)
    key = broker_keys(PENDING_QUEUE)[-1]
    pipe = r.pipeline(transaction=False)
    for i in range(rows - pending, rows):
        msg = {"body": "", "content-encoding": "utf-8", "content-type": "application/json",
               "headers": {"id": f"job_{i:016x}", "task": "switchboard.run_job", "lang": "py"},
               "properties": {"priority": 9, "delivery_tag": str(uuid.uuid4())}}
        pipe.lpush(key, json.dumps(msg))
        if i % 10_000 == 0:
            pipe.execute()
    pipe.execute()
    return time.perf_counter() - t0


def measure(http: httpx.Client, url: str, token: str, name: str, action: str, payload: dict, n: int) -> Row:
    lat: list[float] = []
    errors = 0
    body = {"action": action, "payload": payload}
    headers = {"Authorization": f"Bearer {token}"}
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter()
        r = http.post(f"{url}/api/admin/action", json=body, headers=headers)
        lat.append((time.perf_counter() - s) * 1000)
        errors += r.status_code != 200
    return Row.of(name, "gateway", 1, lat, errors, time.perf_counter() - t0)


def plans(database_url: str) -> dict[str, str]:
    """EXPLAIN of the statements the targets rest on (docs/performance.md)."""
    out = {}
    day = "now() - interval '24 hours'"
    stmts = {
        "job.list status=failed": "SELECT * FROM jobs.jobs WHERE status = 'failed' ORDER BY seq DESC LIMIT 51",
        "job.list status+queue+task": "SELECT * FROM jobs.jobs WHERE status = 'succeeded' AND queue = 'q3' "
                                      "AND task = 'echo' ORDER BY seq DESC LIMIT 51",
        "analytics.summary 24h": f"SELECT status, queue, task, count(*) FROM jobs.jobs WHERE created_at >= {day} "
                                 "GROUP BY status, queue, task",
        "analytics.summary 24h queue, run-time percentiles": (
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY finished_at - started_at), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY finished_at - started_at) FROM jobs.jobs "
            f"WHERE created_at >= {day} AND queue = 'q1' AND status IN ('succeeded', 'failed') "
            "AND started_at IS NOT NULL AND finished_at IS NOT NULL"),
        "analytics.summary 24h, dead letters": (
            f"SELECT count(*) FROM jobs.jobs WHERE created_at >= {day} AND status = 'failed' "
            "AND NOT EXISTS (SELECT 1 FROM jobs.jobs AS retried WHERE retried.retry_of = jobs.jobs.job_id)"),
        "analytics.timeseries finished 24h": "SELECT floor(extract(epoch from finished_at) / 3600), status, "
                                             f"count(*) FROM jobs.jobs WHERE finished_at >= {day} "
                                             "AND status IN ('succeeded','failed','cancelled') GROUP BY 1, 2",
    }
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        for name, sql in stmts.items():
            out[name] = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}").fetchall())
    return out


def main() -> dict:
    rows = int(os.environ.get("BENCH_SCALE_ROWS", "1000000"))
    pending = int(os.environ.get("BENCH_SCALE_PENDING", "100000"))
    n = int(os.environ.get("BENCH_SCALE_N", "100"))
    from gateway.auth import issue_token

    results: dict = {"when": datetime.now(UTC).isoformat(), "rows": rows, "pending": pending, "n": n}
    with running_stack(gateways=1) as stack:
        s = stack.settings
        results["seed_s"] = round(seed(s.database_url, s.redis_url, rows, pending), 1)
        print(f"seeded {rows} jobs ({pending} pending with broker messages) in {results['seed_s']} s")
        url = stack.gateway_urls[0]
        token = issue_token(s, "bench-admin", ["admin"], ttl_s=3600)
        deep = encode_page_token(rows // 2)
        cases = [
            ("job.list (no filter)", "job.list", {}),
            ("job.list deep page", "job.list", {"page_token": deep}),
            ("job.list status", "job.list", {"status": "failed"}),
            ("job.list status deep page", "job.list", {"status": "failed", "page_token": deep}),
            ("job.list queue", "job.list", {"queue": "q2"}),
            ("job.list task", "job.list", {"task": "report"}),
            ("job.list status+queue", "job.list", {"status": "cancelled", "queue": "q1"}),
            ("job.list status+task", "job.list", {"status": "failed", "task": "sleep"}),
            ("job.list queue+task", "job.list", {"queue": "q4", "task": "echo"}),
            ("job.list status+queue+task", "job.list", {"status": "succeeded", "queue": "q3", "task": "echo"}),
            ("job.list pending bench", "job.list", {"status": "pending", "queue": PENDING_QUEUE}),
            ("analytics.summary 24h", "analytics.summary", {}),
            ("analytics.summary 24h queue", "analytics.summary", {"queue": "q1"}),
            ("analytics.timeseries 24h", "analytics.timeseries", {}),
            ("analytics.timeseries 24h 5min", "analytics.timeseries", {"bucket_s": 300}),
        ]
        table: list[Row] = []
        with httpx.Client(timeout=60) as http:
            for name, action, payload in cases:
                measure(http, url, token, name, action, payload, 5)  # warm the caches and plans
                table.append(measure(http, url, token, name, action, payload, n))
            r_depth = redis_sync.Redis.from_url(s.redis_url)
            before = sum(r_depth.llen(k) for k in broker_keys(PENDING_QUEUE))
            t0 = time.perf_counter()
            resp = http.post(f"{url}/api/admin/action", json={"action": "job.cancel_bulk",
                                                               "payload": {"queue": PENDING_QUEUE}},
                             headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
            cancel_s = time.perf_counter() - t0
            after = sum(r_depth.llen(k) for k in broker_keys(PENDING_QUEUE))
        data = resp.json().get("data", resp.json())
        results["cancel_bulk"] = {"status": resp.status_code, "seconds": round(cancel_s, 3), "answer": data,
                                  "broker_before": before, "broker_after": after}
        results["rows_table"] = [r.as_dict() for r in table]
        results["plans"] = plans(s.database_url)
    print(f"{'scenario':<34}{'n':>5}{'err':>5}{'p50 ms':>9}{'p99 ms':>9}  target p50 <= 50 ms")
    for r in table:
        print(f"{r.name:<34}{r.requests:>5}{r.errors:>5}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}  "
              f"{'ok' if r.p50_ms <= 50 else 'OVER'}")
    c = results["cancel_bulk"]
    print(f"job.cancel_bulk of {pending}: {c['seconds']} s (target < 10 s), HTTP {c['status']}, "
          f"affected {c['answer'].get('affected')}, broker {c['broker_before']} -> {c['broker_after']}")
    OUT.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
