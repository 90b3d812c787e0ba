"""Alembic environment of the `workers` schema (run by `switchboard migrate`)."""

from services.common.migrate import run_env
from services.workers.models import Base

run_env(Base.metadata)
