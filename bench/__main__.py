"""`make bench`: the gateway against direct gRPC, and the SSOT cache against a trivial endpoint,
side by side in one run on one private stack. Prints a table and writes bench/results.json.

Absolute times on a shared 2-core machine are noisy; the ratios and the gateway-added latency
(gateway p50/p99 minus direct p50/p99 of the same RPC in the same run) are what to compare.
Environment: BENCH_N (requests per row, default 2000), BENCH_SECONDS (steady-read phase, default 5),
BENCH_WS_CLIENTS (default 500), BENCH_WRK_SECONDS (each wrk row, default 5), BENCH_ONLY (comma list of
sections to run: direct, read, peer; default all).
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

from bench import peer, scenarios
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
    only = set(os.environ.get("BENCH_ONLY", "direct,read,peer").split(","))
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
    OUT.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {OUT}")
    return results


if __name__ == "__main__":
    t0 = time.monotonic()
    asyncio.run(main())
    print(f"bench took {time.monotonic() - t0:.0f} s")
