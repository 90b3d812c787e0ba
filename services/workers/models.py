"""Tables of the `workers` schema: the worker registry and the transactional outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, Float, Integer, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.outbox import outbox_table

SCHEMA = "workers"

ONLINE, OFFLINE, QUIET = "online", "offline", "quiet"
STATUSES = (ONLINE, OFFLINE, QUIET)


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class WorkerRow(Base):
    """One Celery worker (node name), as its events and the last live answers describe it."""

    __tablename__ = "workers"

    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ONLINE)
    # Quiet is kept apart from status: a quiet worker that goes silent and comes back is still quiet.
    quiet: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    queues: Mapped[list[str]] = mapped_column(ARRAY(String), nullable=False, default=list)
    pool_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    concurrency: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Seconds between the worker's heartbeats (from its events).
    freq: Mapped[float] = mapped_column(Float, nullable=False, default=2.0)
    last_heartbeat: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


outbox = outbox_table(Base.metadata)
