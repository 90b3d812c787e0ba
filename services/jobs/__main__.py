"""`python -m services.jobs`: the jobs gRPC service (SPEC §2)."""

from __future__ import annotations

import asyncio

from services.common.startup import boot


def main() -> None:
    settings = boot("jobs")
    from services.jobs.server import run  # after the check: a dead backend costs no imports

    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
