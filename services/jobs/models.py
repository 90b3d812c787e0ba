"""The jobs schema: one `Job` row per submitted job, plus the schema's outbox table.

Everything lives in PostgreSQL schema `jobs`, which only this service (and its Celery task
wrapper) reads or writes. `seq` is a bigserial that orders jobs for keyset pagination.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Index, Integer, MetaData, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.outbox import outbox_table

SCHEMA = "jobs"

# The lowercase words of the contract (SPEC §7).
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = "pending", "running", "succeeded", "failed", "cancelled"
STATUSES = (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("jobs_status_queue_seq", "status", "queue", "seq"),
        Index("jobs_queue_seq", "queue", "seq"),
        Index("jobs_task_seq", "task", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    task: Mapped[str] = mapped_column(String(100))
    queue: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    result: Mapped[Any | None] = mapped_column(JSONB, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    traceback: Mapped[str] = mapped_column(Text, default="")
    retry_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    worker: Mapped[str] = mapped_column(String(255), default="")
    worker_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trace_id: Mapped[str] = mapped_column(String(32), default="")
    created_by: Mapped[str] = mapped_column(String(255), default="")
    # Whether the job was running when cancelled (its process may still run) and whether it was
    # then killed: together they decide what job.terminate may still do.
    cancelled_while_running: Mapped[bool] = mapped_column(Boolean, default=False)
    terminated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Job options (migration 0002): attempts allowed; the time the job is held until; whether its
    # broker message is still to be sent (the dispatcher sends held jobs once `eta` has passed).
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    eta: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str] = mapped_column(String(128), default="")
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


outbox = outbox_table(Base.metadata)
