"""`python -m services.jobs.worker`: a prefork Celery worker that executes jobs.

At start-up it asks the queue service which queues are not paused and consumes those; later
pauses, resumes and new queues arrive as broadcast `cancel_consumer` / `add_consumer` commands.
Prefork because only it can terminate a task (revoke terminate=True) and resize its pool.
SIGTERM is Celery's warm shutdown: running tasks finish, nothing new starts.
"""

from __future__ import annotations

import logging
import os
import secrets
import time

import grpc

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import context, heartbeat, live, telemetry
from services.common.settings import Settings
from services.common.startup import boot

log = logging.getLogger("services.jobs.worker")

FALLBACK_QUEUE = "default"
# Consumed when every queue is paused: Celery needs at least one queue, and nothing sends here.
IDLE_QUEUE = "switchboard.idle"


def active_queues(settings: Settings, *, wait_s: float = 10.0) -> list[str]:
    """Names of the queues that are not paused, from the queue service (retried for `wait_s`)."""
    deadline = time.monotonic() + wait_s
    last: grpc.RpcError | None = None
    md = context.to_metadata(context.current())
    with grpc.insecure_channel(settings.addr("queue")) as channel:
        stub = queue_pb2_grpc.QueueServiceStub(channel)
        while time.monotonic() < deadline:
            try:
                resp = stub.ListQueues(queue_pb2.ListQueuesRequest(), metadata=md, timeout=2)
                names = [q.queue_name for q in resp.queues if not q.paused]
                return names or [IDLE_QUEUE]
            except grpc.RpcError as exc:
                last = exc
                time.sleep(0.5)
    log.warning(
        "queue service at %s unreachable (%s); consuming %r only until told otherwise",
        settings.addr("queue"),
        last.code().name if last else "timeout",
        FALLBACK_QUEUE,
    )
    return [FALLBACK_QUEUE]


def main() -> None:
    settings = boot("job-worker", tracing=False)
    n = settings.worker_concurrency

    from services.common.celery import make_celery
    from services.jobs import tasks, worker_control
    from services.jobs.samples import SAMPLES

    queues = active_queues(settings)
    app = make_celery(settings)
    # Worker and task events (the workers service's registry), pool restarts (worker.pool_restart).
    app.conf.update(worker_send_task_events=True, worker_pool_restarts=True)
    tasks.register(app, settings)
    worker_control.install(app, settings, sorted(SAMPLES))
    # Unique per process unless set: two workers started alike are two hostnames (SPEC §2).
    hostname = os.environ.get("SWITCHBOARD_WORKER_HOSTNAME") or f"jobs-{secrets.token_hex(4)}@%h"
    from celery.signals import worker_process_init, worker_ready

    @worker_process_init.connect(weak=False)
    def per_child(**_: object) -> None:
        # Threads do not survive fork: each prefork child sets up its own tracer provider (and
        # continues the trace the task headers carry, telemetry.py) and its own follower of live
        # configuration (`log.level.job-worker`, services/common/live.py).
        if telemetry.setup("job-worker"):
            telemetry.instrument_celery()
        live.start_thread(settings, "job-worker")

    @worker_ready.connect(weak=False)
    def beating(**_: object) -> None:
        # The main process, once its pool has forked (a thread does not survive a fork anyway).
        heartbeat.start_thread(settings.redis_url, "job-worker")

    log.info("job worker starting", extra={"queues": queues, "concurrency": n})
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            f"--concurrency={n}",
            # min = max: grow/shrink move both bounds (worker_control), autoscale sets them.
            f"--autoscale={n},{n}",
            "--events",
            f"--hostname={hostname}",
            "--without-gossip",
            "--without-mingle",
            f"--queues={','.join(queues)}",
            f"--loglevel={settings.log_level}",
        ]
    )


if __name__ == "__main__":
    main()
