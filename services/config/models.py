"""Tables of the `config` schema: every version of every key, each key's current state, the change
counter, and the transactional outbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from services.common.outbox import outbox_table

SCHEMA = "config"
metadata = MetaData(schema=SCHEMA)

# One row per version of a key; never updated. `value` is JSON (JSON null included: NOT NULL column).
versions = Table(
    "versions", metadata,
    Column("key", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("value", JSONB(none_as_null=False), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", String(255), nullable=False, default=""),
    Column("comment", Text, nullable=False, default=""),
)

# One row per key that ever had a version: the current one (NULL after a delete) and the last one
# handed out (versions count on across a delete).
keys = Table(
    "keys", metadata,
    Column("key", String(128), primary_key=True),
    Column("current_version", Integer, nullable=True),
    Column("last_version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row: `config_version`, the number of committed changes (one per config.changed event).
# Every write locks it first, so writes are serialised (config changes are rare).
state = Table(
    "state", metadata,
    Column("id", Integer, primary_key=True),
    Column("config_version", BigInteger, nullable=False),
)

outbox = outbox_table(metadata)
