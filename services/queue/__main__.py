"""`python -m services.queue`: check the backing systems, then serve gRPC on QUEUE_PORT until
SIGTERM (then drain)."""

from __future__ import annotations

import asyncio
import sys

from services.common import jsonlog
from services.common.db import require_backends
from services.common.server import serve
from services.common.settings import SettingsError, load
from services.queue.server import build


def main() -> None:
    try:
        settings = load()
    except SettingsError as exc:
        print(f"queue: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    # Before anything else: one stderr line and a non-zero exit when a backend is unreachable.
    require_backends("queue", database_url=settings.database_url, redis_url=settings.redis_url)
    jsonlog.setup("queue", settings.log_level)

    async def run() -> None:
        qs = build(settings)
        await serve(
            qs.built, name="queue", drain_s=settings.drain_s, background=qs.background, on_stop=qs.on_stop
        )

    asyncio.run(run())


if __name__ == "__main__":
    main()
