"""`python -m gateway`: check PostgreSQL and Redis (one stderr line and a non-zero exit when either
is unreachable), then serve HTTP on BIND_HOST:GATEWAY_PORT. On SIGTERM uvicorn stops accepting
connections and lets in-flight requests finish within SWITCHBOARD_DRAIN_S; the lifespan then
flushes queued audit records."""

from __future__ import annotations

import signal

import uvicorn

from gateway.app import create_app, with_action_fast_path
from services.common.startup import boot


def main() -> None:
    settings = boot("gateway")
    # loop="asyncio": the gateway is a grpc.aio client, and grpc.aio supports the standard event
    # loop only (uvloop gained nothing measurable here either: docs/performance.md).
    config = uvicorn.Config(
        with_action_fast_path(create_app(settings)), host=settings.bind_host, port=settings.gateway_port, log_config=None,
        access_log=False, timeout_graceful_shutdown=settings.drain_s,
        lifespan="on", server_header=False, loop="asyncio",
    )
    # uvicorn re-raises the captured SIGTERM once it has drained, through whichever handler was
    # installed before it started; a no-op one makes a clean drain exit 0 (SPEC §2).
    signal.signal(signal.SIGTERM, lambda *_: None)
    print(f"gateway listening on {settings.bind_host}:{settings.gateway_port}", flush=True)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
