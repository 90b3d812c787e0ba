"""The worker registry's feeds (payloads/workers.md "Registry"), run as background loops of the
service:

- **events**: Celery's `app.events.Receiver` on a connection of its own, in a thread (it blocks),
  hands `worker-online` / `worker-heartbeat` / `worker-offline` to asyncio; they are applied in
  batches, one transaction each (`worker.online` / `worker.offline` events in the same one);
- **reaper**: a worker silent for 3 heartbeat intervals turns `offline`;
- **live details**: pool size, concurrency and queues are not in heartbeats, so they are asked
  (`stats`, `active_queues`) of a worker that comes online, after every command that changes them,
  and of every live worker every `REFRESH_S`.

Every replica runs all three; the updates are idempotent and each transition is one row update,
so a transition emits one event whichever replica sees it first.

`Listings` keeps `worker.list` answers between registry changes (docs/workers.md "Listing").
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any

from services.common.kit import Runtime
from services.workers import service
from services.workers.control import Control
from services.workers.service import Beat, Live

log = logging.getLogger(__name__)

BATCH_MAX = 500
# Events are applied at most this often: a fleet's heartbeats trickle in one by one (200 workers
# beating every 2 s are 100 a second), and one transaction per window instead of one per event
# keeps the service's event loop free for the RPCs it serves. A change shows this much later.
APPLY_EVERY_S = 0.1
REAP_EVERY_S = 1.0
REFRESH_S = 5.0
ASK_TIMEOUT_S = 1.0
RECHECK_S = (1.0, 2.5, 4.5)
LIST_FRESH_S = 1.0
LIST_KEPT_MAX = 64


def live_from(hostname: str, stats: Any, queues: Any) -> Live | None:
    if not isinstance(stats, dict) or "error" in stats:
        return None
    pool = stats.get("pool") or {}
    scaler = stats.get("autoscaler") or {}
    procs = pool.get("processes") or []
    concurrency = scaler.get("max") if scaler else pool.get("max-concurrency")
    names = [q.get("name", "") for q in queues] if isinstance(queues, list) else []
    return Live(hostname, len(procs), int(concurrency or len(procs)), sorted(n for n in names if n))


class Listings:
    """Built `worker.list` answers by filter, kept until the registry changes on this replica
    (`changed()`: a worker came, went, was quieted or forgotten, its pool or queues were stored)
    and for at most `fresh_s`. Heartbeats alone do not count as a change, so heartbeat fields
    (`last_heartbeat`, `active`, `processed`) and a change made through another replica show
    within `fresh_s`. With 200 workers beating every 2 s, this is what keeps a listing from
    being a 200-row query and 200 conversions each time (bench/workers_scale.py)."""

    def __init__(self, fresh_s: float = LIST_FRESH_S) -> None:
        self.fresh_s = fresh_s
        self._generation = 0
        self._kept: dict[Hashable, tuple[int, float, Any]] = {}

    def changed(self) -> None:
        self._generation += 1
        self._kept.clear()

    async def get(self, key: Hashable, build: Callable[[], Awaitable[Any]]) -> Any:
        now = time.monotonic()
        kept = self._kept.get(key)
        if kept is not None and kept[0] == self._generation and now - kept[1] < self.fresh_s:
            return kept[2]
        generation = self._generation
        value = await build()
        if generation == self._generation:  # not built across a change: keep it
            if len(self._kept) >= LIST_KEPT_MAX:
                self._kept.clear()
            self._kept[key] = (generation, now, value)
        return value


class Registry:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.control = Control(rt.celery)
        self.listings = Listings()
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._stop = threading.Event()
        self._receiver: Any = None

    # --- public: what flows ask after a command ---------------------------------------------

    def touch(self, hostnames: Iterable[str], *, again: bool = True) -> None:
        """Ask these workers' live details now, and again a little later (a pool resize or a
        consumer change is applied by the worker shortly after its reply)."""
        hosts = set(hostnames)
        if not hosts:
            return
        self._dirty.update(hosts)
        self._wake.set()
        if again:
            loop = asyncio.get_running_loop()
            for delay in RECHECK_S:
                loop.call_later(delay, lambda: self.touch(hosts, again=False))

    async def refresh(self, hostnames: list[str], *, timeout: float = ASK_TIMEOUT_S) -> None:  # noqa: ASYNC109
        """Ask stats and queues now and store them (workers that do not answer keep their row)."""
        if not hostnames:
            return
        stats, queues = await asyncio.gather(
            self.control.broadcast("stats", hostnames, timeout=timeout),
            self.control.broadcast("active_queues", hostnames, timeout=timeout),
        )
        lives = [
            live for h in hostnames
            if h in stats.replies and h in queues.replies
            and (live := live_from(h, stats.replies[h], queues.replies[h])) is not None
        ]
        if lives:
            async with self.rt.sessions.begin() as session:
                await service.apply_live(session, lives)
            self.listings.changed()

    # --- the background loops ------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        thread = threading.Thread(target=self._receive, args=(loop, inbox), name="worker-events", daemon=True)
        thread.start()
        try:
            await asyncio.gather(self._apply_events(inbox), self._reap(), self._refresh_loop())
        finally:
            self._stop.set()
            if self._receiver is not None:
                self._receiver.should_stop = True
            await asyncio.to_thread(thread.join, 3)

    def _receive(self, loop: asyncio.AbstractEventLoop, inbox: asyncio.Queue) -> None:
        app = self.rt.celery

        def hand(event: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(inbox.put_nowait, event)

        handlers = {"worker-online": hand, "worker-heartbeat": hand, "worker-offline": hand}
        while not self._stop.is_set():
            try:
                with app.connection_for_read() as conn:
                    self._receiver = app.events.Receiver(conn, handlers=handlers)
                    # wakeup: every worker sends a heartbeat at once, so the registry fills fast.
                    self._receiver.capture(limit=None, timeout=None, wakeup=True)
            except Exception as exc:  # noqa: BLE001 - reconnect; the reaper keeps the registry honest
                if self._stop.is_set():
                    return
                log.warning("worker event receiver: %s; reconnecting", exc)
                time.sleep(1.0)

    async def _apply_events(self, inbox: asyncio.Queue) -> None:
        while True:
            batch = [await inbox.get()]
            await asyncio.sleep(APPLY_EVERY_S)  # let the window's other events join this batch
            while not inbox.empty() and len(batch) < BATCH_MAX:
                batch.append(inbox.get_nowait())
            try:
                came = await self.apply(batch)
            except Exception:  # noqa: BLE001 - one bad batch must not stop the registry
                log.exception("could not apply %d worker events", len(batch))
                self.listings.changed()
                continue
            if came:
                self.touch(came)

    async def apply(self, batch: list[dict[str, Any]]) -> list[str]:
        """Apply worker events in order, in one transaction; returns the hostnames that came online.
        A batch of heartbeats of known, live workers is not a change for `listings`."""
        came: list[str] = []
        beats: list[Beat] = []
        went = False
        async with self.rt.sessions.begin() as session:
            for event in batch:
                host = str(event.get("hostname") or "")
                if not host:
                    continue
                if event.get("type") == "worker-offline":
                    came += await service.apply_beats(session, beats)
                    beats = []
                    went = bool(await service.mark_offline(session, hostnames=[host], reason="worker-offline")) or went
                else:
                    beats.append(Beat(host, int(event.get("active") or 0), int(event.get("processed") or 0),
                                      float(event.get("freq") or 2.0)))
            came += await service.apply_beats(session, beats)
        if came or went:
            self.listings.changed()
        return came

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(REAP_EVERY_S)
            try:
                async with self.rt.sessions.begin() as session:
                    gone = await service.reap_silent(session)
                if gone:
                    self.listings.changed()
            except Exception:  # noqa: BLE001
                log.exception("worker reaper pass failed")

    async def _refresh_loop(self) -> None:
        last_all = 0.0
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except TimeoutError:
                pass
            self._wake.clear()
            hosts, self._dirty = set(self._dirty), set()
            if time.monotonic() - last_all > REFRESH_S:
                last_all = time.monotonic()
                async with self.rt.reads() as session:
                    hosts.update(await service.addressed(session, destination=""))
            try:
                await self.refresh(sorted(hosts))
            except Exception as exc:  # noqa: BLE001
                log.warning("worker refresh failed: %s", exc)
