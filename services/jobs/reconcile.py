"""The reconciler: a pending job whose broker message was lost is sent again.

kombu's Redis transport hands a message to a worker in two steps: `BRPOP` takes it off the queue's
list, then the worker writes it into the `unacked` hash, where late acknowledgement keeps it until
the task returns (services/common/celery.py). A worker SIGKILLed between the two steps, or while
Redis's reply to its `BRPOP` is still on the wire, loses the message: the job stays pending and
nothing will ever run it. Each pass, taken by one replica at a time (a Redis lock):

1. the queues that have pending jobs; for each whose lists hold at most `PEEK_LIMIT` messages, the
   job ids in them (a deeper queue waits for a later pass: its jobs may simply be behind);
2. the job ids in the `unacked` hash (taken by a worker, not yet acknowledged);
3. pending jobs of those queues, not held for an eta, due for at least one interval, that have a
   message in neither place: suspects;
4. a suspect the previous pass suspected too is sent again (same task id); the others are
   remembered for the next pass.

Two passes keep short, legitimate gaps from being filled: a job being moved between queues,
`queue.clear` between its purge and its cancel, a `BRPOP` reply a live worker is reading. A
second message for a job is harmless anyway: the task wrapper starts only a job still pending.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from sqlalchemy import text

from services.common.celery import PRIORITY_STEPS, UNACKED_KEY, broker_keys, depths
from services.jobs.broker import message_id, unacked_message_id

log = logging.getLogger(__name__)

LOCK_KEY = "switchboard:jobs:reconcile:lock"
SUSPECTS_KEY = "switchboard:jobs:reconcile:suspects"
PEEK_LIMIT = 2000  # messages of one queue read per pass
BATCH = 1000  # pending jobs examined per pass

# The queues with pending jobs, one index probe each (PostgreSQL 15 has no skip scan).
_PENDING_QUEUES = text("""
WITH RECURSIVE q AS (
  (SELECT queue FROM jobs.jobs WHERE status = 'pending' ORDER BY queue LIMIT 1)
  UNION ALL
  SELECT (SELECT j.queue FROM jobs.jobs j WHERE j.status = 'pending' AND j.queue > q.queue
          ORDER BY j.queue LIMIT 1)
  FROM q WHERE q.queue IS NOT NULL
)
SELECT queue FROM q WHERE queue IS NOT NULL
""")

_CANDIDATES = text("""
SELECT job_id, task, queue, priority, kwargs, trace_id, created_by
FROM jobs.jobs
WHERE status = 'pending' AND NOT held AND queue = ANY(:queues)
  AND greatest(eta, created_at) < now() - make_interval(secs => :grace)
ORDER BY seq
LIMIT :batch
""")


class Reconciler:
    def __init__(self, flows: Any, interval_s: float) -> None:
        self.flows, self.interval_s = flows, interval_s
        self.redis = flows.rt.redis
        self.me = f"{os.uname().nodename}:{os.getpid()}"

    async def run(self) -> None:
        if self.interval_s <= 0:
            return
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.pass_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next pass tries again
                log.exception("reconciling pending jobs with the broker failed")

    async def pass_once(self) -> list[str]:
        """One pass; returns the ids of the jobs sent again."""
        lock_ms = max(100, int(self.interval_s * 800))
        if not await self.redis.set(LOCK_KEY, self.me, nx=True, px=lock_ms):
            return []  # another replica's pass
        queued = await self._queued_ids(await self._pending_queues())
        if not queued:
            await self.redis.delete(SUSPECTS_KEY)
            return []
        async with self.flows.reads.connect() as conn:
            rows = (await conn.execute(_CANDIDATES, {"queues": sorted(queued), "grace": self.interval_s,
                                                     "batch": BATCH})).all()
        taken = {unacked_message_id(raw) for raw in await self.redis.hvals(UNACKED_KEY)} if rows else set()
        missing = {r.job_id: r for r in rows if r.job_id not in queued[r.queue] and r.job_id not in taken}
        before = {m.decode() for m in await self.redis.smembers(SUSPECTS_KEY)}
        again = [row for job_id, row in missing.items() if job_id in before]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(SUSPECTS_KEY)
            if rest := [job_id for job_id in missing if job_id not in before]:
                pipe.sadd(SUSPECTS_KEY, *rest)
                pipe.pexpire(SUSPECTS_KEY, int(self.interval_s * 3000))
            await pipe.execute()
        if again:
            log.warning("pending jobs without a broker message, sent again: %s",
                        ", ".join(r.job_id for r in again))
            await self.flows.send_many(again, own_context=True)
        return [r.job_id for r in again]

    async def _pending_queues(self) -> list[str]:
        async with self.flows.reads.connect() as conn:
            return [q for (q,) in (await conn.execute(_PENDING_QUEUES)).all()]

    async def _queued_ids(self, queues: list[str]) -> dict[str, set[str]]:
        """Job ids waiting in each queue's lists, for the queues shallow enough to read whole."""
        shallow = [q for q, n in (await depths(self.redis, queues)).items() if n <= PEEK_LIMIT]
        if not shallow:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for q in shallow:
                for key in broker_keys(q):
                    pipe.lrange(key, 0, -1)
            lists = await pipe.execute()
        steps = len(PRIORITY_STEPS)
        return {q: {message_id(raw) for chunk in lists[i * steps:(i + 1) * steps] for raw in chunk}
                for i, q in enumerate(shallow)}
