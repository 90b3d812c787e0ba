"""Leadership on real Redis and PostgreSQL: one lease holder at a time, a larger fencing token for
every new holder, and a stale holder's writes refused by the database (services/workers/managers)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from services.common import db
from services.workers.managers import store
from services.workers.managers.lease import Lease, leader_of


@pytest.fixture
async def redis(redis_url: str):
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def sessions(database_url: str):
    engine = db.async_engine(database_url)
    yield db.sessionmaker(engine)
    await engine.dispose()


async def test_one_holder_new_tokens_and_release(redis) -> None:
    name = f"lease-test-{secrets.token_hex(3)}"
    a = Lease(redis, name, lease_ms=1000, replica="host-a:1")
    b = Lease(redis, name, lease_ms=1000, replica="host-b:2")
    assert await a.acquire() and a.valid()
    assert not await b.acquire() and not b.held
    assert await leader_of(redis, name) == "host-a:1"
    assert await a.renew()
    await a.release()
    assert await leader_of(redis, name) == ""
    assert await b.acquire() and b.token > a.token


async def test_a_lapsed_holder_stops_before_the_next_can_start(redis) -> None:
    name = f"lease-test-{secrets.token_hex(3)}"
    a = Lease(redis, name, lease_ms=1000, replica="host-a:1")
    b = Lease(redis, name, lease_ms=1000, replica="host-b:2")
    assert await a.acquire()
    # a stops counting itself leader (0.8 of the lease) before Redis lets b in.
    while a.valid():
        assert not await b.acquire()
        await asyncio.sleep(0.05)
    got = False
    while not got:
        got = await b.acquire()
        await asyncio.sleep(0.05)
    assert b.token > a.token
    assert not await a.renew() and not a.held  # the key holds b's value: a's renewal is refused
    assert await leader_of(redis, name) == "host-b:2"


async def test_a_stale_token_is_refused_by_the_database(sessions) -> None:
    async with sessions.begin() as s:
        base = (await s.execute(text("SELECT fence FROM workers.managers WHERE name = 'retention'"))).scalar_one()
    old, new = base + 1, base + 2
    async with sessions.begin() as s:
        await store.claim(s, name="retention", token=old, leader="old:1")
    async with sessions.begin() as s:
        await store.fenced(s, name="retention", token=old)  # the holder's write goes through
    async with sessions.begin() as s:
        await store.claim(s, name="retention", token=new, leader="new:2")
    with pytest.raises(store.StaleLeader):
        async with sessions.begin() as s:
            await store.fenced(s, name="retention", token=old)
    with pytest.raises(store.StaleLeader):
        async with sessions.begin() as s:
            await store.claim(s, name="retention", token=old, leader="old:1")
    async with sessions.begin() as s:
        await store.end_pass(s, name="retention", token=new, error="", interval_s=3600)


async def test_a_counter_behind_the_database_is_moved_past_it(redis) -> None:
    """Redis lost the counter (flushed): the refused holder moves it past the stored token."""
    name = f"lease-test-{secrets.token_hex(3)}"
    a = Lease(redis, name, lease_ms=1000, replica="host-a:1")
    assert await a.acquire() and a.token == 1
    await a.refused(41)
    assert not a.held and await leader_of(redis, name) == ""
    assert await a.acquire() and a.token == 42
