"""gRPC clients between components: one shared aio channel per address, the metadata that carries
the current call context (trace, actor, roles) to the callee, and `call`, the one way a service
calls a sibling and turns its failure into a DomainError."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from services.common import context, telemetry
from services.common.errors import from_rpc_error

_channels: dict[str, grpc.aio.Channel] = {}

CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.enable_retries", 0),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    # Reconnect soon after a sibling comes back: gRPC's default back-off grows to 120 s, so a
    # service restarted (or started after its caller) stayed unreachable for up to two minutes.
    # Not `grpc.min_reconnect_backoff_ms`: gRPC core also takes it as the connect timeout, and a
    # stalled (not dead) service must end in the call's deadline (504), not a 200 ms refusal.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]

R = TypeVar("R")


def channel(addr: str) -> grpc.aio.Channel:
    """A channel per address per process (channels multiplex; do not open one per call)."""
    ch = _channels.get(addr)
    if ch is None:
        ch = _channels[addr] = grpc.aio.insecure_channel(
            addr, options=CHANNEL_OPTIONS, interceptors=telemetry.client_interceptors()
        )
    return ch


def metadata() -> tuple[tuple[str, str], ...]:
    return context.to_metadata(context.current())


async def call(
    method: Callable[..., Awaitable[R]], request: Any, *, sibling: str, timeout_s: float
) -> R:
    """Call `method` (a stub's bound RPC) on behalf of the current caller (trace and actor travel);
    a failure becomes the DomainError that relays it (errors.from_rpc_error)."""
    ctx = context.current()
    try:
        with telemetry.joined(ctx.trace_id):
            return await method(request, metadata=context.to_metadata(ctx), timeout=timeout_s)
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, sibling=sibling) from None


async def close_all() -> None:
    for ch in list(_channels.values()):
        await ch.close()
    _channels.clear()
