"""The gateway's own table: `audit.audit_log`, append-only with a SHA-256 hash chain (SPEC §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Identity, Integer, MetaData, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA = "audit"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class AuditRecord(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    ts: Mapped[datetime] = mapped_column(TIMESTAMP(timezone=True))
    trace_id: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)  # "" when the request did not authenticate
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    ip: Mapped[str] = mapped_column(Text)
    user_agent: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    risk: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JSONB)
    outcome: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)
    prev_hash: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)
