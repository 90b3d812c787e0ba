"""gRPC clients between components: one shared aio channel per address, and the metadata that
carries the current call context (trace, actor, roles) to the callee."""

from __future__ import annotations

import grpc

from services.common import context

_channels: dict[str, grpc.aio.Channel] = {}

CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.enable_retries", 0),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


def channel(addr: str) -> grpc.aio.Channel:
    """A channel per address per process (channels multiplex; do not open one per call)."""
    ch = _channels.get(addr)
    if ch is None:
        ch = _channels[addr] = grpc.aio.insecure_channel(addr, options=CHANNEL_OPTIONS)
    return ch


def metadata() -> tuple[tuple[str, str], ...]:
    return context.to_metadata(context.current())


async def close_all() -> None:
    for ch in list(_channels.values()):
        await ch.close()
    _channels.clear()
