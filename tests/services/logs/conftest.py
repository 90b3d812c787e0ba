"""The gateway fixtures (`gateway`, `api`) for the logs tests, which drive every action through it."""

from tests.gateway.conftest import api, gateway  # noqa: F401 - fixtures re-exported to this directory
