"""`python -m services.queue`: check the backing systems, then serve gRPC on QUEUE_PORT until
SIGTERM (then drain)."""

from __future__ import annotations

import asyncio

from services.common.server import serve
from services.common.startup import boot
from services.queue.server import build


def main() -> None:
    settings = boot("queue")

    async def run() -> None:
        qs = build(settings)
        await serve(
            qs.built, name="queue", drain_s=settings.drain_s, background=qs.background, on_stop=qs.on_stop
        )

    asyncio.run(run())


if __name__ == "__main__":
    main()
