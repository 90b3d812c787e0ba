"""Circuit breakers per downstream service, on pybreaker, with state shared through Redis.

pybreaker is synchronous (NOTES.md): decorating a coroutine counts nothing, and its
`CircuitRedisStorage` blocks the event loop. So each call works on a snapshot instead:

1. `guard()` loads the service's Redis hash (one HGETALL) into a `SnapshotStorage` and asks
   pybreaker's own state machine whether the call may go (open + timeout not elapsed -> refuse;
   elapsed -> half-open probe);
2. the caller awaits the real call;
3. `record(failed)` feeds the result to pybreaker's state objects (`_handle_error` /
   `_handle_success`: counting, tripping, closing are pybreaker's logic, untouched), and the writes
   pybreaker made to the storage are replayed to Redis in one MULTI (counter increments as HINCRBY,
   so concurrent replicas add up rather than overwrite).

Reading the hash on every call would cost a Redis round trip per action, so `Breakers` keeps the
last snapshot per service for up to `FRESH_S`. Every write (a failure, a trip, the half-open probe,
a close, circuit.reset) is announced on the `CHANGED` channel in the same MULTI, and every replica's
`listen()` drops its copy at once; `FRESH_S` bounds the staleness if that channel is ever lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pybreaker
from redis.asyncio import Redis

NAMESPACE = "switchboard:breaker:"
CHANGED = "switchboard:breaker-changed"  # pub/sub: the service whose breaker hash was written
FRESH_S = 1.0
STATES = {pybreaker.STATE_CLOSED: "closed", pybreaker.STATE_OPEN: "open", pybreaker.STATE_HALF_OPEN: "half_open"}


class SystemFailure(Exception):
    """What a counted failure looks like to pybreaker (UNAVAILABLE, DEADLINE_EXCEEDED, ...)."""


class SnapshotStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage over a snapshot of a Redis hash; records the writes made to it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._state = pybreaker.STATE_CLOSED
        self._counter = 0
        self._success = 0
        self._opened_at: datetime | None = None
        self.ops: list[tuple[str, ...]] = []

    def load(self, raw: dict[bytes, bytes]) -> None:
        self._state = raw.get(b"state", b"closed").decode()
        self._counter = int(raw.get(b"fail_counter", 0))
        self._success = int(raw.get(b"success_counter", 0))
        ts = raw.get(b"opened_at")
        self._opened_at = datetime.fromtimestamp(float(ts), UTC) if ts else None
        self.ops = []

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, state: str) -> None:
        self._state = state
        self.ops.append(("hset", "state", state))

    def increment_counter(self) -> None:
        self._counter += 1
        self.ops.append(("hincrby", "fail_counter"))

    def reset_counter(self) -> None:
        if self._counter or any(op[1] == "fail_counter" for op in self.ops):
            self.ops.append(("hset", "fail_counter", "0"))
        self._counter = 0

    def increment_success_counter(self) -> None:
        self._success += 1
        self.ops.append(("hincrby", "success_counter"))

    def reset_success_counter(self) -> None:
        if self._success:
            self.ops.append(("hset", "success_counter", "0"))
        self._success = 0

    @property
    def counter(self) -> int:
        return self._counter

    @property
    def success_counter(self) -> int:
        return self._success

    @property
    def opened_at(self) -> datetime | None:
        return self._opened_at

    @opened_at.setter
    def opened_at(self, value: datetime) -> None:
        self._opened_at = value
        self.ops.append(("hset", "opened_at", repr(value.timestamp())))


@dataclass(frozen=True, slots=True)
class Status:
    service: str
    state: str  # closed | open | half_open
    fail_counter: int
    fail_max: int
    reset_timeout_s: float
    retry_after_s: float


class Breaker:
    """One service's breaker as seen by one call (create per call: the snapshot is per call)."""

    def __init__(self, service: str, redis: Redis, *, fail_max: int, reset_s: float,
                 namespace: str = NAMESPACE, owner: Breakers | None = None) -> None:
        self.service = service
        self.key = f"{namespace}{service}"
        self.redis = redis
        self.owner = owner
        self.storage = SnapshotStorage(service)
        self.cb = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_s, state_storage=self.storage, name=service,
            throw_new_error_on_trip=False,
        )

    async def load(self) -> None:
        raw = await self.owner.snapshot(self.service) if self.owner else await self.redis.hgetall(self.key)
        self.storage.load(raw)

    def retry_after_s(self) -> float:
        opened = self.storage.opened_at
        if self.storage.state != pybreaker.STATE_OPEN or opened is None:
            return 0.0
        return max(0.0, opened.timestamp() + self.cb.reset_timeout - time.time())

    async def guard(self) -> float:
        """0 when the call may go; else seconds until the half-open probe (call refused)."""
        await self.load()
        if self.storage.state == pybreaker.STATE_OPEN:
            wait = self.retry_after_s()
            if wait > 0:
                return wait
            self.cb.half_open()  # pybreaker's own transition: this call is the probe
            await self._flush()
        return 0.0

    async def record(self, failed: bool) -> None:
        state = self.cb.state
        try:
            if failed:
                state._handle_error(SystemFailure(self.service), reraise=False)  # noqa: SLF001
            else:
                state._handle_success()  # noqa: SLF001
        except (SystemFailure, pybreaker.CircuitBreakerError):
            pass  # pybreaker re-raises on trip; the caller already has its answer
        await self._flush()

    async def _flush(self) -> None:
        if not self.storage.ops:
            return
        pipe = self.redis.pipeline(transaction=True)
        for op in self.storage.ops:
            if op[0] == "hincrby":
                pipe.hincrby(self.key, op[1], 1)
            else:
                pipe.hset(self.key, op[1], op[2])
        pipe.publish(CHANGED, self.service)
        if self.owner:
            self.owner.forget(self.service)
        await pipe.execute()
        self.storage.ops = []

    def status(self) -> Status:
        return Status(self.service, STATES.get(self.storage.state, self.storage.state),
                      self.storage.counter, self.cb.fail_max, float(self.cb.reset_timeout),
                      round(self.retry_after_s(), 3))


class Breakers:
    """Factory of per-call `Breaker`s sharing settings and the Redis client."""

    def __init__(self, redis: Redis, *, fail_max: int, reset_s: float, services: Iterable[str],
                 namespace: str = NAMESPACE, settings: Any = None) -> None:
        self.redis = redis
        self.namespace = namespace
        self._fail_max = fail_max
        self._reset_s = reset_s
        # Given (the gateway's live settings view), the thresholds follow `breaker.fail_max` /
        # `breaker.reset_s` (services/common/live.py): each call's Breaker reads them anew.
        self.settings = settings
        self.services = tuple(sorted(services))
        self._snapshots: dict[str, tuple[dict[bytes, bytes], float]] = {}

    @property
    def fail_max(self) -> int:
        return self.settings.breaker_fail_max if self.settings is not None else self._fail_max

    @property
    def reset_s(self) -> float:
        return self.settings.breaker_reset_s if self.settings is not None else self._reset_s

    def get(self, service: str) -> Breaker:
        return Breaker(service, self.redis, fail_max=self.fail_max, reset_s=self.reset_s,
                       namespace=self.namespace, owner=self)

    async def snapshot(self, service: str) -> dict[bytes, bytes]:
        hit = self._snapshots.get(service)
        now = time.monotonic()
        if hit is not None and now - hit[1] < FRESH_S:
            return hit[0]
        raw = await self.redis.hgetall(f"{self.namespace}{service}")
        self._snapshots[service] = (raw, now)
        return raw

    def forget(self, service: str | None = None) -> None:
        if service is None:
            self._snapshots.clear()
        else:
            self._snapshots.pop(service, None)

    async def listen(self) -> None:
        """Drop a service's snapshot whenever any replica writes its breaker (run as a task)."""
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANGED)
                self.forget()  # anything may have changed while not subscribed
                async for msg in pubsub.listen():
                    data = msg.get("data")
                    self.forget(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis away: FRESH_S bounds staleness; resubscribe
                self.forget()
                await asyncio.sleep(0.5)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:  # noqa: BLE001
                    pass

    async def status(self, service: str) -> Status:
        b = self.get(service)
        await b.load()
        return b.status()

    async def reset(self, service: str) -> Status:
        await self.redis.pipeline(transaction=True).delete(f"{self.namespace}{service}").publish(
            CHANGED, service).execute()
        self.forget(service)
        return await self.status(service)
