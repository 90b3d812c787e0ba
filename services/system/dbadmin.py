"""Database maintenance on the shared database (`db.*`): statistics, VACUUM / ANALYZE of the
project's tables, each schema's migration revision.

Maintenance statements run on a connection of their own (VACUUM cannot run inside a transaction)
with a `statement_timeout` below the action's deadline: a statement that hits it is cancelled by
PostgreSQL — VACUUM and ANALYZE change nothing a cancel could leave half done — and the caller
gets DEADLINE_EXCEEDED (504). Table names are checked against the catalogue and quoted as
identifiers, never pasted into SQL.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import psycopg
from psycopg import sql

from services.common.db import libpq_url
from services.common.errors import DeadlineExceeded, InvalidArgument, NotFound, Unavailable

# SPEC §2: one schema per owner.
SCHEMAS = ("jobs", "queue", "workers", "system", "config", "logs", "audit")
_TABLE = re.compile(r"^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$")
# Upper bound of one maintenance statement; the action's remaining deadline lowers it further.
STATEMENT_TIMEOUT_MS = int(os.environ.get("SWITCHBOARD_DB_STATEMENT_TIMEOUT_MS", "") or 50_000)
MARGIN_MS = 1_000


def statement_timeout_ms(budget_s: float | None) -> int:
    """The statement timeout for a call with `budget_s` left before its deadline (None: no deadline)."""
    limit = STATEMENT_TIMEOUT_MS
    if budget_s is not None:
        limit = min(limit, int(budget_s * 1000) - MARGIN_MS)
    return max(100, limit)


@dataclass(frozen=True, slots=True)
class Processed:
    tables: list[str]
    duration_ms: float


async def connect(database_url: str, timeout_ms: int, **kwargs: Any) -> psycopg.AsyncConnection[Any]:
    """An autocommit connection of its own with `statement_timeout`; PostgreSQL out of reach (or
    out of connections) is UNAVAILABLE, which the caller may retry — never an internal error."""
    try:
        conn = await psycopg.AsyncConnection.connect(libpq_url(database_url), autocommit=True, **kwargs)
    except psycopg.OperationalError as exc:
        raise Unavailable(f"PostgreSQL unavailable: {str(exc).strip()[:200]}", reason="DATABASE_UNAVAILABLE") from None
    await conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(timeout_ms)))
    return conn


async def _tables(conn: psycopg.AsyncConnection) -> list[tuple[str, str]]:
    cur = await conn.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s) ORDER BY 1, 2",
        (list(SCHEMAS),),
    )
    return [(r[0], r[1]) for r in await cur.fetchall()]


async def resolve(conn: psycopg.AsyncConnection, table: str) -> list[tuple[str, str]]:
    """The (schema, table) pairs `table` names: one, or every table of the project's schemas."""
    known = await _tables(conn)
    if table == "":
        return known
    m = _TABLE.fullmatch(table)
    if m is None:
        raise InvalidArgument(f"table must be schema.table, got {table[:80]!r}", reason="INVALID_TABLE", field="table")
    if m.group(1) not in SCHEMAS:
        raise InvalidArgument(
            f"table must be in one of the project's schemas ({', '.join(SCHEMAS)}), got {table!r}",
            reason="FOREIGN_SCHEMA", field="table",
        )
    pair = (m.group(1), m.group(2))
    if pair not in known:
        raise NotFound(f"table {table!r} not found", reason="TABLE_NOT_FOUND", field="table")
    return [pair]


async def maintain(database_url: str, *, verb: str, table: str, full: bool = False,
                   budget_s: float | None = None) -> Processed:
    """VACUUM [FULL] or ANALYZE the tables `table` names."""
    timeout_ms = statement_timeout_ms(budget_s)
    started = time.perf_counter()
    conn = await connect(database_url, timeout_ms)
    try:
        pairs = await resolve(conn, table)
        head = {"vacuum": "VACUUM (FULL)" if full else "VACUUM", "analyze": "ANALYZE"}[verb]
        for schema, name in pairs:
            try:
                await conn.execute(sql.SQL(head + " {}").format(sql.Identifier(schema, name)))
            except psycopg.errors.QueryCanceled:
                raise DeadlineExceeded(
                    f"{verb} of {schema}.{name} hit the statement timeout ({timeout_ms} ms) and was cancelled;"
                    " nothing was changed",
                ) from None
    finally:
        await conn.close()
    return Processed([f"{s}.{t}" for s, t in pairs], round((time.perf_counter() - started) * 1000, 3))


@dataclass(frozen=True, slots=True)
class SchemaStats:
    name: str
    tables: int
    rows: int
    size_bytes: int


@dataclass(frozen=True, slots=True)
class DbStats:
    database: str
    size_bytes: int
    connections: int
    schemas: list[SchemaStats]


async def stats(database_url: str, *, budget_s: float | None = None) -> DbStats:
    conn = await connect(database_url, statement_timeout_ms(budget_s))
    try:
        cur = await conn.execute(
            "SELECT current_database(), pg_database_size(current_database()),"
            " (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())"
        )
        database, size, connections = await cur.fetchone()  # type: ignore[misc]
        cur = await conn.execute(
            """SELECT c.relnamespace::regnamespace::text AS schema, count(*),
                      coalesce(sum(s.n_live_tup), 0), coalesce(sum(pg_total_relation_size(c.oid)), 0)
               FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
               WHERE c.relkind IN ('r', 'p') AND c.relnamespace::regnamespace::text = ANY(%s)
               GROUP BY 1""",
            (list(SCHEMAS),),
        )
        by_schema = {r[0]: r for r in await cur.fetchall()}
    finally:
        await conn.close()
    schemas = []
    for name in SCHEMAS:
        r = by_schema.get(name)
        schemas.append(SchemaStats(name, int(r[1]), int(r[2]), int(r[3])) if r else SchemaStats(name, 0, 0, 0))
    return DbStats(database, int(size), int(connections), schemas)


@dataclass(frozen=True, slots=True)
class Revision:
    name: str
    revision: str
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head


@cache
def heads() -> dict[str, str]:
    """schema -> newest revision the code ships (the owners' Alembic folders)."""
    from alembic.script import ScriptDirectory

    from services.common.migrate import owners

    out = {}
    for schema, folder in owners().items():
        out[schema] = ScriptDirectory(str(folder)).get_current_head() or ""
    return out


async def migrations(database_url: str, *, budget_s: float | None = None) -> list[Revision]:
    conn = await connect(database_url, statement_timeout_ms(budget_s))
    try:
        cur = await conn.execute(
            "SELECT table_schema FROM information_schema.tables"
            " WHERE table_name = 'alembic_version' AND table_schema = ANY(%s)",
            (list(SCHEMAS),),
        )
        versioned = [r[0] for r in await cur.fetchall()]
        applied: dict[str, str] = {}
        for schema in versioned:
            cur = await conn.execute(sql.SQL("SELECT version_num FROM {}").format(sql.Identifier(schema, "alembic_version")))
            row = await cur.fetchone()
            applied[schema] = row[0] if row else ""
    finally:
        await conn.close()
    shipped = heads()
    return [Revision(s, applied.get(s, ""), shipped.get(s, "")) for s in SCHEMAS]
