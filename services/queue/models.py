"""Tables of the `queue` schema: queue definitions and the transactional outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, MetaData, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.outbox import outbox_table

SCHEMA = "queue"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class QueueRow(Base):
    """One switchboard queue; its name is also the Celery queue name (and the broker list key)."""

    __tablename__ = "queues"

    queue_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Jobs started per second at most, across every worker (0 = unlimited; migration 0002).
    rate_limit_per_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


outbox = outbox_table(Base.metadata)
