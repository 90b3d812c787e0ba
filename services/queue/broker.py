"""The broker side of a queue: depth and purge of its Redis lists, and the Celery control
broadcasts that make every running job worker start or stop consuming it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from celery import Celery

from services.common.celery import RATE_LIMITS_KEY, broker_keys, rate_slot_key

log = logging.getLogger(__name__)

# Replies are collected for this long; workers that answer in time have applied the change before
# the RPC returns, so a job submitted right after a pause is not picked up by them.
CONTROL_REPLY_TIMEOUT_S = 1.0


async def purge(redis: Any, *, queue_name: str) -> int:
    """Remove every waiting message of the queue; returns how many. MULTI makes count and delete
    one atomic step, so a message pushed meanwhile is either counted and removed or kept."""
    keys = broker_keys(queue_name)
    pipe = redis.pipeline(transaction=True)
    for key in keys:
        pipe.llen(key)
    pipe.delete(*keys)
    replies = await pipe.execute()
    return int(sum(replies[: len(keys)]))


async def set_rate_limit(redis: Any, *, queue_name: str, rate_limit_per_s: float) -> None:
    """Publish a queue's start rate to the job workers' task wrapper (0 removes the limit)."""
    if rate_limit_per_s > 0:
        await redis.hset(RATE_LIMITS_KEY, queue_name, repr(float(rate_limit_per_s)))
    else:
        await redis.hdel(RATE_LIMITS_KEY, queue_name)
        await redis.delete(rate_slot_key(queue_name))


async def sync_rate_limits(redis: Any, limits: dict[str, float]) -> None:
    """Make Redis say what the database says (at start-up: Redis may have been flushed)."""
    pipe = redis.pipeline(transaction=True)
    pipe.delete(RATE_LIMITS_KEY)
    if limits:
        pipe.hset(RATE_LIMITS_KEY, mapping={q: repr(float(r)) for q, r in limits.items()})
    await pipe.execute()


class ConsumerControl:
    """Broadcasts add_consumer / cancel_consumer to every running worker. Celery's control API is
    synchronous, so it runs in a thread (contextvars, hence the trace id in logs, follow it)."""

    def __init__(self, app: Celery, *, reply_timeout_s: float = CONTROL_REPLY_TIMEOUT_S) -> None:
        self.app = app
        self.reply_timeout_s = reply_timeout_s

    async def add(self, queue_name: str) -> list[str]:
        return await asyncio.to_thread(self._broadcast, "add_consumer", queue_name)

    async def cancel(self, queue_name: str) -> list[str]:
        return await asyncio.to_thread(self._broadcast, "cancel_consumer", queue_name)

    def _broadcast(self, command: str, queue_name: str) -> list[str]:
        """Names of the workers that acknowledged. A failure is logged, not raised: the database
        change is already committed, workers that start later read it, and repeating the action
        repeats the broadcast."""
        try:
            replies = getattr(self.app.control, command)(
                queue_name, reply=True, timeout=self.reply_timeout_s
            )
        except Exception as exc:  # noqa: BLE001 - broker hiccup must not fail a committed change
            log.warning("%s %s broadcast failed: %s", command, queue_name, exc)
            return []
        nodes = sorted(node for reply in replies or [] for node in reply)
        log.info(
            "%s %s acknowledged by %d workers", command, queue_name, len(nodes), extra={"workers": nodes}
        )
        return nodes
