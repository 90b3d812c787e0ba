"""The action pipeline of `POST /api/admin/action` (SPEC §4): one small module per step, composed
in `build`, outermost first when read bottom-up — the one place that says in which order, and why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.responses import Response

from gateway.pipeline import (
    audit,
    authn,
    authz,
    breaker,
    dispatch,
    idempotency,
    maintenance,
    payload,
    ratelimit,
    respond,
    tracing,
    validate,
)
from gateway.pipeline.call import Call

if TYPE_CHECKING:  # the runtime holds the dispatcher defined in this package
    from gateway.runtime import Runtime


def build(rt: Runtime) -> Callable[[Call], Awaitable[Response]]:
    s = rt.settings
    h = dispatch.handler(rt.dispatcher)       # 8: the call itself, with a deadline and the caller's identity
    h = breaker.wrap(h, rt.breakers)          # 7: right around the call: only real calls count, open answers untouched
    h = idempotency.wrap(h, rt.redis, s)      # 6: after the rate limit, so a refused request consumes no key
                                              #    (the claim itself rides in step 5's script)
    h = ratelimit.wrap(h, rt.limiter, s)      # 5: after every 400, so invalid requests are never counted
    h = idempotency.check_key(h, s)           # 4d: a missing/malformed key is a 400, decided before counting
    h = payload.wrap(h)                       # 4c: parse only once authorized: the unauthorized learn nothing
    h = maintenance.wrap(h, rt.redis)         # 4b: after RBAC's 403, before the payload is looked at
    h = authz.wrap(h, rt.authorizer)          # 4: RBAC needs the authenticated principal
    h = authn.wrap(h, s)                      # 2: everything below needs a principal
    h = audit.wrap(h, rt.audit)               # 3: wraps authentication, so every 401 is audited too
    h = tracing.wrap(h)                       # 1b: the server span, once step 1 knows the trace id
    h = validate.wrap(h, rt.catalogue)        # 1: malformed or unknown requests stop here, unaudited
    return respond.measure(h)                 # 9: outermost, so it sees and measures every reply


__all__ = ["build", "Call"]
