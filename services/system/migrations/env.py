"""Alembic environment of the `system` schema (run by `switchboard migrate`)."""

from services.common.migrate import run_env
from services.system.models import Base

run_env(Base.metadata)
