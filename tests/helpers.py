"""Plain helpers shared by every test module (fixtures live in conftest.py): waiting on a
condition instead of sleeping, reading gRPC error details, reading the event stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
import redis as redis_sync

from services.common.errors import FIELD_KEY, REASON_KEY
from services.common.events import STREAM, decode


def wait_for(
    predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = ""
) -> Any:
    """The first truthy value of predicate(), or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate} (last value {value!r})")


def rpc_error(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def error_field(exc: grpc.RpcError) -> str:
    return dict(exc.trailing_metadata() or ()).get(FIELD_KEY, "")  # type: ignore[attr-defined]


def error_reason(exc: grpc.RpcError) -> str:
    return dict(exc.trailing_metadata() or ()).get(REASON_KEY, "")  # type: ignore[attr-defined]


def stream_events(client: redis_sync.Redis, type_: str | None = None, **data: Any) -> list[dict[str, Any]]:
    """Every envelope on the event stream of `type_` (any when None) whose data has these values."""
    out = []
    for sid, fields in client.xrange(STREAM):
        e = decode(sid, fields)
        if (type_ is None or e["type"] == type_) and all(e["data"].get(k) == v for k, v in data.items()):
            out.append(e)
    return out
