"""Queue name and description validation (pure logic: the name becomes a Redis key and a Celery queue)."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidArgument
from services.queue.service import check_description, check_queue_name


@pytest.mark.parametrize("name", ["default", "a", "0", "q.high_prio-2", "a" * 64])
def test_accepts_valid_names(name: str) -> None:
    assert check_queue_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "Default", "-q", "_q", ".q", "q q", "q/1", "q:1", "a" * 65, "q\n", "é", "q\x06\x163"],
)
def test_rejects_invalid_names_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        check_queue_name(name)
    assert info.value.field == "queue_name"
    assert "queue_name" in info.value.message


def test_long_name_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidArgument) as info:
        check_queue_name("x" * 10_000)
    assert len(info.value.message) < 200


def test_description_length_is_bounded() -> None:
    assert check_description("d" * 1000) == "d" * 1000
    with pytest.raises(InvalidArgument) as info:
        check_description("d" * 1001)
    assert info.value.field == "description"
