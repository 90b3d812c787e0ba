"""Tables of the managers in the `workers` schema (migration 0002): managers, schedules, ticks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.workers.models import Base

RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
STATES = (RUNNING, PAUSED, STOPPED)


class ManagerRow(Base):
    """One manager: its stored state and config overrides, and the fencing token of the newest
    leader that claimed it (`fence`): a leader's write is refused once a newer token is stored."""

    __tablename__ = "managers"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=RUNNING)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    fence: Mapped[int] = mapped_column(BigInteger, default=0)
    run_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # Passes run (any leader): how tests and operators see that run_now ran once.
    passes: Mapped[int] = mapped_column(BigInteger, default=0)
    last_run: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_run: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ScheduleRow(Base):
    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    queue: Mapped[str] = mapped_column(String(200), default="default")
    cron: Mapped[str] = mapped_column(String(200), default="")
    interval_s: Mapped[int] = mapped_column(BigInteger, default=0)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # An interval schedule's ticks are anchor + k × interval_s (k ≥ 1): created, updated or resumed.
    anchor: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_run: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_run: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TickRow(Base):
    """A tick the scheduler fired: recorded (with the leader's fencing token) before the job is
    submitted; `job_id` once the jobs service answered. The primary key is the exactly-once guard."""

    __tablename__ = "schedule_ticks"

    schedule: Mapped[str] = mapped_column(
        String(128), ForeignKey("workers.schedules.name", ondelete="CASCADE"), primary_key=True)
    tick: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    fence: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
