"""Revokes of pending jobs, coalesced into few broadcasts.

A Celery revoke is a broadcast to every worker (a Redis publish plus kombu's bookkeeping, some
milliseconds of a thread). For a pending job it is only an optimisation — the task wrapper refuses
to run a job whose row is no longer pending — so the cancel answers as soon as the row is
committed, and the ids collected within `WINDOW_S` leave in one `revoke([...])`. Revokes that
must stop a running task (terminate) are not deferred: see `JobFlows.revoke`.

The window is long enough that a steady stream of cancels (one every few milliseconds at
concurrency 1) shares broadcasts too: with 5 ms, nearly every cancel paid its own, and the thread
doing it competed with the next request for the GIL (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import logging

from celery import Celery

log = logging.getLogger(__name__)

WINDOW_S = 0.05


class Revoker:
    def __init__(self, celery: Celery, window_s: float = WINDOW_S) -> None:
        self.celery = celery
        self.window_s = window_s
        self._ids: list[str] = []
        self._flusher: asyncio.Task | None = None
        self.broadcasts = 0

    def revoke_later(self, job_id: str) -> None:
        self._ids.append(job_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_after_window())

    async def _flush_after_window(self) -> None:
        await asyncio.sleep(self.window_s)
        await self.flush()

    async def flush(self) -> None:
        while self._ids:
            ids, self._ids = self._ids, []
            try:
                await asyncio.to_thread(self.celery.control.revoke, ids)
                self.broadcasts += 1
            except Exception as exc:  # noqa: BLE001 - rows are cancelled already; the wrapper skips them
                log.error("revoke of %d pending job(s) failed: %s", len(ids), exc)

    async def close(self) -> None:
        """Send what is still collected (graceful shutdown)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.flush()
