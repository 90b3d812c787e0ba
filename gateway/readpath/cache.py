"""The SSOT snapshot cache (SPEC §5): one Redis key, single-flight rebuilds, stale-on-failure.

Keys (all derived from `KEY`, so operators find them together):
- `admin:dashboard:v4` — `<etag>\\n<HIT|STALE>\\n<json>` with TTL `ssot_ttl_s`. The header lines let a
  hit answer (and compare ETags) without parsing the JSON.
- `…:last-good` — every section's last successfully fetched value, no TTL: the stale copy.
- `…:lock` — the rebuild lock, so a burst of misses across all replicas runs ONE fan-out.
- `…:gen` — bumped by every invalidation. A rebuild that saw the generation change while it was
  fetching does not keep what it wrote (a miss) or fetches again (a refresh), so an event that
  lands mid-fetch is never papered over.

Events *refresh* the snapshot rather than delete it (`refresh`): the invalidator rebuilds it in
place, so readers keep hitting the previous snapshot for the few milliseconds of the fan-out and
then see the new one. Deleting on every event would turn each event into a miss for every reader
that arrives during the rebuild (SPEC §11 asks ≥ 99 % hits with events flowing). `cache.flush`
still deletes.

A refresh is only worth its fan-out while somebody reads: an event refreshes the snapshot when it
was read in the last `READ_RECENT_S` seconds, and deletes it otherwise (the next reader rebuilds
it once, and refreshes resume). Without this, one read kept the snapshot alive for as long as
events flowed, and every command paid for rebuilds nobody looked at: at concurrency 1, one
fan-out per two `job.cancel`s doubled the CPU a cancel costs every process (docs/performance.md).
- `…:read` — set (with a TTL of `READ_RECENT_S`) by readers, at most once a second per replica.
- `…:version` — snapshot counter, the body's `version`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import orjson
from redis.asyncio import Redis

from gateway.readpath import metrics
from gateway.readpath.sections import DASHBOARD, OWNED, SECTIONS, FetchContext, compose_dashboard
from services.common.settings import Settings

log = logging.getLogger("gateway.readpath.cache")

KEY = "admin:dashboard:v4"
LAST_GOOD = KEY + ":last-good"
LOCK = KEY + ":lock"
GEN = KEY + ":gen"
VERSION = KEY + ":version"
READ = KEY + ":read"
# An event refreshes the snapshot only if it was read this recently (the console reads it again
# within a second of every event it is shown); otherwise the event deletes it.
READ_RECENT_S = 10
MARK_EVERY_S = 1.0
# A snapshot with missing sections is kept briefly so a recovered service shows up soon.
DEGRADED_TTL_S = 2
POLL_S = 0.01
REFRESH_MIN_S = 0.05

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(frozen=True, slots=True)
class Served:
    etag: bytes
    body: bytes
    x_cache: str  # HIT, MISS or STALE


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    etag, flag, body = raw.split(b"\n", 2)
    return etag, flag, body


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SnapshotCache:
    def __init__(self, settings: Settings, redis: Redis, throughput: Callable[[], dict[str, Any]]) -> None:
        self.settings = settings
        self.redis = redis
        self.throughput = throughput
        # Per-section deadline: a slow service must not hold the whole snapshot for the RPC timeout.
        self.deadline_s = min(settings.rpc_timeout_ms, 2000) / 1000
        self.lock_ms = int(self.deadline_s * 1000) + 3000
        self._flight: asyncio.Task[Served] | None = None
        self.counts = {"hits": 0, "misses": 0, "stale": 0, "fanouts": 0, "invalidations": 0}
        self.cached_hint = False  # what this replica last saw; cache.stats is synchronous
        self.last_gen: bytes | None = None  # GEN after / before the latest fan-out of this replica
        self.last_gen_seen: bytes | None = None
        self._last_refresh = 0.0
        self.read_recent_s = READ_RECENT_S
        self._marked_at = float("-inf")

    # --- read -------------------------------------------------------------------------------
    async def get(self) -> Served:
        now = time.monotonic()
        if now - self._marked_at < MARK_EVERY_S:
            raw = await self.redis.get(KEY)
        else:  # say that the snapshot is being read, in the same round trip
            self._marked_at = now
            raw, _ = await (self.redis.pipeline(transaction=False).get(KEY)
                            .set(READ, b"1", px=max(1, int(self.read_recent_s * 1000))).execute())
        if raw is not None:
            etag, flag, body = _split(raw)
            self.cached_hint = True
            self._count("hit" if flag == b"HIT" else "stale")
            return Served(etag, body, flag.decode())
        # One flight per replica; the flight itself coordinates with other replicas through LOCK.
        if self._flight is None or self._flight.done():
            self._flight = asyncio.create_task(self._rebuild_shared())
        served = await asyncio.shield(self._flight)
        self._count("stale" if served.x_cache == "STALE" else "miss")
        return served

    def _count(self, result: str) -> None:
        # Each request counts once: hit (fresh from the cache), miss (waited for a rebuild), stale.
        self.counts[{"hit": "hits", "miss": "misses", "stale": "stale"}[result]] += 1
        metrics.SSOT_REQUESTS.labels(result).inc()

    async def _rebuild_shared(self) -> Served:
        give_up = time.monotonic() + self.lock_ms / 1000 + 1
        while time.monotonic() < give_up:
            token = secrets.token_hex(8)
            if await self.redis.set(LOCK, token, nx=True, px=self.lock_ms):
                try:
                    # The previous holder may have stored its snapshot just before we locked.
                    raw = await self.redis.get(KEY)
                    if raw is not None:
                        etag, flag, body = _split(raw)
                        return Served(etag, body, "MISS" if flag == b"HIT" else "STALE")
                    return await self._fanout()
                finally:
                    await self.redis.eval(_RELEASE, 1, LOCK, token)
            # Another replica is rebuilding: wait for its snapshot (or for its lock to go away,
            # e.g. it died or an event made it discard its result, and then try ourselves).
            while time.monotonic() < give_up:
                await asyncio.sleep(POLL_S)
                raw, locked = await self.redis.pipeline(transaction=False).get(KEY).exists(LOCK).execute()
                if raw is not None:
                    etag, flag, body = _split(raw)
                    return Served(etag, body, "MISS" if flag == b"HIT" else "STALE")
                if not locked:
                    break
        # The lock holder is stuck past its own deadline: answer rather than wait on it forever.
        log.warning("ssot rebuild lock held too long; fanning out without it")
        return await self._fanout()

    # --- rebuild ----------------------------------------------------------------------------
    async def _fetch(self, name: str, ctx: FetchContext) -> tuple[str, Any, str | None]:
        try:
            value = await asyncio.wait_for(SECTIONS[name](ctx), self.deadline_s + 0.5)
            return name, value, None
        except grpc.aio.AioRpcError as exc:
            reason = f"{exc.code().name}: {exc.details()}"
        except TimeoutError:
            reason = "DEADLINE_EXCEEDED"
        except Exception as exc:  # noqa: BLE001 — a bug in one section must degrade only that section
            log.exception("ssot section %s failed", name)
            reason = type(exc).__name__
        metrics.SSOT_SECTION_FAILURES.labels(name).inc()
        return name, None, reason

    async def _fanout(self, *, keep_if_changed: bool = False) -> Served:
        self.counts["fanouts"] += 1
        metrics.SSOT_FANOUTS.inc()
        gen0 = await self.redis.get(GEN)
        ctx = FetchContext(self.settings, self.deadline_s)
        results = await asyncio.gather(*(self._fetch(name, ctx) for name in SECTIONS))
        fresh = {name: value for name, value, err in results if err is None}
        failed = {name: err for name, value, err in results if err is not None}

        last_good: dict[str, Any] = {}
        if failed:
            raw = await self.redis.get(LAST_GOOD)
            last_good = orjson.loads(raw) if raw else {}
        stale = sorted(n for n in failed if n in last_good)
        degraded = sorted(n for n in failed if n not in last_good)
        sections: dict[str, Any] = {}
        for name in SECTIONS:
            if name in fresh:
                sections[name] = fresh[name]
            elif name in last_good:
                sections[name] = last_good[name]
            else:
                sections[name] = {"available": False, "reason": f"fetch failed: {failed[name]}"}
        missing = [n for n in degraded if n in OWNED]
        dashboard, sections = compose_dashboard(sections, missing, self.throughput())
        # The dashboard is as fresh as its least fresh part, and whole only when every part is there.
        if any(n in OWNED for n in stale):
            stale = sorted([DASHBOARD, *stale])
        if missing:
            degraded = sorted([DASHBOARD, *degraded])
        sections = {DASHBOARD: dashboard, **sections}

        version = await self.redis.incr(VERSION)
        body = orjson.dumps({
            "version": version, "generated_at": _now_iso(), "degraded": degraded, "stale": stale,
            **sections,
        })
        etag = b'"' + hashlib.blake2b(body, digest_size=10).hexdigest().encode() + b'"'
        flag = b"STALE" if stale else b"HIT"
        ttl = self.settings.ssot_ttl_s if not failed else min(self.settings.ssot_ttl_s, DEGRADED_TTL_S)
        pipe = self.redis.pipeline(transaction=False)
        if ttl > 0:
            pipe.set(KEY, etag + b"\n" + flag + b"\n" + body, ex=ttl)
        if fresh:
            pipe.set(LAST_GOOD, orjson.dumps({**last_good, **fresh}) if failed else orjson.dumps(fresh))
        pipe.get(GEN)
        *_, gen1 = await pipe.execute()
        if gen1 != gen0 and not keep_if_changed:
            # An event arrived while we fetched: what we read may predate it. Serve it to those
            # already waiting (they asked before the change) but do not keep it.
            await self.redis.delete(KEY)
        self.cached_hint = ttl > 0 and gen1 == gen0
        self.last_gen = gen1
        self.last_gen_seen = gen0
        return Served(etag, body, "STALE" if stale else "MISS")

    # --- invalidation -----------------------------------------------------------------------
    @staticmethod
    def bump(pipe: Any) -> Any:
        """Queue on `pipe` (a MULTI) what an event does first: bump GEN, and ask whether the
        snapshot is cached and was read lately. Its replies are what `refresh` takes."""
        return pipe.incr(GEN).exists(KEY).exists(READ)

    async def refresh(self, bumped: Sequence[Any] | None = None) -> None:
        """An event changed the platform: rebuild the snapshot in place (see the module doc).

        `bumped`: the replies of `bump`, when the caller sent it in a MULTI of its own (the
        invalidator does, with its dedup check: one round trip less per event).

        Single-flight across replicas through LOCK: when another rebuild holds it, bumping GEN is
        enough — the holder sees the change and fetches again (a refresh) or drops its result (a
        miss). A refresh that keeps failing to get the lock falls back to deleting the snapshot.
        """
        if bumped is None:
            bumped = await self.bump(self.redis.pipeline(transaction=True)).execute()
        _, cached, read = bumped
        self.counts["invalidations"] += 1
        metrics.SSOT_INVALIDATIONS.inc()
        if not cached:
            return  # nobody is reading (or a miss is rebuilding and will see GEN move): no work
        if not read:
            # Nobody read it lately: a rebuild would be for nobody. Delete it; a reader rebuilds.
            await self.redis.delete(KEY)
            self.cached_hint = False
            return
        # Coalesce: under a stream of events, refresh at most every REFRESH_MIN_S; the events that
        # arrive meanwhile are read as one batch and cost one fan-out.
        wait = self._last_refresh + REFRESH_MIN_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_refresh = time.monotonic()
        token = secrets.token_hex(8)
        if not await self.redis.set(LOCK, token, nx=True, px=self.lock_ms):
            return
        try:
            for _ in range(5):  # events keep landing mid-fetch: fetch again, at most a few times
                await self._fanout(keep_if_changed=True)
                if self.last_gen == self.last_gen_seen:
                    return
            await self.redis.delete(KEY)  # still changing: let the next reader rebuild
        finally:
            await self.redis.eval(_RELEASE, 1, LOCK, token)

    async def invalidate(self) -> bool:
        _, deleted = await self.redis.pipeline(transaction=True).incr(GEN).delete(KEY).execute()
        self.counts["invalidations"] += 1
        metrics.SSOT_INVALIDATIONS.inc()
        self.cached_hint = False
        return bool(deleted)

    def stats(self) -> dict[str, Any]:
        c = self.counts
        served = c["hits"] + c["misses"] + c["stale"]
        return {
            **c,
            "hit_ratio": round(c["hits"] / served, 4) if served else 0.0,
            "cached": self.cached_hint,
            "ttl_s": float(self.settings.ssot_ttl_s),
        }
