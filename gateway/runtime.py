"""Everything the gateway builds once at start-up and every request reuses: settings, Redis,
the database engine, the catalogue, RBAC, the audit writer, breakers, the rate limiter and the
dispatcher. Lives on `app.state.runtime`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.auditlog import AuditLog
from gateway.breakers import Breakers
from gateway.catalogue import IN_PROCESS, Action
from gateway.pipeline.dispatch import Dispatcher, LocalHandler
from gateway.pipeline.ratelimit import Limiter
from gateway.rbac import Authorizer
from services.common.live import Live
from services.common.settings import Settings


@dataclass
class Runtime:
    # The live view of the settings (services/common/live.py): the registered keys — rate limits,
    # breaker thresholds, SSOT TTL, default RPC deadline — read their current value at each access.
    settings: Settings  # a LiveSettings in fact (duck-typed)
    redis: Redis
    engine: AsyncEngine
    catalogue: Mapping[str, Action]
    authorizer: Authorizer
    audit: AuditLog
    breakers: Breakers
    limiter: Limiter
    dispatcher: Dispatcher
    app: Any  # the FastAPI app (the read path's cache lives on it)
    live: Live  # started and stopped by the app's lifespan

    @classmethod
    def create(cls, *, settings: Settings, redis: Redis, engine: AsyncEngine, catalogue: Mapping[str, Action],
               grants: Mapping[str, str], local: Mapping[str, LocalHandler], app: Any) -> Runtime:
        services = {a.service for a in catalogue.values() if a.service != IN_PROCESS}
        live = Live(settings, redis, component="gateway")
        view: Any = live.view  # everything below reads the settings through it
        return cls(
            settings=view, redis=redis, engine=engine, catalogue=catalogue,
            authorizer=Authorizer({a.permission: a.min_role for a in catalogue.values()}, grants),
            audit=AuditLog(engine),
            breakers=Breakers(redis, fail_max=settings.breaker_fail_max, reset_s=settings.breaker_reset_s,
                              services=services, settings=view),
            limiter=Limiter(redis, view), dispatcher=Dispatcher(view, local), app=app, live=live,
        )
