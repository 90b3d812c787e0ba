"""The live hash and the follower of services/common/live.py against the session's real Redis:
racing writers never leave an older value, and a `Live` applies set / delete events in order."""

from __future__ import annotations

import asyncio
import secrets

import orjson
import redis.asyncio as aioredis

from services.common.events import STREAM
from services.common.live import LIVE_HASH, Live, decode_field, store


def test_store_keeps_the_newest_version_whatever_the_arrival_order(settings):
    async def go() -> None:
        r = aioredis.Redis.from_url(settings.redis_url)
        key = f"test.live-{secrets.token_hex(3)}"
        try:
            assert await store(r, key, 2, "two")
            assert not await store(r, key, 1, "one")  # late writer of an older version
            assert await store(r, key, 2, None, deleted=True)  # the delete of version 2 outranks its set
            assert not await store(r, key, 2, "two")
            assert await store(r, key, 3, {"x": 1})
            assert decode_field(await r.hget(LIVE_HASH, key)).value == {"x": 1}
        finally:
            await r.hdel(LIVE_HASH, key)
            await r.aclose()

    asyncio.run(go())


def test_live_applies_changes_in_order_and_falls_back_to_the_environment(settings):
    async def go() -> None:
        r = aioredis.Redis.from_url(settings.redis_url)
        live = Live(settings.with_(rate_limit_per_min=50), r, component="test")
        await live.start()
        try:
            async def announce(version: int, op: str) -> None:
                await r.xadd(STREAM, {"type": "config.changed", "data": orjson.dumps(
                    {"key": "ratelimit.per_min", "version": version, "op": op})})

            async def until(pred) -> None:
                async with asyncio.timeout(1.0):  # the contract's bound
                    while not pred():  # noqa: ASYNC110 - polling a plain attribute, bounded
                        await asyncio.sleep(0.01)

            version = 1000 + secrets.randbelow(10**6)
            await announce(version, "set")  # the event overtakes the hash write: Live waits for it
            await store(r, "ratelimit.per_min", version, 7)
            await until(lambda: live.view.rate_limit_per_min == 7)
            assert live.value("ratelimit.per_min") == 7
            await store(r, "ratelimit.per_min", version, None, deleted=True)
            await announce(version, "delete")
            await until(lambda: live.view.rate_limit_per_min == 50)
            assert live.settings.rate_limit_per_min == 50 and "ratelimit.per_min" not in live.stored
        finally:
            await live.stop()
            await r.hdel(LIVE_HASH, "ratelimit.per_min")
            await r.aclose()

    asyncio.run(go())


def test_a_quiet_stream_keeps_the_follower_connected_and_stop_is_prompt(settings, caplog):
    """The follower blocks on XREAD for less than redis-py's 5 s socket timeout, so a stream with
    no events gives empty replies, not "Timeout reading" and a reconnect; `stop` returns within
    one block time even when redis-py turns the cancellation into a timeout."""
    async def go() -> float:
        r = aioredis.Redis.from_url(f"{settings.redis_url.rsplit('/', 1)[0]}/15")  # a db with no events
        live = Live(settings, r, component="test")
        await live.start()
        try:
            await asyncio.sleep(6.5)
        finally:
            t0 = asyncio.get_running_loop().time()
            await live.stop()
            stopped_in = asyncio.get_running_loop().time() - t0
            await r.aclose()
        return stopped_in

    with caplog.at_level("WARNING", logger="services.common.live"):
        stopped_in = asyncio.run(go())
    assert not [r for r in caplog.records if "follower failed" in r.getMessage()], caplog.text
    assert stopped_in < 3.5
