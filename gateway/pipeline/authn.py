"""Step 2 — authenticate the bearer token (401 + `WWW-Authenticate: Bearer`; audited by step 3,
which wraps this one)."""

from __future__ import annotations

from gateway.auth import AuthError, authenticate
from gateway.auth import challenge as www_authenticate
from gateway.pipeline.call import Call, Handler, Reply, problem
from services.common.settings import Settings


def challenge(call: Call, detail: str) -> Reply:
    www = www_authenticate(bool(call.request.headers.get("authorization")))
    return problem(call, 401, detail, code="UNAUTHENTICATED", type_="/problems/unauthenticated",
                   headers={"WWW-Authenticate": www})


def wrap(next_: Handler, settings: Settings) -> Handler:
    async def authn(call: Call) -> Reply:
        try:
            call.principal = authenticate(settings, call.request.headers.get("authorization"))
        except AuthError as exc:
            return challenge(call, exc.detail)
        return await next_(call)

    return authn
