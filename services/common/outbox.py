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
import contextlib
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import context
from services.common.db import libpq_url
from services.common.events import STREAM, STREAM_MAXLEN, as_text, encode

log = logging.getLogger(__name__)

STREAM_ID = re.compile(r"^[0-9]+-[0-9]+$")  # what XADD answers; checked before it enters SQL


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
    """Publishes one schema's outbox (module docstring), on a PostgreSQL connection of its own.

    A batch is two round trips of simple queries: `BEGIN; SELECT … FOR UPDATE SKIP LOCKED`, then,
    after the XADDs, `UPDATE … FROM (VALUES …); COMMIT`. No pool checkout (and its reset), no
    pipeline mode, no parameters to bind: the relay's ids are its own integers and stream ids are
    checked against `STREAM_ID` before they are written into the statement. Measured on this
    machine, the pooled, pipelined version spent more CPU in psycopg's pipeline and transaction
    machinery than in the statements themselves (docs/performance.md). Any failure drops the
    connection (a transaction it left open is rolled back by PostgreSQL) and the next batch
    reconnects."""

    def __init__(
        self,
        redis: Any,
        table: Table,
        *,
        database_url: str,
        batch: int = 500,
        poll_s: float = 1.0,
    ) -> None:
        self.redis = redis
        self.table = table
        self.database_url = database_url
        self.batch = int(batch)
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self.published = 0
        self._claim = (f"BEGIN; SELECT id, event_id, type, source, ts, trace_id, actor, data FROM {table.fullname} "
                       f"WHERE published_at IS NULL ORDER BY id LIMIT {self.batch} FOR UPDATE SKIP LOCKED")
        self._mark = (f"UPDATE {table.fullname} AS o SET published_at = now(), stream_id = v.sid "
                      "FROM (VALUES {}) AS v(id, sid) WHERE o.id = v.id; COMMIT")

    def wake(self) -> None:
        self._wake.set()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            schema = self.table.schema or "public"
            self._conn = await psycopg.AsyncConnection.connect(
                libpq_url(self.database_url), autocommit=True, connect_timeout=5,
                application_name=f"{schema}-outbox-relay", row_factory=dict_row)
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # broken already, or PostgreSQL away
                await conn.close()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were sent.

        One transaction: claim the rows, XADD them, mark them and commit. A crash between XADD and
        COMMIT re-publishes them with the same `event_id`."""
        conn = await self._connection()
        try:
            cur = conn.cursor()
            # Several statements and no parameters: the simple query protocol, one round trip.
            # prepare=False: a multi-statement query cannot be a prepared statement.
            await cur.execute(self._claim, prepare=False)
            cur.nextset()  # past BEGIN's empty result, to the claimed rows
            rows = await cur.fetchall()
            if not rows:
                await conn.execute("COMMIT", prepare=False)
                return 0
            pipe = self.redis.pipeline(transaction=False)
            for r in rows:
                pipe.xadd(STREAM, encode(r), maxlen=STREAM_MAXLEN, approximate=True)
            stream_ids = [as_text(sid) for sid in await pipe.execute()]
            if not all(STREAM_ID.match(sid) for sid in stream_ids):
                raise ValueError(f"unexpected stream id among {stream_ids[:3]}")
            values = ", ".join(f"({int(r['id'])}, '{sid}')" for r, sid in zip(rows, stream_ids, strict=True))
            await cur.execute(self._mark.format(values), prepare=False)
        except BaseException:
            # Whatever failed (PostgreSQL, Redis, a cancellation), the claim must not stay held:
            # closing the connection ends its transaction.
            await self.close()
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
            await self.close()

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
