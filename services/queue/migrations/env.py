"""Alembic environment of the `queue` schema (run by `switchboard migrate`)."""

from services.common.migrate import run_env
from services.queue.models import Base

run_env(Base.metadata)
