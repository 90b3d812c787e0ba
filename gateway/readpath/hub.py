"""The WebSocket fan-out reader (SPEC §6): every gateway replica reads EVERY event of the stream
with a plain XREAD (no consumer group) and hands it to its own WebSocket subscribers.

Each subscriber has a bounded queue; publishing never awaits, so one slow console can only
overflow its own queue — it is then dropped (closed 1013) and never slows the others or the
reader. Each event is decoded and serialised once, whatever the number of subscribers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
import redis.exceptions
from redis.asyncio import Redis

from services.common.events import STREAM, decode

log = logging.getLogger("gateway.readpath.hub")

StreamId = tuple[int, int]
FINISHED = ("job.succeeded", "job.failed")
THROUGHPUT_WINDOW_S = 60
# Entries per XREAD. A client queue shorter than one batch would drop healthy clients on a burst.
BATCH = 100


def parse_id(raw: str | bytes) -> StreamId:
    """`1700000000000-3` (or `1700000000000`) -> (ms, seq); ValueError when malformed."""
    s = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = s.partition("-")
    if not ms.isdigit() or (seq and not seq.isdigit()):
        raise ValueError(f"not a stream id: {s!r}")
    return int(ms), int(seq or 0)


def entries_of(reply: Any) -> list[tuple[bytes, dict]]:
    """Entries of a one-stream XREAD/XREADGROUP reply, RESP2 (list) or RESP3 (dict) shaped."""
    if not reply:
        return []
    if isinstance(reply, dict):  # RESP3: {stream: [[entry, ...]]}
        return [e for wrapped in reply.values() for entries in wrapped for e in entries]
    return [e for _, entries in reply for e in entries]  # RESP2: [[stream, [entry, ...]]]


class Subscriber:
    def __init__(self, prefixes: tuple[str, ...], maxsize: int) -> None:
        self.prefixes = prefixes
        self.queue: asyncio.Queue[tuple[StreamId, str]] = asyncio.Queue(maxsize)
        self.dropped = asyncio.Event()

    def wants(self, type_: str) -> bool:
        return not self.prefixes or type_.startswith(self.prefixes)


class EventHub:
    def __init__(self, redis: Redis, queue_max: int) -> None:
        self.redis = redis
        self.queue_max = max(queue_max, BATCH)
        self.subscribers: set[Subscriber] = set()
        self.last_id = b"0-0"
        self._finished: deque[float] = deque()

    async def start_position(self) -> None:
        # Start at the current end: a console asks for history explicitly with `since`.
        newest = await self.redis.xrevrange(STREAM, count=1)
        if newest:
            self.last_id = newest[0][0]

    def subscribe(self, prefixes: Iterable[str]) -> Subscriber:
        sub = Subscriber(tuple(prefixes), self.queue_max)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, sid: StreamId, type_: str, text: str) -> None:
        for sub in tuple(self.subscribers):
            if not sub.wants(type_):
                continue
            try:
                sub.queue.put_nowait((sid, text))
            except asyncio.QueueFull:
                self.subscribers.discard(sub)
                sub.dropped.set()

    def throughput(self) -> dict[str, Any]:
        cutoff = time.time() - THROUGHPUT_WINDOW_S
        while self._finished and self._finished[0] < cutoff:
            self._finished.popleft()
        return {"window_s": THROUGHPUT_WINDOW_S, "jobs_finished": len(self._finished),
                "per_min": round(len(self._finished) * 60 / THROUGHPUT_WINDOW_S, 2)}

    def _handle(self, raw_id: bytes, fields: dict) -> None:
        event = decode(raw_id, fields)
        if event["type"] in FINISHED:
            self._finished.append(time.time())
        self.publish(parse_id(raw_id), event["type"], orjson.dumps(event).decode())

    async def run(self) -> None:
        while True:
            try:
                reply = await self.redis.xread({STREAM: self.last_id}, count=BATCH, block=1000)
            except asyncio.CancelledError:
                raise
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
                log.warning("event reader: redis unavailable (%s); retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for raw_id, fields in entries_of(reply):
                self.last_id = raw_id
                try:
                    self._handle(raw_id, fields)
                except Exception:  # noqa: BLE001 — one malformed entry must not stop the stream
                    log.exception("event reader: cannot decode entry %r", raw_id)

    async def replay(self, since: StreamId, page: int = 500) -> AsyncIterator[tuple[StreamId, str, str]]:
        """Events strictly after `since`, oldest first: (id, type, JSON text)."""
        start = f"({since[0]}-{since[1]}"
        while True:
            entries = await self.redis.xrange(STREAM, min=start, max="+", count=page)
            for raw_id, fields in entries:
                event = decode(raw_id, fields)
                yield parse_id(raw_id), event["type"], orjson.dumps(event).decode()
            if len(entries) < page:
                return
            start = "(" + entries[-1][0].decode()
