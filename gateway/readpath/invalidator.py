"""The SSOT cache invalidator (SPEC §6): a Redis Streams consumer group shared by all gateway
replicas, so each event is handled by ONE replica, which refreshes the snapshot in place
(SnapshotCache.refresh: rebuild and replace, so readers keep hitting meanwhile).

- XREADGROUP `>` then XACK after the snapshot is refreshed: a replica that dies in between leaves
  the entry pending, and another replica takes it over with XAUTOCLAIM once it has been pending
  longer than `claim_idle_ms`.
- The relay may publish an event twice (same `event_id`), and a claimed entry may already have
  been handled by a replica that died before its XACK. Event ids handled in the current and the
  previous minute are kept in one Redis set per minute, so such a copy is a no-op. (A duplicate
  later than that costs one extra rebuild, nothing worse: deleting the snapshot is idempotent.)
- Consumers of replicas long gone, with nothing pending, are removed from the group.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time

import redis.exceptions
from redis.asyncio import Redis

from gateway.readpath.cache import KEY, SnapshotCache
from gateway.readpath.hub import entries_of
from services.common.events import STREAM

log = logging.getLogger("gateway.readpath.invalidator")

GROUP = "gateway-ssot-invalidator"
SEEN = KEY + ":seen:"  # + minute number: a set of event ids
SEEN_BUCKET_S = 60
DEAD_CONSUMER_IDLE_MS = 3_600_000


class Invalidator:
    def __init__(self, redis: Redis, cache: SnapshotCache, *, claim_idle_ms: int = 5000) -> None:
        self.redis = redis
        self.cache = cache
        self.claim_idle_ms = claim_idle_ms
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.handled = 0
        self.duplicates = 0
        self.invalidated_by_events = 0

    async def ensure_group(self) -> None:
        try:
            # "$": events older than the group cannot invalidate a snapshot built after them.
            await self.redis.xgroup_create(STREAM, GROUP, id="$", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def handle(self, entries: list[tuple[bytes, dict]]) -> None:
        if not entries:
            return
        ids = [raw_id for raw_id, _ in entries]
        event_ids = [fields.get(b"event_id") or raw_id for raw_id, fields in entries]
        bucket = int(time.time() // SEEN_BUCKET_S)
        now_key, prev_key = f"{SEEN}{bucket}", f"{SEEN}{bucket - 1}"
        # One round trip: the dedup check and the cache's first step (bump GEN, is the snapshot
        # cached and read). A batch of nothing but duplicates bumps GEN for nothing, which at
        # worst makes a rebuild in flight fetch once more.
        pipe = self.redis.pipeline(transaction=True).smismember(now_key, event_ids).smismember(prev_key, event_ids)
        in_now, in_prev, *bumped = await self.cache.bump(pipe).execute()
        fresh = [e for e, a, b in zip(event_ids, in_now, in_prev, strict=True) if not (a or b)]
        if fresh:
            try:
                await self.cache.refresh(bumped)
            except Exception:
                # A refresh that fails must still invalidate: readers then rebuild on a miss.
                await self.cache.invalidate()
                raise
            self.invalidated_by_events += 1
        # Mark seen only after the delete, so a crash in between re-handles rather than skips.
        pipe = self.redis.pipeline(transaction=False)
        if fresh:
            pipe.sadd(now_key, *fresh).expire(now_key, 3 * SEEN_BUCKET_S)
        pipe.xack(STREAM, GROUP, *ids)
        await pipe.execute()
        self.handled += len(entries)
        self.duplicates += len(entries) - len(fresh)

    async def claim_stale(self) -> None:
        start = "0-0"
        while True:
            next_start, entries, _deleted = await self.redis.xautoclaim(
                STREAM, GROUP, self.consumer, self.claim_idle_ms, start_id=start, count=100
            )
            if entries:
                log.info("claimed %d pending event(s) from a stalled consumer", len(entries))
            await self.handle([e for e in entries if e and e[1] is not None])
            start = next_start
            if _s(start) == "0-0":
                return

    async def forget_dead_consumers(self) -> None:
        for c in await self.redis.xinfo_consumers(STREAM, GROUP):
            name = _s(c["name"])
            if name != self.consumer and c["pending"] == 0 and c["idle"] > DEAD_CONSUMER_IDLE_MS:
                await self.redis.xgroup_delconsumer(STREAM, GROUP, name)

    async def run(self) -> None:
        next_claim = 0.0
        next_forget = time.monotonic() + 60
        while True:
            try:
                now = time.monotonic()
                if now >= next_claim:
                    await self.claim_stale()
                    next_claim = now + max(self.claim_idle_ms / 2000, 0.5)
                if now >= next_forget:
                    await self.forget_dead_consumers()
                    next_forget = now + 300
                reply = await self.redis.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=100, block=500)
                await self.handle(entries_of(reply))
            except asyncio.CancelledError:
                raise
            except redis.exceptions.ResponseError as exc:
                if "NOGROUP" in str(exc):  # the stream was deleted (e.g. FLUSHDB): recreate the group
                    await self.ensure_group()
                    continue
                log.warning("invalidator: %s; retrying", exc)
                await asyncio.sleep(0.5)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
                log.warning("invalidator: redis unavailable (%s); retrying", exc)
                await asyncio.sleep(0.5)


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v
