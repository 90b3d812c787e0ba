"""Helpers of the gateway tests. The session gateway and its client (`gateway`, `api`) are fixtures
of tests/conftest.py, shared by every directory; `Api`, `uid`, `audit_rows` and `new_trace` live in
tests/helpers.py and are re-exported here for the tests that import them from this module."""

from __future__ import annotations

from tests.conftest import Component, start_gateway  # noqa: F401 - re-exported to the tests here
from tests.helpers import Api, audit_rows, new_trace, uid  # noqa: F401 - re-exported to the tests here
