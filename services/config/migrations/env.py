"""Alembic environment of the `config` schema (run by `switchboard migrate`)."""

from services.common.migrate import run_env
from services.config.models import metadata

run_env(metadata)
