"""Step 8 — dispatch: the gRPC call with a deadline and the caller's trace and identity in
metadata, or the in-process GatewayAdmin handler; the gRPC status -> HTTP table lives here, once."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc
import orjson

from gateway.catalogue import IN_PROCESS, Action
from gateway.pipeline.call import Call, Handler, Reply, problem
from gateway.rendered import Rendered
from services.common import clients
from services.common.context import CallContext, to_metadata
from services.common.errors import ERRORS_KEY, FIELD_KEY, REASON_KEY, DomainError, backend_unavailable
from services.common.settings import Settings

log = logging.getLogger(__name__)
S = grpc.StatusCode

HTTP_STATUS: dict[grpc.StatusCode, int] = {
    S.INVALID_ARGUMENT: 400, S.OUT_OF_RANGE: 400, S.FAILED_PRECONDITION: 400,
    S.UNAUTHENTICATED: 401, S.PERMISSION_DENIED: 403, S.NOT_FOUND: 404,
    S.ALREADY_EXISTS: 409, S.ABORTED: 409, S.RESOURCE_EXHAUSTED: 429, S.CANCELLED: 499,
    S.UNIMPLEMENTED: 501, S.UNAVAILABLE: 503, S.DEADLINE_EXCEEDED: 504,
}  # everything else: 500
# Failures that say the service is unwell (they trip its breaker); business errors do not.
SYSTEM_FAILURES = frozenset({S.UNAVAILABLE, S.DEADLINE_EXCEEDED, S.INTERNAL, S.UNKNOWN})

# In-process handlers: method name -> (request message, call) -> response message.
LocalHandler = Callable[[Any, Call], Awaitable[Any]]


def status_error(call: Call, code: grpc.StatusCode, details: str, reason: str = "", field: str = "",
                 *, executed: bool, errors: list[dict[str, str]] | None = None) -> Reply:
    status = HTTP_STATUS.get(code, 500)
    if status == 500:
        details = "the service failed to handle the request"  # never relay a stack trace
        errors = None
    errors = errors or ([{"field": field, "message": details}] if field else [])
    return problem(call, status, details or code.name.lower().replace("_", " "),
                   code=reason or code.name, type_="/problems/" + code.name.lower().replace("_", "-"),
                   errors=errors, executed=executed, system_failure=_unwell(code, reason))


def _unwell(code: grpc.StatusCode, reason: str) -> bool:
    """Does this failure say the service is unwell (trip its breaker)? A DEADLINE_EXCEEDED the service
    itself answered with a reason (a Celery worker that did not reply in time) is the service
    working: it answered within our deadline."""
    return code in SYSTEM_FAILURES and not (code == S.DEADLINE_EXCEEDED and reason)


def _field_errors(raw: str | None) -> list[dict[str, str]] | None:
    """Every field at fault, when the service named several (errors.ERRORS_KEY)."""
    if not raw:
        return None
    try:
        items = orjson.loads(raw)
        return [{"field": str(i["field"]), "message": str(i["message"])} for i in items]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return None


def success(call: Call, data: dict[str, Any] | orjson.Fragment) -> Reply:
    assert call.action is not None
    body = orjson.dumps({"success": True, "action": call.action.name, "trace_id": call.trace_id,
                         "duration_ms": round((time.perf_counter() - call.started) * 1000, 3),
                         "data": data})
    return Reply(200, body, executed=True)


class Dispatcher:
    def __init__(self, settings: Settings, local: Mapping[str, LocalHandler]) -> None:
        self.settings = settings
        self.local = local
        self.rendered = Rendered()
        self._callables: dict[str, Any] = {}

    def _callable(self, action: Action) -> Any:
        fn = self._callables.get(action.name)
        if fn is None:
            ch = clients.channel(self.settings.addr(action.service))
            # No deserializer: the answer's bytes go to `Rendered`, which parses only what it has
            # not rendered before.
            fn = self._callables[action.name] = ch.unary_unary(
                action.method_path, request_serializer=action.request_cls.SerializeToString)
        return fn

    async def __call__(self, call: Call) -> Reply:
        action = call.action
        assert action is not None and call.principal is not None
        if action.service == IN_PROCESS:
            return await self._local(call, action)
        ctx = CallContext(call.trace_id, actor=call.principal.sub, roles=call.principal.roles)
        timeout_s = (action.timeout_ms or self.settings.rpc_timeout_ms) / 1000
        try:
            raw = await self._callable(action)(call.message, timeout=timeout_s, metadata=to_metadata(ctx))
        except grpc.aio.AioRpcError as exc:
            md = dict(exc.trailing_metadata() or ())
            reason, field = md.get(REASON_KEY, ""), md.get(FIELD_KEY, "")
            # UNAVAILABLE without a service's reason is the transport's: the call never ran.
            if exc.code() == S.UNAVAILABLE and not reason:
                # No service reason: the transport failed, the call never ran (nothing to store).
                return status_error(call, S.UNAVAILABLE, f"the {action.service} service cannot be reached",
                                    executed=False)
            return status_error(call, exc.code(), exc.details() or "", reason, field, executed=True,
                                errors=_field_errors(md.get(ERRORS_KEY)))
        except Exception as exc:  # noqa: BLE001 - a connection-level failure: unreachable service
            log.warning("dispatch failed", extra={"action": action.name, "error": repr(exc)[:200]})
            return status_error(call, S.UNAVAILABLE, f"the {action.service} service cannot be reached",
                                executed=False)
        return success(call, self.rendered.data(action, raw))

    async def _local(self, call: Call, action: Action) -> Reply:
        try:
            resp = await self.local[action.method_name](call.message, call)
        except DomainError as exc:
            return status_error(call, exc.code, exc.message, exc.reason, exc.field, executed=True, errors=exc.errors)
        except Exception as exc:  # noqa: BLE001
            if (away := backend_unavailable(exc)) is not None:  # e.g. PostgreSQL restarting
                log.error("in-process action: %s", away.reason, extra={"action": action.name})
                return status_error(call, away.code, away.message, away.reason, executed=False)
            log.exception("in-process action failed", extra={"action": action.name})
            return status_error(call, S.INTERNAL, "", executed=True)
        return success(call, action.renderer.render(resp))


def handler(dispatcher: Dispatcher) -> Handler:
    return dispatcher.__call__
