"""What the pipeline steps share: the request resolved once (`Call`, like Kubernetes'
RequestInfo) and the answer travelling back out (`Reply`), plus the error helpers every step uses."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from starlette.requests import Request

from gateway.auth import Principal
from gateway.catalogue import Action
from gateway.problems import problem_body


@dataclass(slots=True)
class Call:
    request: Request
    trace_id: str = ""
    started: float = field(default_factory=time.perf_counter)
    action_name: str | None = None  # as sent, once the body was read
    action: Action | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # as sent
    principal: Principal | None = None
    message: Any = None  # the parsed request message
    idempotency_key: str | None = None
    claim: Any = None  # idempotency.Claim of a keyed command: prepared in step 4d, run in step 5
    headers: dict[str, str] = field(default_factory=dict)  # added to every reply from here on


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    code: str = ""  # the problem's `code`; "" on success
    headers: dict[str, str] = field(default_factory=dict)
    # The call reached the service (its answer is stored for idempotent replays).
    executed: bool = False
    # The call failed the way that trips a breaker (UNAVAILABLE, DEADLINE_EXCEEDED, ...).
    system_failure: bool = False
    replayed: bool = False


Handler = Callable[[Call], Awaitable[Reply]]

_TITLES = {499: "Client Closed Request"}


def title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _TITLES.get(status, "Error")


def problem(
    call: Call, status: int, detail: str, *, code: str, type_: str,
    errors: list[dict[str, str]] | tuple = (), headers: dict[str, str] | None = None,
    executed: bool = False, system_failure: bool = False,
) -> Reply:
    body = problem_body(status, title(status), detail, code=code, type_=type_,
                        action=call.action_name, trace_id=call.trace_id, errors=errors)
    return Reply(status, body, code=code, headers=dict(headers or {}), executed=executed,
                 system_failure=system_failure)


def invalid(call: Call, detail: str, errors: list[dict[str, str]] | tuple = ()) -> Reply:
    return problem(call, 400, detail, code="INVALID_ARGUMENT", type_="/problems/invalid-argument",
                   errors=errors)
