"""`Listings` (services/workers/registry.py): a kept worker.list answer is served until the
registry changes on this replica or it is `fresh_s` old; an answer built across a change is not
kept. Pure logic, no services."""

from __future__ import annotations

import asyncio

import pytest

from services.workers.registry import LIST_KEPT_MAX, Listings


class Builds:
    def __init__(self) -> None:
        self.n = 0

    async def __call__(self) -> int:
        self.n += 1
        return self.n


async def test_an_answer_is_kept_per_filter_until_a_change() -> None:
    listings, build = Listings(fresh_s=60), Builds()
    assert await listings.get(("", ""), build) == 1
    assert await listings.get(("", ""), build) == 1
    assert await listings.get(("offline", ""), build) == 2  # another filter, another answer
    listings.changed()
    assert await listings.get(("", ""), build) == 3
    assert await listings.get(("offline", ""), build) == 4


async def test_an_answer_is_rebuilt_once_it_is_fresh_s_old() -> None:
    listings, build = Listings(fresh_s=0.05), Builds()
    assert await listings.get("k", build) == 1
    assert await listings.get("k", build) == 1
    await asyncio.sleep(0.06)
    assert await listings.get("k", build) == 2


async def test_an_answer_built_across_a_change_is_served_once_but_not_kept() -> None:
    listings = Listings(fresh_s=60)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        started.set()
        await release.wait()
        return "read before the change"

    pending = asyncio.create_task(listings.get("k", slow))
    await started.wait()
    listings.changed()  # the registry changed while the rows were being read
    release.set()
    assert await pending == "read before the change"
    assert await listings.get("k", Builds()) == 1


async def test_a_failed_build_keeps_nothing() -> None:
    listings = Listings(fresh_s=60)

    async def failing() -> int:
        raise ValueError("status must be ...")

    with pytest.raises(ValueError):
        await listings.get("k", failing)
    assert await listings.get("k", Builds()) == 1


async def test_the_kept_answers_are_bounded() -> None:
    listings, build = Listings(fresh_s=60), Builds()
    for i in range(LIST_KEPT_MAX * 3):
        await listings.get(("", f"queue-{i}"), build)
    assert len(listings._kept) <= LIST_KEPT_MAX
