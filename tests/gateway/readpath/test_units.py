"""Pure pieces of the read path, and the invalidator's dedup against the real Redis."""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio import Redis

from gateway.readpath.cache import GEN, KEY, READ, SnapshotCache
from gateway.readpath.hub import EventHub, entries_of, parse_id
from gateway.readpath.invalidator import Invalidator
from gateway.readpath.ssot import etag_matches


def test_etag_comparison_is_weak_and_takes_lists() -> None:
    ours = b'"abc"'
    assert etag_matches('"abc"', ours)
    assert etag_matches('W/"abc"', ours)
    assert etag_matches('"x", W/"abc" ,"y"', ours)
    assert etag_matches("*", ours)
    assert not etag_matches('"abcd"', ours)
    assert not etag_matches("abc", ours)


def test_stream_ids_parse_and_order() -> None:
    assert parse_id("1700000000000-3") == (1700000000000, 3)
    assert parse_id(b"1700000000000") == (1700000000000, 0)
    assert parse_id("1-10") > parse_id("1-9")
    for bad in ("", "abc", "1-x", "-1", "1--2"):
        with pytest.raises(ValueError):
            parse_id(bad)


def test_entries_of_reads_both_reply_shapes() -> None:
    e1, e2 = (b"1-0", {b"a": b"1"}), (b"1-1", {b"a": b"2"})
    assert entries_of([[b"s", [e1, e2]]]) == [e1, e2]
    assert entries_of({b"s": [[e1, e2]]}) == [e1, e2]
    assert entries_of(None) == [] and entries_of({}) == []


async def test_a_full_client_queue_drops_only_that_client() -> None:
    hub = EventHub(redis=None, queue_max=0)  # type: ignore[arg-type]  # clamped to one batch
    slow, fast, other = hub.subscribe(["job."]), hub.subscribe([]), hub.subscribe(["queue."])
    for i in range(hub.queue_max + 1):
        hub.publish((i, 0), "job.started", "{}")
        if i % 10 == 0:  # the fast client keeps up
            while not fast.queue.empty():
                fast.queue.get_nowait()
    assert slow.dropped.is_set() and slow not in hub.subscribers
    assert not fast.dropped.is_set() and not other.dropped.is_set()
    assert other.queue.empty()  # filtered out, never queued


async def test_duplicate_event_ids_invalidate_once(settings) -> None:
    redis = Redis.from_url(settings.redis_url)
    try:
        cache = SnapshotCache(settings, redis, dict)
        inv = Invalidator(redis, cache)
        eid = secrets.token_hex(8).encode()
        gen0 = int(await redis.get(GEN) or 0)
        await redis.set(KEY, b'"e"\nHIT\n{}')
        await redis.set(READ, b"1", ex=10)  # somebody reads it
        await inv.handle([(b"1-1", {b"event_id": eid})])
        assert int(await redis.get(GEN)) == gen0 + 1
        assert await redis.get(KEY) != b'"e"\nHIT\n{}'  # refreshed in place
        fanouts = cache.counts["fanouts"]
        await inv.handle([(b"1-2", {b"event_id": eid})])  # the relay published it twice
        assert cache.counts["fanouts"] == fanouts  # no second rebuild
        assert (inv.handled, inv.duplicates, inv.invalidated_by_events) == (2, 1, 1)
    finally:
        await redis.delete(KEY, READ)
        await redis.aclose()


async def test_an_event_refreshes_a_snapshot_being_read_and_deletes_one_nobody_reads(settings) -> None:
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.delete(KEY, READ)
        cache = SnapshotCache(settings, redis, dict)
        cache.read_recent_s = 0.3
        assert (await cache.get()).x_cache in ("MISS", "STALE")  # a reader: builds it, marks it read
        assert await redis.exists(READ)
        fanouts = cache.counts["fanouts"]
        await cache.refresh()
        assert cache.counts["fanouts"] == fanouts + 1 and await redis.exists(KEY)  # rebuilt in place
        assert (await cache.get()).x_cache != "MISS"

        await redis.delete(READ)  # as after read_recent_s without a reader
        await cache.refresh()
        assert cache.counts["fanouts"] == fanouts + 1  # no rebuild for nobody
        assert not await redis.exists(KEY)  # and nothing stale left to serve
        cache._marked_at = float("-inf")  # a new reader (in the same second, on another replica)
        assert (await cache.get()).x_cache in ("MISS", "STALE")
        assert cache.counts["fanouts"] == fanouts + 2 and await redis.exists(READ)
    finally:
        await redis.delete(KEY, READ)
        await redis.aclose()
