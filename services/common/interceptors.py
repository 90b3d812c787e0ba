"""Server interceptors every service installs, outermost first:

1. `TraceContextInterceptor` — reads `traceparent` / `x-actor` / `x-roles` metadata into the call
   context, so events, logs and Celery headers carry the caller's trace and identity.
2. `DomainErrorInterceptor` — turns a `DomainError` into its status code with the reason (and the
   field at fault) in trailing metadata; a value the database refuses (its data-exception class)
   becomes INVALID_ARGUMENT; an unreachable or full database, or Redis (cache, broker) out of reach,
   becomes UNAVAILABLE; anything else becomes INTERNAL without a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import psycopg
import sqlalchemy.exc
from google.protobuf import descriptor_pool

from admin.v1 import action_pb2
from services.common import context
from services.common.errors import REASON_KEY, DomainError, backend_unavailable

log = logging.getLogger(__name__)
served = logging.getLogger("services.action")  # one record per action RPC served (docs/logs.md)
_ACTIONS: dict[str, str] = {}


def action_of(method: str) -> str:
    """The catalogue name of `/pkg.Service/Method` ("" for an internal RPC), from its proto option."""
    name = _ACTIONS.get(method)
    if name is None:
        name = ""
        try:
            svc, _, rpc = method.lstrip("/").rpartition("/")
            m = descriptor_pool.Default().FindMethodByName(f"{svc}.{rpc}")
            opts = m.GetOptions()
            if opts.HasExtension(action_pb2.action):
                name = opts.Extensions[action_pb2.action].name
        except KeyError:
            pass
        _ACTIONS[method] = name
    return name

Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _wrap_unary(handler: grpc.RpcMethodHandler, wrap: Callable[[Handler], Handler]) -> grpc.RpcMethodHandler:
    if handler is None or handler.unary_unary is None:
        return handler
    return grpc.unary_unary_rpc_method_handler(
        wrap(handler.unary_unary),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class TraceContextInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(self, continuation, handler_call_details):  # type: ignore[override]
        handler = await continuation(handler_call_details)
        md = {k: v for k, v in (handler_call_details.invocation_metadata or ()) if isinstance(v, str)}
        action = action_of(handler_call_details.method)

        def wrap(inner: Handler) -> Handler:
            async def call(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
                token = context.set_current(context.from_metadata(md))
                if action:
                    served.info("%s", action, extra={"action": action})
                try:
                    return await inner(request, ctx)
                finally:
                    context.reset(token)

            return call

        return _wrap_unary(handler, wrap)


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(self, continuation, handler_call_details):  # type: ignore[override]
        handler = await continuation(handler_call_details)
        method = handler_call_details.method

        def wrap(inner: Handler) -> Handler:
            async def call(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
                try:
                    return await inner(request, ctx)
                except DomainError as exc:
                    await ctx.abort(exc.code, exc.message, trailing_metadata=exc.trailing_metadata())
                except grpc.aio.AbortError:
                    raise
                except (psycopg.DataError, sqlalchemy.exc.DataError) as exc:
                    # PostgreSQL's "data exception" class: a value the caller sent cannot be stored
                    # (a NUL character, an out-of-range number). The caller's to fix, not a 500.
                    detail = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
                    log.warning("value refused by the database in %s: %s", method, detail)
                    await ctx.abort(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        f"a value cannot be stored: {detail}",
                        trailing_metadata=((REASON_KEY, "UNSTORABLE_VALUE"),),
                    )
                except Exception as exc:
                    if (away := backend_unavailable(exc)) is not None:
                        # PostgreSQL or Redis away (restart, failover, too many clients): the caller
                        # may retry, and the gateway's breaker counts it — not a 500.
                        log.error("%s in %s: %s", away.reason, method, (str(exc).strip().splitlines() or [repr(exc)])[0])
                        await ctx.abort(away.code, away.message, trailing_metadata=away.trailing_metadata())
                    log.exception("unhandled error in %s", method)
                    await ctx.abort(
                        grpc.StatusCode.INTERNAL,
                        "internal error; see the service log for this trace id",
                        trailing_metadata=((REASON_KEY, "INTERNAL"),),
                    )

            return call

        return _wrap_unary(handler, wrap)
