"""The applied-change acknowledgement of services/common/live.py against the session's real Redis:
after applying a change announced by `config.changed`, a `Live` writes the version it applied and
when into `ACK_HASH` under `<component>|<host>:<pid>` (what `bench.config_propagation` reads)."""

from __future__ import annotations

import asyncio
import secrets
import time

import orjson
import redis.asyncio as aioredis

from services.common.events import STREAM
from services.common.heartbeat import instance
from services.common.live import ACK_HASH, LIVE_HASH, Live, store


def test_live_acknowledges_each_applied_change_with_its_version_and_time(settings):
    async def go() -> None:
        r = aioredis.Redis.from_url(settings.redis_url)
        component = f"test-ack-{secrets.token_hex(3)}"
        field = f"{component}|{instance()}"
        live = Live(settings, r, component=component)
        await live.start()
        try:
            async def change(version: int, op: str, value: int | None = None) -> tuple[int, float, str]:
                await store(r, "breaker.reset_s", version, value, deleted=op == "delete")
                sent = time.time()
                await r.xadd(STREAM, {"type": "config.changed", "data": orjson.dumps(
                    {"key": "breaker.reset_s", "version": version, "op": op})})
                async with asyncio.timeout(1.0):  # the contract's bound
                    while True:
                        raw = await r.hget(ACK_HASH, field)
                        if raw is not None and float(raw.split()[1]) >= sent:  # this change's ack
                            v, at, key = raw.decode().split(" ")
                            assert float(at) <= time.time()
                            return int(v), float(at), key
                        await asyncio.sleep(0.01)

            version = 1000 + secrets.randbelow(10**6)
            assert await r.hget(ACK_HASH, field) is None  # nothing applied from an event yet
            v, _, key = await change(version, "set", 17)
            assert (v, key) == (version, "breaker.reset_s") and live.view.breaker_reset_s == 17
            v, _, key = await change(version + 1, "set", 19)
            assert (v, key) == (version + 1, "breaker.reset_s") and live.view.breaker_reset_s == 19
            v, _, key = await change(version + 1, "delete")  # a delete acks the version it removed
            assert v == version + 1 and "breaker.reset_s" not in live.stored
            assert 0 < await r.ttl(ACK_HASH) <= 86400
        finally:
            await live.stop()
            await r.hdel(LIVE_HASH, "breaker.reset_s")
            await r.hdel(ACK_HASH, field)
            await r.aclose()

    asyncio.run(go())


def test_a_failing_ack_does_not_undo_the_change(settings):
    async def go() -> None:
        r = aioredis.Redis.from_url(settings.redis_url)
        live = Live(settings, r, component="test-ack-broken")

        def broken(*_a, **_k):
            raise ConnectionError("redis away")

        live.redis = type("R", (), {"pipeline": staticmethod(broken), "hget": r.hget})()
        version = 1000 + secrets.randbelow(10**6)
        try:
            await store(r, "breaker.fail_max", version, 9)
            await live.refresh("breaker.fail_max", version, "set")
            assert live.view.breaker_fail_max == 9 and live.applied["breaker.fail_max"][0] == version
        finally:
            await r.hdel(LIVE_HASH, "breaker.fail_max")
            await r.aclose()

    asyncio.run(go())
