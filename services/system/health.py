"""The health roll-up (`system.health`): every service's `grpc.health.v1`, PostgreSQL, Redis, the
Celery broker and the gateway's breakers, probed in parallel, each within its own short deadline,
so the answer comes within a few seconds whatever is down. A component being down is reported,
never an error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass

import grpc
import redis.asyncio as aioredis
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common import clients
from services.common.settings import PORTS, Settings

PROBE_S = 2.0
# The gateway's breaker state (gateway/breakers.py NAMESPACE; pybreaker's state words). Read-only.
BREAKER_NAMESPACE = "switchboard:breaker:"
BREAKER_WORDS = {"closed": "closed", "half-open": "half_open", "open": "open"}
BREAKER_HEALTH = {"closed": "ok", "half_open": "degraded", "open": "down"}
SERVICES = tuple(PORTS)  # jobs, queue, workers, system, config, logs


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    status: str  # ok | degraded | down
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Health:
    status: str
    components: list[Component]
    breakers: dict[str, str]  # service -> closed | half_open | open


async def _bounded(name: str, probe: Awaitable[Component], limit_s: float = PROBE_S) -> Component:
    try:
        return await asyncio.wait_for(probe, limit_s)
    except TimeoutError:
        return Component(name, "down", f"no answer within {limit_s:g} s")
    except Exception as exc:  # noqa: BLE001 - a probe's failure is the component's state
        return Component(name, "down", f"{type(exc).__name__}: {exc}"[:300])


async def grpc_service(settings: Settings, name: str) -> Component:
    stub = health_pb2_grpc.HealthStub(clients.channel(settings.addr(name)))
    try:
        resp = await stub.Check(health_pb2.HealthCheckRequest(), timeout=PROBE_S)
    except grpc.aio.AioRpcError as exc:
        return Component(name, "down", f"{exc.code().name}: {exc.details() or ''}".strip()[:300])
    if resp.status == health_pb2.HealthCheckResponse.SERVING:
        return Component(name, "ok")
    return Component(name, "down", health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status))


async def postgresql(engine: AsyncEngine) -> Component:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return Component("postgresql", "ok")


async def redis_ping(redis: aioredis.Redis, name: str) -> Component:
    await redis.ping()
    return Component(name, "ok")


async def breaker_states(redis: aioredis.Redis, reset_s: float) -> dict[str, str]:
    """service -> closed | half_open | open, as the gateway would treat the next call: an open
    breaker whose reset timeout has elapsed lets the next call through as the half-open probe."""
    pipe = redis.pipeline(transaction=False)
    for name in SERVICES:
        pipe.hgetall(f"{BREAKER_NAMESPACE}{name}")
    out: dict[str, str] = {}
    for name, raw in zip(SERVICES, await pipe.execute(), strict=True):
        state = BREAKER_WORDS.get((raw.get(b"state") or b"closed").decode(), "closed")
        opened = raw.get(b"opened_at")
        if state == "open" and opened and float(opened) + reset_s <= time.time():
            state = "half_open"
        out[name] = state
    return out


def roll_up(components: list[Component]) -> str:
    by_name = {c.name: c.status for c in components}
    if all(c.status == "ok" for c in components):
        return "ok"
    if by_name.get("postgresql") == "down" or by_name.get("redis") == "down":
        return "down"
    return "degraded"


async def check(settings: Settings, engine: AsyncEngine, redis: aioredis.Redis, broker: aioredis.Redis) -> Health:
    probes = [_bounded(n, grpc_service(settings, n)) for n in SERVICES]
    probes += [
        _bounded("postgresql", postgresql(engine)),
        _bounded("redis", redis_ping(redis, "redis")),
        _bounded("broker", redis_ping(broker, "broker")),
    ]
    found, breakers = await asyncio.gather(
        asyncio.gather(*probes),
        _breakers_or_unknown(redis, settings.breaker_reset_s),
    )
    components = list(found)
    for name in SERVICES:
        state = breakers.get(name)
        if state is None:
            components.append(Component(f"breaker.{name}", "down", "breaker state unreadable (Redis)"))
        else:
            components.append(Component(f"breaker.{name}", BREAKER_HEALTH[state], "" if state == "closed" else state))
    return Health(roll_up(components), components, breakers)


async def _breakers_or_unknown(redis: aioredis.Redis, reset_s: float) -> dict[str, str]:
    try:
        return await asyncio.wait_for(breaker_states(redis, reset_s), PROBE_S)
    except Exception:  # noqa: BLE001 - Redis down is reported by its own probe
        return {}
