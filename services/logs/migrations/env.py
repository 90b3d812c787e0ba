"""Alembic environment of the `logs` schema (run by `switchboard migrate`)."""

from services.common.migrate import run_env
from services.logs.models import Base

run_env(Base.metadata)
