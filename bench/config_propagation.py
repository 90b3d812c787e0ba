"""`python -m bench.config_propagation`: a config change reaching every component (issue 11).

On a private stack (bench/stack.py: jobs, queue, two gateways and a job worker; the workers,
system, config and logs services spawned here) the registered key `rpc.timeout_ms` — read by every
component (the gateway's default action deadline, each service's deadline to its siblings) — is
set M times through gateway 0 (`config.set`, alternately 5001 and 5000 ms: no behaviour changes).

"Applied" is what each process's live follower (services/common/live.py) acknowledges once the
change is in its live settings: `switchboard:live:applied`, field `<component>|<host>:<pid>`, value
`<version> <unix time> <key>` — the time is taken by the component itself, right after applying,
so the bench's polling (every 2 ms) adds nothing to the measured latency. Each process is named by
its pid (the stack's process table); the job worker's follower runs in each prefork child, whose
pids are learnt from a first, unmeasured change.

Per component, the latency of each change is measured from two anchors:

- **answer**: when the `config.set` answer reached the bench (the issue's "commit, i.e. the
  config.set answer"). A component may apply the change before the answer is home — the gateway
  still writes its audit record and idempotency answer after the commit — so this can be negative;
- **commit**: the version's `updated_at` (taken by the config service inside the committing
  transaction, a few ms before COMMIT, so this anchor slightly overstates the latency).

"every component" is, per change, the last component's latency. Target (issue 11 / payloads
config.md): every replica of every component applies a committed change within 1 s.
Environment: BENCH_CONFIG_M (changes, default 30), BENCH_CONFIG_JOB_WORKER (default 1; 0 leaves the
job worker out). Prints a table and writes bench/config_propagation.json.
"""

from __future__ import annotations

import json
import os
import random
import socket
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import redis as redis_sync

from bench.stack import _wait_grpc, running_stack
from bench.stats import percentile
from services.common.live import ACK_HASH

OUT = Path(__file__).resolve().parent / "config_propagation.json"
KEY = "rpc.timeout_ms"
SERVICES = ("workers", "system", "config", "logs")  # spawned here; jobs and queue by running_stack
TARGET_MS = 1000.0
WAIT_S = 5.0


def acks(r: redis_sync.Redis) -> dict[str, tuple[int, float, str]]:
    out = {}
    for f, v in r.hgetall(ACK_HASH).items():
        version, at, key = v.decode().split(" ", 2)
        out[f.decode()] = (int(version), float(at), key)
    return out


def config_set(http: httpx.Client, url: str, token: str, value: int) -> tuple[dict, float, float]:
    """One config.set; returns its entry, when it was sent and when its answer came (unix time)."""
    sent = time.time()
    r = http.post(f"{url}/api/admin/action", json={"action": "config.set", "payload": {
        "key": KEY, "value": value, "comment": "bench.config_propagation"}},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
    answered = time.time()
    if r.status_code != 200:
        raise RuntimeError(f"config.set answered {r.status_code}: {r.text[:300]}")
    return r.json()["data"]["entry"], sent, answered


def wait_acks(r: redis_sync.Redis, fields: set[str], version: int) -> dict[str, float]:
    """Unix time at which each of `fields` applied `version` (those that did within WAIT_S)."""
    deadline = time.monotonic() + WAIT_S
    got: dict[str, float] = {}
    while time.monotonic() < deadline:
        for f, (v, at, key) in acks(r).items():
            if f in fields and key == KEY and v == version:
                got[f] = at
        if fields <= set(got):
            break
        time.sleep(0.002)
    return got


def wait_gateways(http: httpx.Client, urls: list[str], token: str, timeout: float = 30) -> None:
    """The gateways started before the config service: wait until each reaches it."""
    for url in urls:
        deadline = time.monotonic() + timeout
        while True:
            r = http.post(f"{url}/api/admin/action", json={"action": "config.list", "payload": {}},
                          headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 200:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} does not reach the config service: {r.status_code}")
            time.sleep(0.2)


def stats(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"n": len(s), "p50_ms": round(percentile(s, 50), 2), "p99_ms": round(percentile(s, 99), 2),
            "max_ms": round(s[-1], 2) if s else None, "min_ms": round(s[0], 2) if s else None}


def main() -> dict:
    m = int(os.environ.get("BENCH_CONFIG_M", "30"))
    with_worker = os.environ.get("BENCH_CONFIG_JOB_WORKER", "1") != "0"
    from gateway.auth import issue_token

    started = time.perf_counter()
    host = socket.gethostname()
    results: dict = {"when": datetime.now(UTC).isoformat(), "m": m, "key": KEY, "cpus": os.cpu_count(),
                     "loadavg_before": os.getloadavg(),
                     "target": f"every component applies a change within {TARGET_MS:.0f} ms"}
    with running_stack(gateways=2, with_worker=with_worker) as stack:
        s = stack.settings
        for svc in SERVICES:
            stack.spawn(svc, f"services.{svc}")
        for svc in SERVICES:
            _wait_grpc(s.addr(svc))
        token = issue_token(s, "bench-admin", ["admin"], ttl_s=3600)
        r = redis_sync.Redis.from_url(s.redis_url)
        # process name (gateway-0, jobs, …) by its ack field
        names = {f"{'gateway' if name.startswith('gateway') else name}|{host}:{pid}": name
                 for name, pid in stack.pids.items() if name != "worker"}
        with httpx.Client(timeout=30) as http:
            wait_gateways(http, stack.gateway_urls, token)
            url = stack.gateway_urls[0]
            # A first change, not measured: every follower is running (and the job worker's children are named).
            deadline = time.monotonic() + 30
            while True:
                data, _, _ = config_set(http, url, token, 5000)
                got = wait_acks(r, set(names), data["version"])
                if set(names) <= set(got) or time.monotonic() > deadline:
                    break
            missing = sorted(names[f] for f in set(names) - set(got))
            if missing:
                raise RuntimeError(f"no acknowledgement from {missing} (see .run/bench/*.log)")
            if with_worker:
                time.sleep(1.0)  # the children's followers load at fork; give them the first change
                data, _, _ = config_set(http, url, token, 5001)
                time.sleep(1.0)
                children = sorted(f for f, (v, _, _) in acks(r).items()
                                  if f.startswith("job-worker|") and v == data["version"])
                names.update({f: f"job-worker#{i + 1}" for i, f in enumerate(children)})
            results["components"] = sorted(names.values())
            print(f"following {len(names)} processes: {', '.join(results['components'])}")

            fields = set(names)
            per: dict[str, dict[str, list[float]]] = {n: {"answer": [], "commit": []} for n in names.values()}
            last: dict[str, list[float]] = {"answer": [], "commit": []}
            rounds = []
            missed = 0
            for i in range(m):
                value = 5001 if i % 2 == 0 else 5000
                data, sent, answered = config_set(http, url, token, value)
                committed = datetime.fromisoformat(data["updated_at"].replace("Z", "+00:00")).timestamp()
                got = wait_acks(r, fields, data["version"])
                missed += len(fields - set(got))
                for f, at in got.items():
                    per[names[f]]["answer"].append((at - answered) * 1000)
                    per[names[f]]["commit"].append((at - committed) * 1000)
                if got:
                    newest = max(got.values())
                    last["answer"].append((newest - answered) * 1000)
                    last["commit"].append((newest - committed) * 1000)
                rounds.append({"version": data["version"], "set_ms": round((answered - sent) * 1000, 2),
                               "applied": len(got), "of": len(fields),
                               "last_from_answer_ms": round((max(got.values()) - answered) * 1000, 2) if got else None,
                               "last_from_commit_ms": round((max(got.values()) - committed) * 1000, 2) if got else None})
                time.sleep(random.uniform(0.2, 0.4))  # changes do not overlap
    table = [{"component": n, "from_answer": stats(v["answer"]), "from_commit": stats(v["commit"])}
             for n, v in sorted(per.items())]
    every = {"component": "every component (last of each change)", "from_answer": stats(last["answer"]),
             "from_commit": stats(last["commit"])}
    results.update(rows=table, every_component=every, missed_acks=missed, rounds=rounds,
                   config_set_ms=stats([x["set_ms"] for x in rounds]))
    results["target_met"] = missed == 0 and every["from_commit"]["max_ms"] <= TARGET_MS
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["loadavg_after"] = os.getloadavg()  # the machine is shared: how busy it was

    print()
    print(f"{'component':<40}{'n':>4}{'answer p50':>12}{'p99':>9}{'commit p50':>12}{'p99':>9}{'max':>9}  (ms)")
    for row in [*table, every]:
        a, c = row["from_answer"], row["from_commit"]
        print(f"{row['component']:<40}{c['n']:>4}{a['p50_ms']:>12.2f}{a['p99_ms']:>9.2f}{c['p50_ms']:>12.2f}"
              f"{c['p99_ms']:>9.2f}{c['max_ms']:>9.2f}")
    cs = results["config_set_ms"]
    print(f"config.set round trip p50 {cs['p50_ms']} ms, p99 {cs['p99_ms']} ms; acknowledgements missing: {missed}")
    print(f"target: every component within {TARGET_MS:.0f} ms of the commit -> worst "
          f"{every['from_commit']['max_ms']} ms ({'ok' if results['target_met'] else 'MISSED'}); "
          f"total {results['total_s']} s")
    OUT.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
