"""Fixtures of the config service tests: the session's real config service behind the session's
gateway (`api`), a Redis client on the session's database, and unique keys."""

from __future__ import annotations

import secrets

import pytest

from tests.helpers import Api


@pytest.fixture(scope="session")
def config_service(services):
    return services.up("config")


@pytest.fixture
def capi(config_service, api: Api) -> Api:  # noqa: F811
    """The session gateway's client, with the config service running behind it."""
    return api


@pytest.fixture
def key() -> str:
    """A free-form key no other test uses (tests share one database per session)."""
    return f"test.k-{secrets.token_hex(4)}"
