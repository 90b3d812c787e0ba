"""`python -m services.jobs`: the jobs gRPC service (SPEC §2)."""

from __future__ import annotations

import asyncio
import sys

from services.common import jsonlog
from services.common.db import require_backends
from services.common.settings import SettingsError, load


def main() -> None:
    try:
        settings = load()
    except SettingsError as exc:
        print(f"jobs: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    jsonlog.setup("jobs", settings.log_level)
    require_backends("jobs", database_url=settings.database_url, redis_url=settings.redis_url)
    from services.jobs.server import run  # after the check: a dead backend costs no imports

    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
