"""The Celery pieces every service shares (services never import each other): the app factory,
broker key names and priority steps. The app is used by the jobs service (enqueue, revoke), the queue service (purge, depth,
consumer control) and the job worker. Broker and result backend: Redis at `REDIS_URL`.

Every switchboard queue is a Celery queue of the same name. Workers start consuming the queues
that are not paused (asked of the queue service at start-up) and are told about later changes by
broadcast control commands (`add_consumer` / `cancel_consumer`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery import Celery
from kombu.transport import redis as kombu_redis

from services.common.settings import Settings

# Celery's Redis transport keeps one list per priority step: name, name\x06\x163, …
PRIORITY_STEPS = [0, 3, 6, 9]
PRIORITY_SEP = "\x06\x16"

RUN_JOB_TASK = "switchboard.run_job"


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport, keeping its connection parameters once it is closed.

    When a worker loses the broker (a Redis restart) Celery collects the connection, which forgets
    the transport's client, and then closes it. kombu 5.7's channel close disconnects its pools
    first and restores the unacknowledged messages after, building a new pool from that client:
    `AttributeError` on None, an "Unrecoverable error", and the worker stopped for good. With
    late acknowledgement a running job's message is always unacknowledged, so every Redis restart
    under load did it (tests/faults, the Redis case). Kept, the parameters let the restore run: it
    fails while Redis is down (a connection error, ignored; the messages stay in `unacked`) or puts
    them back once it is up, and a running job's later acknowledgement finds Redis again."""

    @property  # type: ignore[override]
    def client(self) -> Any:
        return self._client

    @client.setter
    def client(self, value: Any) -> None:
        if value is not None or not hasattr(self, "_client"):
            self._client = value


def make_celery(settings: Settings) -> Celery:
    app = Celery("switchboard", broker=settings.redis_url, backend=None)
    app.conf.update(
        broker_transport=f"{__name__}:RedisTransport",
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


# kombu's hash of messages workers have taken and not yet acknowledged (its default name).
UNACKED_KEY = "unacked"


def broker_keys(queue: str) -> list[str]:
    """The Redis lists that hold a queue's messages (one per priority step)."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


async def depths(redis: Any, queue_names: Iterable[str]) -> dict[str, int]:
    """Messages waiting per queue: LLEN summed over the queue's priority lists, one round trip."""
    names = list(queue_names)
    if not names:
        return {}
    pipe = redis.pipeline(transaction=False)
    for name in names:
        for key in broker_keys(name):
            pipe.llen(key)
    lengths = await pipe.execute()
    per = len(PRIORITY_STEPS)
    return {name: int(sum(lengths[i * per : (i + 1) * per])) for i, name in enumerate(names)}


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

