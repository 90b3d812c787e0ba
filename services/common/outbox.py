"""The transactional outbox (SPEC §6).

A state change and its event commit in one transaction: `emit()` adds an outbox row through the
caller's session. `OutboxRelay` (one per service process, any number of replicas) claims unsent rows
with `FOR UPDATE SKIP LOCKED`, XADDs them to `switchboard:events`, and marks them sent. A crash
after XADD but before the mark re-publishes the row with the same `event_id`: consumers dedup on it.
An insert trigger NOTIFYs the relay, so events leave within milliseconds; a slow poll covers lost
notifications.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.common import context
from services.common.db import libpq_url
from services.common.events import STREAM, STREAM_MAXLEN, encode

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=False), nullable=False),
        Column("type", String(100), nullable=False),
        Column("source", String(50), nullable=False),
        Column("ts", DateTime(timezone=True), nullable=False),
        Column("trace_id", String(32), nullable=False),
        Column("actor", String(255), nullable=False),
        Column("data", JSONB, nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("stream_id", Text, nullable=True),
    )


def notify_channel(schema: str) -> str:
    return f"{schema}_outbox"


def create_outbox_sql(schema: str) -> list[str]:
    """DDL for migrations: the outbox table, its pending index and the NOTIFY trigger."""
    ch = notify_channel(schema)
    return [
        f"""CREATE TABLE IF NOT EXISTS "{schema}".outbox (
            id bigserial PRIMARY KEY,
            event_id uuid NOT NULL,
            type varchar(100) NOT NULL,
            source varchar(50) NOT NULL,
            ts timestamptz NOT NULL,
            trace_id varchar(32) NOT NULL,
            actor varchar(255) NOT NULL,
            data jsonb NOT NULL,
            published_at timestamptz,
            stream_id text)""",
        f'CREATE INDEX IF NOT EXISTS outbox_pending ON "{schema}".outbox (id) WHERE published_at IS NULL',
        f"""CREATE OR REPLACE FUNCTION "{schema}".outbox_notify() RETURNS trigger AS $$
            BEGIN PERFORM pg_notify('{ch}', ''); RETURN NULL; END $$ LANGUAGE plpgsql""",
        f'DROP TRIGGER IF EXISTS outbox_notify ON "{schema}".outbox',
        f"""CREATE TRIGGER outbox_notify AFTER INSERT ON "{schema}".outbox
            FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".outbox_notify()""",
    ]


def event_row(type_: str, data: dict[str, Any], *, source: str) -> dict[str, Any]:
    ctx = context.current()
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "source": source,
        "ts": datetime.now(UTC),
        "trace_id": ctx.trace_id,
        "actor": ctx.actor,
        "data": data,
    }


class Outbox:
    """Writes events into one schema's outbox inside the caller's transaction."""

    def __init__(self, table: Table, source: str) -> None:
        self.table = table
        self.source = source

    async def emit(self, session: AsyncSession, type_: str, data: dict[str, Any]) -> str:
        row = event_row(type_, data, source=self.source)
        await session.execute(self.table.insert().values(**row))
        return row["event_id"]

    def emit_sync(self, session: Any, type_: str, data: dict[str, Any]) -> str:
        """The same, from sync code (the Celery task wrapper)."""
        row = event_row(type_, data, source=self.source)
        session.execute(self.table.insert().values(**row))
        return row["event_id"]


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        redis: Any,
        table: Table,
        *,
        database_url: str,
        batch: int = 500,
        poll_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.table = table
        self.database_url = database_url
        self.batch = batch
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.published = 0
        # Plain psycopg statements (as the audit writer does, gateway/auditlog.py): no SQL
        # compilation, and pipelined, so a batch costs two round trips to PostgreSQL instead of four.
        self._claim = (f"SELECT id, event_id, type, source, ts, trace_id, actor, data FROM {table.fullname} "
                       "WHERE published_at IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED")
        self._mark = f"UPDATE {table.fullname} SET published_at = now(), stream_id = %s WHERE id = %s"

    def wake(self) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were sent.

        One transaction: (BEGIN, claim the rows) pipelined, XADD them, then (mark them, COMMIT)
        pipelined. A crash between XADD and COMMIT re-publishes them with the same `event_id`."""
        async with self.engine.connect() as sa_conn:
            conn = (await sa_conn.get_raw_connection()).driver_connection
            assert conn is not None  # a checked-out connection has its driver's
            try:
                async with conn.pipeline() as p, conn.transaction():
                    cur = conn.cursor(row_factory=dict_row)
                    await cur.execute(self._claim, (self.batch,))
                    await p.sync()
                    rows = await cur.fetchall()
                    if not rows:
                        return 0
                    pipe = self.redis.pipeline(transaction=False)
                    for r in rows:
                        pipe.xadd(STREAM, encode(r), maxlen=STREAM_MAXLEN, approximate=True)
                    stream_ids = await pipe.execute()
                    await cur.executemany(self._mark, [
                        (sid if isinstance(sid, str) else sid.decode(), r["id"])
                        for r, sid in zip(rows, stream_ids, strict=True)
                    ])
            except psycopg.OperationalError:
                # Not through SQLAlchemy, so it cannot tell the connection died (a PostgreSQL
                # restart): drop it from the pool rather than hand it out again.
                if conn.closed or conn.broken:
                    await sa_conn.invalidate()
                raise
        self.published += len(rows)
        return len(rows)

    async def drain(self) -> None:
        while await self.publish_pending() == self.batch:
            pass

    async def _listen(self) -> None:
        """Wake the relay on every NOTIFY from the outbox trigger; reconnect on failure."""
        channel = notify_channel(self.table.schema or "public")
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    libpq_url(self.database_url), autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {channel}")
                    self._wake.set()  # catch up on anything committed while not listening
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep relaying by polling meanwhile
                log.warning("outbox listener lost its connection: %s", exc)
                await asyncio.sleep(1.0)

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                try:
                    await self.drain()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - Redis or PostgreSQL down: retry, lose nothing
                    log.warning("outbox relay failed, will retry: %s", exc)
                    await asyncio.sleep(0.5)
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            listener.cancel()

    def start(self) -> asyncio.Task:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.table.schema}")
        return self._task

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
