"""Producers (services/common/logship.py, jsonlog.py) without a logs service: never blocking,
drop-oldest with an exact count while Redis is away, truncation of huge messages."""

from __future__ import annotations

import logging
import time

import orjson
import redis as redis_sync

from services.common import jsonlog, logship
from tests.helpers import wait_for
from tests.services.logs.logs_helpers import PrivateRedis


def test_producer_with_redis_down_keeps_serving_and_counts_drops_exactly() -> None:
    server = PrivateRedis()  # a free port: nothing listens there yet
    # retry_s tiny: the thread keeps taking batches while records arrive (the in-flight path).
    shipper = logship.LogShipper(server.url, "jobs", capacity=100, batch=30, retry_s=0.001)
    handler = jsonlog.ShipHandler(shipper, "jobs")
    logger = logging.getLogger("tests.logship.down")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        started = time.perf_counter()
        for i in range(1000):
            logger.info("record %d", i)
        elapsed = time.perf_counter() - started
        # Full speed: no connection attempt on the caller's thread (1000 records well under a second).
        assert elapsed < 0.5, elapsed
        # Wait until the thread has tried and put its batch back: then exactly capacity are held.
        wait_for(lambda: shipper.pending() == 100 and shipper.dropped == 900, timeout=10,
                 what="buffer at capacity with 900 dropped")
        assert shipper.shipped == 0
        # Redis comes back: the newest 100 records arrive and the 900 drops are reported.
        server.start()
        client = redis_sync.Redis.from_url(server.url)
        wait_for(lambda: client.xlen(logship.STREAM) == 100 and client.hget(logship.DROPPED_KEY, "jobs") == b"900",
                 timeout=15, what="buffer shipped and drops reported")
        messages = [f[b"message"].decode() for _, f in client.xrange(logship.STREAM)]
        assert messages == [f"record {i}" for i in range(900, 1000)]  # the oldest were dropped
        assert shipper.dropped == 900 and shipper.unreported_drops() == 0
    finally:
        shipper.close(timeout=0.5)
        server.stop()


def test_one_mib_message_is_truncated_with_marker_never_dropped() -> None:
    server = PrivateRedis().start()
    shipper = logship.LogShipper(server.url, "gateway")
    handler = jsonlog.ShipHandler(shipper, "gateway")
    logger = logging.getLogger("tests.logship.big")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("x" * (1 << 20), extra={"blob": "y" * (1 << 20), "n": 3})
        assert shipper.flush(5)
        client = redis_sync.Redis.from_url(server.url)
        [(_, fields)] = client.xrange(logship.STREAM)
        message = fields[b"message"].decode()
        assert len(message) == logship.MESSAGE_MAX
        assert message.endswith(logship.TRUNCATED) and message.startswith("xxx")
        extra = orjson.loads(fields[b"extra"])
        assert extra["truncated"] is True and len(fields[b"extra"]) < 2 * logship.EXTRA_MAX
        assert fields[b"level"] == b"warning" and fields[b"component"] == b"gateway"
        assert shipper.dropped == 0
    finally:
        shipper.close(timeout=0.5)
        server.stop()


def test_record_shape_on_the_console() -> None:
    rec = jsonlog.record_of(
        logging.LogRecord("a.b", logging.ERROR, __file__, 1, "boom %s", ("now",), None),
        "queue", logging.Formatter(),
    )
    assert set(rec) == {"ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra"}
    assert rec["level"] == "error" and rec["message"] == "boom now" and rec["component"] == "queue"
    assert rec["trace_id"] == "" and rec["job_id"] == "" and rec["extra"] == {}
