"""The loop every workers-service replica runs for each manager (docs/managers.md).

Every `SWITCHBOARD_MANAGER_TICK_S` (0.5 s) a loop reads its manager's stored row:
- `stopped`: it releases the lease if it holds it, and does nothing else;
- otherwise, without the lease it tries to take it (lease.Lease) and claims the row with its
  fencing token (store.claim); with it, it renews the lease every third of its length;
- the leader runs a pass when one is due (`running` and `next_run` passed) or asked for
  (`manager.run_now`, also while `paused`). While a pass runs the lease is still renewed; a renewal
  that fails cancels the pass, and the pass's own `Pass.check()` stops it before each side effect.
  The pass's end (time, error, next run) is written fenced.

`SWITCHBOARD_LEASE_MS` (5000; 1000–10000) is the lease's length: another replica leads within about
that long after the leader dies. On drain the leader releases its leases, so a peer takes over at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common import context
from services.common.kit import Runtime
from services.workers.managers import config as cfg
from services.workers.managers import store
from services.workers.managers.lease import Lease, replica_id
from services.workers.managers.models import PAUSED, RUNNING, STOPPED, ManagerRow

log = logging.getLogger(__name__)


def _env_float(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SystemExit(f"{name} must be from {low} to {high}, got {value}")
    return value


def tick_s() -> float:
    return _env_float("SWITCHBOARD_MANAGER_TICK_S", 0.5, 0.05, 5)


def lease_ms() -> int:
    return int(_env_float("SWITCHBOARD_LEASE_MS", 5000, 1000, 10000))


class LeaseLost(Exception):
    """Raised inside a pass by `Pass.check()` once this replica may no longer act."""


@dataclass
class Pass:
    """What one pass of a manager gets: the runtime, its config, and its leadership."""

    rt: Runtime
    name: str
    config: dict[str, Any]
    lease: Lease

    @property
    def token(self) -> int:
        return self.lease.token

    def check(self) -> None:
        if not self.lease.valid():
            raise LeaseLost(self.name)


PassFn = Callable[[Pass], Coroutine[Any, Any, str]]  # returns "" or what went wrong (kept in last_error)


class ManagerLoop:
    def __init__(self, rt: Runtime, name: str, run_pass: PassFn, *, lease: Lease, tick: float) -> None:
        self.rt, self.name, self.run_pass = rt, name, run_pass
        self.lease = lease
        self.tick = tick
        self.renew_every = lease.lease_ms / 1000 / 3
        self._renewed = 0.0

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.step()
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - a database or Redis hiccup: try again next tick
                    log.exception("manager %s: step failed", self.name)
                await asyncio.sleep(self.tick)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.lease.release())

    async def _row(self) -> ManagerRow:
        async with self.rt.reads() as session:
            return await store.get_manager(session, name=self.name)

    async def step(self) -> None:
        row = await self._row()
        if row.state == STOPPED:
            if self.lease.held:
                await self.lease.release()
                log.info("manager %s stopped: lease released", self.name)
            return
        if not await self._lead():
            return
        now = datetime.now(UTC)
        due = row.run_requested or (row.state == RUNNING and (row.next_run is None or row.next_run <= now))
        if due and row.state in (RUNNING, PAUSED):
            await self._pass(row)

    async def _lead(self) -> bool:
        loop = asyncio.get_running_loop()
        if self.lease.held and not self.lease.valid():
            self.lease.drop()  # lapsed (renewals failed): start over like any replica
        if not self.lease.held:
            if not await self.lease.acquire():
                return False
            self._renewed = loop.time()
            try:
                async with self.rt.sessions.begin() as session:
                    await store.claim(session, name=self.name, token=self.lease.token, leader=self.lease.replica)
            except store.StaleLeader:
                await self.lease.refused((await self._row()).fence)
                return False
            log.info("manager %s: leading with token %d", self.name, self.lease.token)
            return True
        if loop.time() - self._renewed >= self.renew_every:
            if not await self.lease.renew():
                log.warning("manager %s: lease lost", self.name)
                return False
            self._renewed = loop.time()
        return self.lease.valid()

    async def _pass(self, row: ManagerRow) -> None:
        config = cfg.effective(self.name, row.config)
        token = context.set_current(context.CallContext(trace_id=context.new_trace_id(), actor="system"))
        try:
            try:
                async with self.rt.sessions.begin() as session:
                    await store.begin_pass(session, name=self.name, token=self.lease.token)
            except store.StaleLeader:
                self.lease.drop()
                return
            error = await self._guarded(Pass(self.rt, self.name, config, self.lease))
            if error is None:
                return
            if error:
                log.warning("manager %s: pass ended with errors: %s", self.name, error[:500])
            async with self.rt.sessions.begin() as session:
                await store.end_pass(session, name=self.name, token=self.lease.token, error=error,
                                     interval_s=int(config["interval_s"]))
        except store.StaleLeader:
            self.lease.drop()
        finally:
            context.reset(token)

    async def _guarded(self, p: Pass) -> str | None:
        """Run the pass, renewing the lease meanwhile; None when the lease was lost (no end written)."""
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(self.run_pass(p))
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.renew_every)
                if done:
                    break
                if not await self.lease.renew():
                    task.cancel()
                    log.warning("manager %s: lease lost during a pass; pass cancelled", self.name)
                    with contextlib.suppress(BaseException):
                        await task
                    return None
                self._renewed = loop.time()
        except asyncio.CancelledError:
            task.cancel()
            raise
        try:
            return task.result()
        except (LeaseLost, store.StaleLeader):
            log.warning("manager %s: a newer leader took over during a pass", self.name)
            self.lease.drop()
            return None
        except Exception as exc:  # noqa: BLE001 - a failed pass is kept in last_error; the next runs as usual
            log.warning("manager %s: pass failed: %s", self.name, exc)
            return f"{type(exc).__name__}: {exc}"[:2000] if str(exc) else type(exc).__name__


class Supervisor:
    """The four manager loops of one replica (a background hook of the workers service)."""

    def __init__(self, rt: Runtime, passes: Mapping[str, PassFn]) -> None:
        tick, ms, replica = tick_s(), lease_ms(), replica_id()
        self.loops = [ManagerLoop(rt, name, fn, lease=Lease(rt.redis, name, lease_ms=ms, replica=replica), tick=tick)
                      for name, fn in passes.items()]

    async def run(self) -> None:
        await asyncio.gather(*(loop.run() for loop in self.loops))
