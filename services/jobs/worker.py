"""`python -m services.jobs.worker`: a prefork Celery worker that executes jobs.

At start-up it asks the queue service which queues are not paused and consumes those; later
pauses, resumes and new queues arrive as broadcast `cancel_consumer` / `add_consumer` commands.
Prefork because only it can terminate a task (revoke terminate=True) and resize its pool.
SIGTERM is Celery's warm shutdown: running tasks finish, nothing new starts.
"""

from __future__ import annotations

import logging
import secrets
import time

import grpc

from admin.queue.v1 import queue_pb2, queue_pb2_grpc
from services.common import context
from services.common.startup import boot
from services.common.settings import Settings

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
    settings = boot("job-worker")
    n = settings.worker_concurrency

    from services.jobs import tasks
    from services.common.celery import make_celery

    queues = active_queues(settings)
    app = make_celery(settings)
    tasks.register(app, settings)
    log.info("job worker starting", extra={"queues": queues, "concurrency": n})
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            f"--concurrency={n}",
            f"--hostname=jobs-{secrets.token_hex(4)}@%h",
            "--without-gossip",
            "--without-mingle",
            f"--queues={','.join(queues)}",
            f"--loglevel={settings.log_level}",
        ]
    )


if __name__ == "__main__":
    main()
