"""Read path of the gateway: the SSOT snapshot cache and live event fan-out (SPEC §5, §6).

`gateway.app` includes `router` and runs `lifespan(app)` after it has set `app.state.settings`;
GatewayAdmin's cache.stats / cache.flush call `cache_stats` / `cache_flush`.

The read path keeps its own Redis pool, a *blocking* one: a burst of hundreds of concurrent reads
waits a moment for a connection instead of failing with "Too many connections", and the stream
readers' long blocking reads never take connections from the action pipeline.

Modules: `sections` (the one registry of snapshot sections), `cache` (snapshot key, single-flight,
stale copy), `ssot` (the HTTP endpoint), `invalidator` (consumer group deleting the snapshot on
events), `hub` (per-replica stream reader feeding WebSockets), `events_ws` (the WebSocket endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from redis.asyncio import BlockingConnectionPool, Redis

from gateway.readpath import events_ws, ssot
from gateway.readpath.cache import SnapshotCache
from gateway.readpath.hub import EventHub
from gateway.readpath.invalidator import Invalidator

REDIS_MAX_CONNECTIONS = 64
REDIS_WAIT_S = 5

router = APIRouter()
router.include_router(ssot.router)
router.include_router(events_ws.router)


@dataclass
class ReadPath:
    cache: SnapshotCache
    hub: EventHub
    invalidator: Invalidator


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    redis = Redis(connection_pool=BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=REDIS_MAX_CONNECTIONS, timeout=REDIS_WAIT_S
    ))
    hub = EventHub(redis, queue_max=settings.ws_queue_max)
    cache = SnapshotCache(settings, redis, hub.throughput)
    invalidator = Invalidator(
        redis, cache, claim_idle_ms=settings.events_claim_idle_ms
    )
    await invalidator.ensure_group()
    await hub.start_position()
    app.state.readpath = ReadPath(cache, hub, invalidator)
    tasks = [
        asyncio.create_task(hub.run(), name="readpath-event-reader"),
        asyncio.create_task(invalidator.run(), name="readpath-invalidator"),
    ]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()


def cache_stats(app: FastAPI) -> dict[str, Any]:
    """Counts of this replica (Prometheus sums replicas); `cached` is this replica's last view."""
    rp: ReadPath = app.state.readpath
    return {
        **rp.cache.stats(),
        "events_handled": rp.invalidator.handled,
        "event_duplicates": rp.invalidator.duplicates,
        "websocket_clients": len(rp.hub.subscribers),
    }


async def cache_flush(app: FastAPI) -> bool:
    """Drop the snapshot; True when there was one."""
    return await app.state.readpath.cache.invalidate()
