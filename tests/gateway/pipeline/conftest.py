"""Helpers of the per-step tests: a real starlette Request, a terminal handler that records it was
reached, and an async Redis client on the session's Redis database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.requests import Request

from gateway import catalogue
from gateway.auth import Principal
from gateway.pipeline.call import Call, Reply

CATALOGUE = catalogue.load()


def make_call(headers: dict[str, str] | None = None, body: bytes = b"", *, action: str | None = None,
              roles: tuple[str, ...] = ("admin",), sub: str = "tester", payload: dict | None = None) -> Call:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/api/admin/action", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
             "client": ("10.1.2.3", 5555)}
    call = Call(Request(scope, receive), trace_id="ab" * 16)
    if action:
        call.action_name = action
        call.action = CATALOGUE[action]
        call.principal = Principal(sub, roles)
        call.payload = payload or {}
        call.message, _ = call.action.parser.parse(call.payload)
    return call


class Terminal:
    """The innermost handler of a step under test: counts calls, answers `reply`."""

    def __init__(self, reply: Reply | None = None) -> None:
        self.calls: list[Call] = []
        self.reply = reply or Reply(200, b'{"ok":true}', executed=True)

    async def __call__(self, call: Call) -> Reply:
        self.calls.append(call)
        return self.reply


@pytest.fixture
async def aredis(settings) -> AsyncIterator[Redis]:
    r = Redis.from_url(settings.redis_url, decode_responses=False)
    yield r
    await r.aclose()
