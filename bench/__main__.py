"""`make bench`: the gateway against direct gRPC, and the SSOT cache against a trivial endpoint,
side by side in one run on one private stack. Prints a table and writes bench/results.json.

Absolute times on a shared 2-core machine are noisy; the ratios and the gateway-added latency
(gateway p50/p99 minus direct p50/p99 of the same RPC in the same run) are what to compare.
Environment: BENCH_N (requests per row, default 2000), BENCH_SECONDS (steady-read phase, default 5),
BENCH_WS_CLIENTS (default 500), BENCH_WRK_SECONDS (each wrk row, default 5), BENCH_ONLY (comma list of
sections to run: direct, read, peer, tracing on the shared stack; workers, config, logs, jobs each on a
stack of its own — `python -m bench.<name>_scale` / `bench.config_propagation` alone, with their own
knobs; default: all but jobs, whose million-row seed takes minutes).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import config_propagation, jobs_scale, logs_scale, peer, scenarios, tracing, workers_scale
from bench.stack import running_stack
from bench.stats import Row

OUT = Path(__file__).resolve().parent / "results.json"


def print_table(rows: list[Row]) -> None:
    head = f"{'scenario':<34}{'path':<10}{'conc':>5}{'n':>7}{'err':>5}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.name:<34}{r.path:<10}{r.concurrency:>5}{r.requests:>7}{r.errors:>5}"
            f"{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}{r.throughput_rps:>9.0f}"
        )


async def main() -> dict:
    n = int(os.environ.get("BENCH_N", "2000"))
    results: dict = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
        "n": n,
    }
    only = set(os.environ.get("BENCH_ONLY", "direct,read,peer,tracing,workers,config,logs").split(","))
    with running_stack(gateways=1) as stack:
        if "direct" in only:
            rows, comparisons = await scenarios.gateway_vs_direct(stack, n=n)
            results["rows"] = [r.as_dict() for r in rows]
            results["gateway_vs_direct"] = comparisons
            print_table(rows)
            print()
            for c in comparisons:
                print(
                    f"{c['action']:<12} c={c['concurrency']:<3} gateway/direct p50 x{c['ratio_p50']:.2f}  "
                    f"added p50 {c['added_p50_ms']:.3f} ms  added p99 {c['added_p99_ms']:.3f} ms  "
                    f"gateway {c['gateway_rps']:.0f} req/s"
                )
            print()
        if "read" in only:
            read = await scenarios.read_path(stack, n=n)
            results["read_path"] = read
            print_table([Row(**r) for r in read.get("rows", [])])
            for k, v in read.items():
                if k != "rows":
                    print(f"{k}: {v}")
        missing = peer.available()
        if "peer" in only and missing:
            print(f"\nskipping the wrk rows: {missing}")
            results["peer"] = {"skipped": missing}
        elif "peer" in only:
            print("\nFlower's revoke beside our job.cancel (wrk, interleaved):")
            vs = await peer.flower_vs_cancel(stack)
            print_table([Row(**r) for r in vs["rows"]])
            print(f"summary: {vs['summary']}")
            tput = await peer.throughput(stack)
            print("\nfull pipeline at c=16 (wrk), CPU ms per action per process:")
            print_table([Row(**r) for r in tput["rows"]])
            for action, cpu in tput["cpu_ms_per_action"].items():
                print(f"  {action:<11} " + "  ".join(f"{k} {v}" for k, v in cpu.items()))
            results["peer"] = {"flower_vs_cancel": vs, "throughput": tput}
        if "tracing" in only:
            print("\ntracing off vs on (the same services; requests alternate):")
            tr = await tracing.tracing_overhead(stack, n=max(200, n // 4))
            print_table([Row(**r) for r in tr["rows"]])
            print(f"tracing adds p50 {tr['added_p50_ms']} ms, p99 {tr['added_p99_ms']} ms "
                  f"({tr['exports_received']} OTLP exports received)")
            results["tracing"] = tr
    # Each of these starts a private stack of its own and writes its own bench/<name>.json.
    for section, module in (("workers", workers_scale), ("config", config_propagation), ("logs", logs_scale),
                            ("jobs", jobs_scale)):
        if section in only:
            print(f"\n--- {module.__name__} ---", flush=True)
            results[section] = {"see": f"bench/{module.__name__.split('.')[-1]}.json"}
            await asyncio.to_thread(module.main)  # they run their own event loops
    OUT.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {OUT}")
    return results


if __name__ == "__main__":
    t0 = time.monotonic()
    asyncio.run(main())
    print(f"bench took {time.monotonic() - t0:.0f} s")
