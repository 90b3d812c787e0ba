"""One pass of the autoscaler (payloads/workers.md "Config", autoscaler).

For each rule `{queue_name, min, max, jobs_per_process}`: the demand is the work waiting — the
queue's depth (the queue service's GetQueue: messages in the broker) or, when larger, its pending
jobs (the jobs service's CountJobs: prefetched messages are pending but no longer in the broker) —
plus the tasks running; each online worker consuming the queue is sized to
clamp(⌈demand ÷ jobs_per_process ÷ workers⌉, min, max). A change goes through the same flow as
`worker.pool_grow` / `worker.pool_shrink` (Celery remote control, `worker.pool_changed` with actor
`system`), and a worker changed is left alone for `cooldown_s` (a Redis key with that TTL, so the
cool-down holds across leader changes).
"""

from __future__ import annotations

import math

from sqlalchemy import select

from admin.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common.errors import DomainError
from services.workers.managers.runner import Pass
from services.workers.models import ONLINE, WorkerRow
from services.workers.registry import live_from

ASK_S = 1.0


def cooldown_key(hostname: str) -> str:
    return f"switchboard:{{mgr:autoscaler}}:cooldown:{hostname}"


def target_size(*, demand: int, workers: int, rule: dict) -> int:
    want = math.ceil(demand / rule["jobs_per_process"] / max(workers, 1))
    return max(rule["min"], min(rule["max"], want))


async def run(p: Pass) -> str:
    from services.workers.flows import WorkersFlows
    from services.workers.servicer import registry  # the process's one registry (shared with the servicer)

    flows = WorkersFlows(p.rt, registry(p.rt))
    cooldown_ms = int(p.config["cooldown_s"]) * 1000
    errors: list[str] = []
    for rule in p.config["rules"]:
        queue = rule["queue_name"]
        try:
            depth = (await p.rt.call("queue", queue_pb2_grpc.QueueServiceStub, "GetQueue",
                                     queue_pb2.GetQueueRequest(queue_name=queue))).queue.depth
            counts = (await p.rt.call("jobs", jobs_pb2_grpc.JobsServiceStub, "CountJobs",
                                      jobs_pb2.CountJobsRequest(queue=queue))).by_status
        except DomainError as exc:
            errors.append(f"{queue}: {exc}")
            continue
        async with p.rt.reads() as session:
            rows = (await session.scalars(select(WorkerRow).where(
                WorkerRow.status == ONLINE, WorkerRow.queues.any(queue)).order_by(WorkerRow.hostname))).all()
        if not rows:
            continue
        hosts = [r.hostname for r in rows]
        # Waiting work: the broker's depth, or the jobs still pending when workers hold prefetched
        # messages (not in the broker, not started); plus the tasks running.
        running = max(counts.get("running", 0), sum(r.active for r in rows))
        target = target_size(demand=max(depth, counts.get("pending", 0)) + running, workers=len(rows), rule=rule)
        stats = await flows.control.broadcast("stats", hosts, timeout=ASK_S)
        for host in hosts:
            live = live_from(host, stats.replies.get(host), [])
            # The size the pool is heading to: a grow/shrink moves the worker's autoscaler bounds at
            # once, its processes follow a moment later (counting those would overshoot).
            size = live.concurrency if live else 0
            if live is None or size == target:
                continue
            if cooldown_ms and await p.rt.redis.exists(cooldown_key(host)):
                continue
            p.check()
            diff = target - size
            try:
                await flows.pool_resize(destination=host, n=abs(diff), grow=diff > 0, budget=2.0)
            except DomainError as exc:
                errors.append(f"{host}: {exc}")
                continue
            if cooldown_ms:
                await p.rt.redis.set(cooldown_key(host), "1", px=cooldown_ms)
    return "; ".join(errors)
