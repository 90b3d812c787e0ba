"""Fixtures of the system service tests: the session's gateway with the jobs, queue and system
services (and config / workers when this build ships them), a Redis client on the session's
database and a direct PostgreSQL connection for checking effects."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from services.common.db import libpq_url
from services.common.settings import Settings
from tests.conftest import ROOT, Services

# Every service this build ships (the session's other tests may have started some already).
SHIPPED = tuple(sorted(p.parent.name for p in (ROOT / "services").glob("*/servicer.py")))


@pytest.fixture(scope="session")
def system_up(services: Services) -> Services:
    services.up(*SHIPPED)
    return services


@pytest.fixture
def sys_api(api, system_up):  # noqa: ANN001, ANN201 - the session gateway's client (tests/conftest.py)
    return api


@pytest.fixture
def pg(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        yield conn
