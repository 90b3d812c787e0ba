"""Step 4 — authorize: the caller's roles must grant the action's permission (403). Runs before the
payload is parsed, so an unauthorized caller learns nothing about the payload."""

from __future__ import annotations

from gateway.pipeline.call import Call, Handler, Reply, problem
from gateway.rbac import Authorizer


def wrap(next_: Handler, authorizer: Authorizer) -> Handler:
    async def authz(call: Call) -> Reply:
        assert call.action is not None and call.principal is not None
        if not authorizer.allowed(call.principal.roles, call.action.permission):
            return problem(call, 403, f"your roles do not grant {call.action.permission!r}",
                           code="PERMISSION_DENIED", type_="/problems/permission-denied")
        return await next_(call)

    return authz
