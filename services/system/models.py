"""Tables of the `system` schema: maintenance state, the pause-all record, the announcement (kept
here only while no config service is deployed) and the transactional outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, MetaData, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.outbox import outbox_table

SCHEMA = "system"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class MaintenanceRow(Base):
    """The one maintenance state (id 1). `version` orders the Redis copy the gateway reads."""

    __tablename__ = "maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    actor: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class PauseAllRow(Base):
    """Whether a pause-all is in effect (id 1), with what it was given."""

    __tablename__ = "pause_all"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PausedItemRow(Base):
    """What a pause-all changed, so resume_all restores exactly that: kind `queue` or `worker`."""

    __tablename__ = "paused_items"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    paused_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class AnnouncementRow(Base):
    """The banner (id 1) while no config service holds `system.announcement`; value null = none."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


outbox = outbox_table(Base.metadata)
