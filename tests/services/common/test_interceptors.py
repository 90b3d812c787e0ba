"""What a service answers when a handler raises: a real grpc.aio server built by the kit's
`build_server`, one generic method whose handler raises the error the request names."""

from __future__ import annotations

import grpc
import kombu.exceptions
import psycopg
import pytest
import redis.exceptions

from services.common.errors import REASON_KEY, NotFound
from services.common.server import build_server

RAISES = {
    b"not-found": NotFound("job j1 not found", field="job_id"),
    b"db-away": psycopg.OperationalError("connection refused"),
    b"db-bad-value": psycopg.DataError("invalid byte sequence"),
    b"redis-away": redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
    b"redis-slow": redis.exceptions.TimeoutError("Timeout reading from 127.0.0.1:6379"),
    b"broker-away": kombu.exceptions.OperationalError("Error 111 connecting"),
    b"bug": KeyError("oops"),
}


async def _raise(request: bytes, ctx: grpc.aio.ServicerContext) -> bytes:
    raise RAISES[request]


@pytest.fixture
async def channel():
    handler = grpc.method_handlers_generic_handler(
        "test.Raiser", {"Raise": grpc.unary_unary_rpc_method_handler(_raise)}
    )
    built = build_server([("test.Raiser", lambda s: s.add_generic_rpc_handlers((handler,)))],
                         host="127.0.0.1", port=0)
    await built.server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{built.port}") as ch:
        yield ch
    await built.server.stop(0)


@pytest.mark.parametrize(("raised", "code", "reason"), [
    (b"not-found", grpc.StatusCode.NOT_FOUND, None),
    (b"db-away", grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
    (b"db-bad-value", grpc.StatusCode.INVALID_ARGUMENT, "UNSTORABLE_VALUE"),
    (b"redis-away", grpc.StatusCode.UNAVAILABLE, "REDIS_UNAVAILABLE"),
    (b"redis-slow", grpc.StatusCode.UNAVAILABLE, "REDIS_UNAVAILABLE"),
    (b"broker-away", grpc.StatusCode.UNAVAILABLE, "REDIS_UNAVAILABLE"),
    (b"bug", grpc.StatusCode.INTERNAL, "INTERNAL"),
])
async def test_errors_map_to_status_codes(channel, raised: bytes, code: grpc.StatusCode, reason: str | None) -> None:
    call = channel.unary_unary("/test.Raiser/Raise")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call(raised, timeout=5)
    assert info.value.code() == code, info.value.details()
    if reason is not None:
        assert dict(info.value.trailing_metadata() or ())[REASON_KEY] == reason
    if code == grpc.StatusCode.INTERNAL:
        assert "oops" not in info.value.details()  # no internals leak to the caller
