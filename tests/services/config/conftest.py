"""Fixtures of the config service tests: the session's real config service behind the session's
gateway (`api`), a Redis client on the session's database, and unique keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis as redis_sync

from services.common.settings import Settings
from tests.helpers import Api


@pytest.fixture(scope="session")
def config_service(services):
    return services.up("config")


@pytest.fixture
def capi(config_service, api: Api) -> Api:  # noqa: F811
    """The session gateway's client, with the config service running behind it."""
    return api


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url(settings.redis_url)
    yield client
    client.close()


@pytest.fixture
def key() -> str:
    """A free-form key no other test uses (tests share one database per session)."""
    return f"test.k-{secrets.token_hex(4)}"
