"""Log shipping: every component's records to the Redis Stream `switchboard:logs`, never in the way.

`LogShipper.offer()` (called by the logging handler on the caller's thread) only appends to a
bounded in-memory buffer under a lock: no I/O, no allocation beyond the record's fields. A daemon
thread drains the buffer in batches, one pipelined MULTI/EXEC of XADDs per batch on a synchronous
Redis client with short socket timeouts. While Redis does not answer, the buffer keeps the newest
`capacity` records and drops the oldest, counting each one; once Redis answers again the count is
added to the hash `switchboard:logs:dropped` (field: component) in the same transaction as the
next batch, which is how it reaches `logs.stats`. Nothing is ever printed about it: a component
whose Redis is down keeps serving at full speed, and its one-line start-up error stays one line.

The thread belongs to the process that started it. After a fork (Celery's prefork children), the
first `offer()` in the child finds a different pid and starts a fresh buffer, lock and thread.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import deque
from typing import Any

import redis

STREAM = "switchboard:logs"
DROPPED_KEY = "switchboard:logs:dropped"
STREAM_MAXLEN = 1_000_000
MESSAGE_MAX = 64 * 1024  # characters; longer messages are cut and end in TRUNCATED
EXTRA_MAX = 64 * 1024
TRUNCATED = "…[truncated]"
FIELDS = ("ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra")


def cut(text: str, limit: int = MESSAGE_MAX) -> str:
    """`text`, or its first characters ending in the truncation marker, at most `limit` long."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED)] + TRUNCATED


class LogShipper:
    def __init__(
        self,
        redis_url: str,
        component: str,
        *,
        capacity: int = 10_000,
        batch: int = 500,
        stream: str = STREAM,
        maxlen: int = STREAM_MAXLEN,
        retry_s: float = 0.5,
    ) -> None:
        self.redis_url = redis_url
        self.component = component
        self.capacity = capacity
        self.batch = batch
        self.stream = stream
        self.maxlen = maxlen
        self.retry_s = retry_s
        self.closed = False
        self._init_process()

    def _init_process(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._buf: deque[dict[str, str]] = deque()
        self._inflight = 0
        self._inflight_dropped = 0  # of the batch in flight, records given up for newer ones
        self.dropped = 0  # records dropped by this process, ever
        self._reported = 0  # of which already added to DROPPED_KEY
        self.shipped = 0
        self._thread = threading.Thread(target=self._run, name="logship", daemon=True)
        self._thread.start()

    # --- the caller's side: never blocks on I/O, never raises ------------------------------------

    def offer(self, fields: dict[str, str]) -> None:
        if self.closed:
            return
        if self._pid != os.getpid():
            self._init_process()  # forked: the parent's thread and lock are not ours
        with self._lock:
            if len(self._buf) + self._inflight - self._inflight_dropped >= self.capacity:
                # Full: the oldest record held goes. While a batch is in flight that is its oldest
                # one not yet given up (taken back if the batch arrives after all).
                if self._inflight > self._inflight_dropped:
                    self._inflight_dropped += 1
                else:
                    self._buf.popleft()
                self.dropped += 1
            was_empty = not self._buf
            self._buf.append(fields)
        if was_empty:
            self._wake.set()

    def pending(self) -> int:
        """Records held (buffered or being sent)."""
        with self._lock:
            return len(self._buf) + self._inflight - self._inflight_dropped

    def unreported_drops(self) -> int:
        with self._lock:
            return self.dropped - self._reported

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until everything offered so far was sent (True) or `timeout` passed (False)."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._lock:
            while self._buf or self._inflight or self.dropped > self._reported:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 1.0) -> None:
        if not self.closed and self._pid == os.getpid():
            self.flush(timeout)
        self.closed = True
        self._wake.set()

    # --- the shipping thread ----------------------------------------------------------------------

    def _client(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.redis_url, socket_timeout=2, socket_connect_timeout=1, health_check_interval=0
        )

    def _run(self) -> None:
        pid = self._pid
        client = self._client()
        while not self.closed and pid == os.getpid():
            self._wake.wait(0.2)
            self._wake.clear()
            while True:
                with self._lock:
                    if pid != self._pid:
                        return
                    batch = [self._buf.popleft() for _ in range(min(self.batch, len(self._buf)))]
                    self._inflight = len(batch)
                    drops = self.dropped - self._reported
                    if not batch and not drops:
                        self._idle.notify_all()
                        break
                try:
                    self._send(client, batch, drops)
                except Exception:  # noqa: BLE001 - Redis away (or anything else): keep, retry later
                    self._requeue(batch)
                    client = self._reconnect(client)
                    self._wake.wait(self.retry_s)
                    break
                with self._lock:
                    self.dropped -= self._inflight_dropped  # they arrived after all
                    self._inflight = self._inflight_dropped = 0
                    self._reported += drops
                    self.shipped += len(batch)

    def _send(self, client: redis.Redis, batch: list[dict[str, str]], drops: int) -> None:
        pipe = client.pipeline(transaction=True)
        for fields in batch:
            pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
        if drops:
            pipe.hincrby(DROPPED_KEY, self.component, drops)
        pipe.execute()

    def _requeue(self, batch: list[dict[str, str]]) -> None:
        """Put an unsent batch back in front (it is the oldest), dropping what no longer fits."""
        with self._lock:
            keep = batch[self._inflight_dropped :]  # the given-up ones are counted already
            self._inflight = self._inflight_dropped = 0
            room = max(0, self.capacity - len(self._buf))
            if room < len(keep):
                self.dropped += len(keep) - room
                keep = keep[len(keep) - room :]
            self._buf.extendleft(reversed(keep))
            while len(self._buf) > self.capacity:
                self._buf.popleft()
                self.dropped += 1

    def _reconnect(self, client: redis.Redis) -> redis.Redis:
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass
        return self._client()


_shippers: list[LogShipper] = []


def start(redis_url: str, component: str, **kwargs: Any) -> LogShipper:
    shipper = LogShipper(redis_url, component, **kwargs)
    _shippers.append(shipper)
    return shipper


@atexit.register
def _flush_at_exit() -> None:
    for shipper in _shippers:
        try:
            shipper.close(timeout=1.0)
        except Exception:  # noqa: BLE001
            pass
