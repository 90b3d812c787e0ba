"""The gateway's HTTP application: `POST /api/admin/action` (the pipeline), `GET /api/admin/actions`,
`/openapi.json`, `/healthz`, `/readyz`, `/metrics`, plus the read path's routes (SSOT, events).

Everything costly — catalogue, RBAC table, schemas, the pipeline itself — is built once, here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import catalogue as catalogue_mod
from gateway import console, metrics, pipeline, rbac, readpath
from gateway.admin import GatewayAdmin
from gateway.auth import AuthError, authenticate, challenge
from gateway.openapi import add_action_endpoint
from gateway.pipeline.call import Call
from gateway.pipeline.validate import trace_id_of
from gateway.problems import problem_response
from gateway.runtime import Runtime
from services.common import clients, heartbeat, telemetry
from services.common.db import async_engine
from services.common.settings import Settings
from services.common.startup import settle_heap

REDIS_MAX_CONNECTIONS = 256
REDIS_WAIT_S = 5


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


ACTION_PATH = "/api/admin/action"


async def run_action(request: Request) -> Response:
    return await request.app.state.pipeline(Call(request))


def with_action_fast_path(app: FastAPI) -> ASGIApp:
    """The served app: `POST /api/admin/action` goes straight to the pipeline, ahead of FastAPI's
    router and exception middleware (which cost ~10 % of a pipeline run and add nothing: the
    pipeline answers every failure itself); everything else, lifespan included, goes to FastAPI.
    The same route stays registered on `app`, so an in-process client sees one behaviour."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == ACTION_PATH and scope["method"] == "POST":
            scope["app"] = app
            response = await run_action(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await app(scope, receive, send)

    return asgi


def create_app(settings: Settings) -> FastAPI:
    catalogue = catalogue_mod.load()  # fail fast on a malformed option, before serving anything
    grants = rbac.load_grants(settings.rbac_grants)
    listing: list[dict[str, Any]] = [{"name": a.name, "summary": a.summary, "kind": a.kind, "risk": a.risk,
                "permission": a.permission, "view": a.view, "payload_schema": dict(a.payload_schema)}
               for a in catalogue.values()]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        # Blocking pool: a burst beyond the pool waits briefly for a connection rather than
        # failing with "Too many connections" (which would surface as a 503 to the caller).
        app.state.redis = Redis(connection_pool=BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=REDIS_MAX_CONNECTIONS, timeout=REDIS_WAIT_S))
        app.state.db = async_engine(settings.database_url)
        rt = Runtime.create(settings=settings, redis=app.state.redis, engine=app.state.db,
                            catalogue=catalogue, grants=grants, local=GatewayAdmin(app).handlers(), app=app)
        app.state.runtime = rt
        app.state.settings = rt.settings  # the live view (services/common/live.py), read path included
        await rt.live.start()  # stored config values apply from the first request on
        app.state.catalogue = catalogue
        app.state.pipeline = pipeline.build(rt)
        rt.audit.start()
        breaker_listener = asyncio.create_task(rt.breakers.listen(), name="breaker-listener")
        beating = asyncio.create_task(heartbeat.beat_forever(app.state.redis, "gateway"), name="heartbeat")
        try:
            async with readpath.lifespan(app):
                settle_heap()
                yield
        finally:
            breaker_listener.cancel()
            beating.cancel()
            await asyncio.gather(breaker_listener, beating, return_exceptions=True)
            await rt.live.stop()
            await rt.audit.close()
            await clients.close_all()
            await app.state.redis.aclose()
            await app.state.db.dispose()

    app = FastAPI(title="Switchboard gateway", version="1", lifespan=lifespan)

    app.add_route(ACTION_PATH, run_action, methods=["POST"], include_in_schema=False)

    @app.get("/api/admin/actions", summary="The action catalogue, with what the caller may run")
    async def list_actions(request: Request) -> Response:
        rt: Runtime = request.app.state.runtime
        try:
            principal = authenticate(settings, request.headers.get("authorization"))
        except AuthError as exc:
            return problem_response(401, "Unauthorized", exc.detail, code="UNAUTHENTICATED",
                                    type_="/problems/unauthenticated", trace_id=trace_id_of(request.headers),
                                    headers={"WWW-Authenticate": challenge(bool(request.headers.get("authorization")))})
        out = [{**a, "allowed": rt.authorizer.allowed(principal.roles, a["permission"])} for a in listing]
        return _json({"actions": out})

    @app.get("/healthz", summary="Alive")
    async def healthz() -> Response:
        return _json({"status": "ok"})

    @app.get("/readyz", summary="Ready when Redis and PostgreSQL answer; lists each service's health")
    async def readyz(request: Request) -> Response:
        rt: Runtime = request.app.state.runtime
        redis_ok, db_ok, services = await asyncio.gather(
            _check(rt.redis.ping()), _check(_db_ping(rt)), _services_health(rt))
        ready = redis_ok and db_ok
        body = {"ready": ready, "redis": "ok" if redis_ok else "down",
                "postgresql": "ok" if db_ok else "down", "services": services}
        return _json(body, 200 if ready else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.include_router(readpath.router)
    if telemetry.enabled():  # server spans for every route but the action fast path (tracing.py)
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    console.mount(app)  # the admin console's static files at / (SPEC §9)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            app.openapi_schema = add_action_endpoint(doc, catalogue)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _check(aw: Any, timeout_s: float = 1.0) -> bool:
    try:
        async with asyncio.timeout(timeout_s):
            await aw
        return True
    except Exception:  # noqa: BLE001 - any failure is "not ready"
        return False


async def _db_ping(rt: Runtime) -> None:
    async with rt.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _services_health(rt: Runtime) -> dict[str, str]:
    async def one(service: str) -> str:
        stub = health_pb2_grpc.HealthStub(clients.channel(rt.settings.addr(service)))
        try:
            resp = await stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5)
        except Exception:  # noqa: BLE001
            return "unreachable"
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status).lower()

    names = rt.breakers.services
    return dict(zip(names, await asyncio.gather(*(one(s) for s in names)), strict=True))
