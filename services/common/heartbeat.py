"""Process heartbeats (payloads/system.md, `system.report`): every process writes
`<component>|<host>:<pid>` -> `<unix time> <version>` into the Redis hash `switchboard:heartbeats`
at least every 10 s; `system.report` counts a component's replicas as the entries younger than 30 s.

`beat_forever(redis, component)` is the loop a process runs (a background task): every service
through the kit (services/common/kit.py), the gateway from its lifespan; a job worker's main
process runs it on a thread (`start_thread`). Entries of processes gone for 5 minutes are pruned
by whoever beats.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from importlib import metadata

log = logging.getLogger(__name__)

KEY = "switchboard:heartbeats"
PERIOD_S = 5.0
FRESH_S = 30.0
PRUNE_S = 300.0


def version() -> str:
    try:
        return metadata.version("switchboard")
    except metadata.PackageNotFoundError:
        return "dev"


def instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def beat(redis, component: str, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    await redis.hset(KEY, f"{component}|{instance()}", f"{now:.3f} {version()}")


async def beat_forever(redis, component: str) -> None:
    while True:
        try:
            await beat(redis, component)
            await prune(redis)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis away: try again next period
            log.debug("heartbeat failed: %s", exc)
        await asyncio.sleep(PERIOD_S)


async def prune(redis, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    stale = [f for f, v in (await redis.hgetall(KEY)).items() if _ts(v) < now - PRUNE_S]
    if stale:
        await redis.hdel(KEY, *stale)


def _ts(raw: bytes | str) -> float:
    try:
        return float((raw.decode() if isinstance(raw, bytes) else raw).split(" ", 1)[0])
    except ValueError:
        return 0.0


async def replicas(redis, *, now: float | None = None) -> dict[str, tuple[int, str]]:
    """component -> (processes that beat within FRESH_S, the newest version they report)."""
    now = time.time() if now is None else now
    out: dict[str, tuple[int, str]] = {}
    for field, raw in (await redis.hgetall(KEY)).items():
        name = (field.decode() if isinstance(field, bytes) else field).split("|", 1)[0]
        text = raw.decode() if isinstance(raw, bytes) else raw
        ts = _ts(text)
        if ts >= now - FRESH_S:
            count, ver = out.get(name, (0, ""))
            out[name] = (count + 1, text.split(" ", 1)[1] if " " in text else ver)
    return out


def start_thread(redis_url: str, component: str) -> threading.Thread:
    """`beat_forever` on a daemon thread with its own loop and client (a process without an asyncio
    loop: the job worker's main process, once its pool has forked)."""

    def main() -> None:
        import redis.asyncio as aioredis

        asyncio.run(beat_forever(aioredis.Redis.from_url(redis_url), component))

    thread = threading.Thread(target=main, name=f"heartbeat-{component}", daemon=True)
    thread.start()
    return thread
