"""The Celery pieces every service shares (services never import each other): the app factory,
broker key names and priority steps. The app is used by the jobs service (enqueue, revoke), the queue service (purge, depth,
consumer control) and the job worker. Broker and result backend: Redis at `REDIS_URL`.

Every switchboard queue is a Celery queue of the same name. Workers start consuming the queues
that are not paused (asked of the queue service at start-up) and are told about later changes by
broadcast control commands (`add_consumer` / `cancel_consumer`).
"""

from __future__ import annotations

from celery import Celery

from services.common.settings import Settings

# Celery's Redis transport keeps one list per priority step: name, name\x06\x163, …
PRIORITY_STEPS = [0, 3, 6, 9]
PRIORITY_SEP = "\x06\x16"

RUN_JOB_TASK = "switchboard.run_job"


def make_celery(settings: Settings) -> Celery:
    app = Celery("switchboard", broker=settings.redis_url, backend=None)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="default",
        task_create_missing_queues=True,
        # Acknowledge after the task returns: a worker killed between taking a message and the
        # wrapper recording the job as started leaves the message unacked (kombu restores it after
        # the visibility timeout) instead of a pending job with no message. A second delivery is
        # harmless: the wrapper starts only jobs still pending. A child killed on purpose
        # (job.terminate) is acknowledged all the same (task_reject_on_worker_lost stays off).
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "priority_steps": PRIORITY_STEPS,
            "sep": PRIORITY_SEP,
            "queue_order_strategy": "priority",
            "visibility_timeout": 3600,
        },
        worker_hijack_root_logger=False,
        task_ignore_result=True,
    )
    return app


def broker_keys(queue: str) -> list[str]:
    """The Redis lists that hold a queue's messages (one per priority step)."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


# Per-queue start rate limits (queue.set_rate_limit): the queue service writes them, the job
# worker's task wrapper consults them before starting a job. Hash field = queue name, value =
# jobs per second (absent or 0 = unlimited); the slot key holds the queue's next free start time.
RATE_LIMITS_KEY = "switchboard:queue-rate-limits"


def rate_slot_key(queue: str) -> str:
    return f"switchboard:queue-rate-slot:{queue}"


def broker_priority(priority: int) -> int:
    """Celery's Redis transport delivers its priority 0 first; a switchboard job's priority 9 is
    delivered first (payloads/jobs.md), so the message carries 9 - priority."""
    return 9 - priority

