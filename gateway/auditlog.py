"""Writing and reading the audit log (SPEC §4 "Audit log", "Durability").

Group commit, as PostgreSQL does for its WAL: `AuditLog.record` queues a record and waits until it
is committed; one writer task per gateway drains the queue, writes everything queued in one
transaction on its own connection, then wakes each waiting request. Requests in flight together
share one transaction (one fsync); a request alone pays one. So a response never leaves before its
record is committed, a SIGKILL loses no answered request's record, and a search sees every record
whose response was sent.

Every batch extends one SHA-256 chain shared by every gateway replica. A writer keeps the head
it last wrote and appends the batch in one statement, one round trip and its own transaction.
A unique index on `prev_hash` refuses a second record naming the same predecessor, so when
another replica appended meanwhile the statement fails as a whole. The writer then reads the
head again and retries, and the chain can never fork. The old way took an advisory lock and read
the head first: five statements in two round trips per batch.

While PostgreSQL is away the writer keeps the records in memory, in order, and retries; a request
whose record is not committed within `wait_s` gets `AuditUnavailable` (the pipeline answers 503),
and its record is still written once PostgreSQL answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.models import AuditRecord
from services.common.db import libpq_url

log = logging.getLogger(__name__)

GENESIS = "0" * 64
AT = AuditRecord.__table__


@dataclass(slots=True)
class Entry:
    """One audit record before it joins the chain."""

    trace_id: str
    action: str
    risk: str
    payload: Any
    outcome: str
    status: int
    error_code: str
    duration_ms: float
    actor: str = ""
    roles: list[str] = field(default_factory=list)
    ip: str = ""
    user_agent: str = ""
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))


def _canon(v: Any) -> Any:
    # jsonb normalises numbers (1e20 comes back as an integer): hash numbers by value, as tagged
    # text (tags keep the string "5" and the number 5 apart; text has no 64-bit limit).
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float):
        return f"n:{int(Decimal(repr(v)))}" if v.is_integer() else f"n:{v!r}"
    if isinstance(v, int):
        return f"n:{v}"
    if isinstance(v, str):
        return f"s:{v}"
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_canon(x) for x in v]
    return v


def record_hash(prev_hash: str, rec: dict[str, Any]) -> str:
    body = {
        "ts": rec["ts"].astimezone(UTC).isoformat(), "trace_id": rec["trace_id"], "actor": rec["actor"],
        "roles": list(rec["roles"]), "ip": rec["ip"], "user_agent": rec["user_agent"],
        "action": rec["action"], "risk": rec["risk"], "payload": _canon(rec["payload"]),
        "outcome": rec["outcome"], "status": rec["status"], "error_code": rec["error_code"],
        "duration_ms": float(rec["duration_ms"]),
    }
    data = prev_hash.encode() + b"\n" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()


_COLUMNS = ("ts", "trace_id", "actor", "roles", "ip", "user_agent", "action", "risk", "payload",
            "outcome", "status", "error_code", "duration_ms", "prev_hash", "hash")
_HEAD = "SELECT hash FROM audit.audit_log ORDER BY seq DESC LIMIT 1"
_ROW = f"({', '.join(['%s'] * len(_COLUMNS))})"


def _insert(n: int) -> str:
    """One INSERT of `n` rows: one statement, so one implicit transaction on an autocommit
    connection. psycopg prepares it once a given `n` has been seen a few times."""
    return f"INSERT INTO audit.audit_log ({', '.join(_COLUMNS)}) VALUES {', '.join([_ROW] * n)}"


UNSTORABLE = {"[Filtered]": "payload could not be stored"}


class AuditUnavailable(Exception):
    """The record was not committed in time (PostgreSQL away); it stays queued and is retried."""


def _text(s: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL, and UTF-8 cannot hold a lone surrogate (a JWT's
    # JSON may carry "\ud800"): a caller must not be able to wedge the log with either.
    if "\x00" in s:
        s = s.replace("\x00", "\ufffd")
    if not s.isascii():
        s = s.encode("utf-8", "replace").decode("utf-8")
    return s


def _storable(v: Any) -> Any:
    if isinstance(v, str):
        return _text(v)
    if isinstance(v, dict):
        return {_text(str(k)): _storable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_storable(x) for x in v]
    return v


def _record(e: Entry) -> dict[str, Any]:
    try:  # the JSON that jsonb will store; one odd payload must never block the chain
        payload = _storable(orjson.loads(orjson.dumps(e.payload)))
    except (orjson.JSONEncodeError, orjson.JSONDecodeError):
        payload = UNSTORABLE
    return {
        "ts": e.ts, "trace_id": e.trace_id, "actor": _text(e.actor), "roles": [_text(r) for r in e.roles],
        "ip": _text(e.ip), "user_agent": _text(e.user_agent), "action": e.action, "risk": e.risk,
        "payload": payload, "outcome": e.outcome, "status": e.status, "error_code": _text(e.error_code),
        "duration_ms": round(float(e.duration_ms), 3),
    }


async def head(conn: psycopg.AsyncConnection[Any]) -> str:
    """The hash of the chain's last record (GENESIS while it is empty)."""
    row = await (await conn.execute(_HEAD)).fetchone()
    return (row[0] if row else None) or GENESIS


async def _append_on(conn: psycopg.AsyncConnection[Any], entries: Sequence[Entry], prev: str | None) -> str:
    """`entries` chained after `prev` (the head as last known; None: read it), in one statement
    (autocommit: its own transaction); returns the new head. When another writer moved the head
    first (`UniqueViolation` on `prev_hash`, nothing written), the head is read again and the
    statement retried."""
    while True:
        if prev is None:
            prev = await head(conn)
        params: list[Any] = []
        last = prev
        for e in entries:
            rec = _record(e)
            rec["prev_hash"] = last
            rec["hash"] = last = record_hash(last, rec)
            rec["payload"] = Jsonb(rec["payload"])
            params.extend(rec[c] for c in _COLUMNS)
        try:
            await conn.execute(_insert(len(entries)), params)
        except psycopg.errors.UniqueViolation:
            prev = None  # another replica appended since: link to its last record instead
            continue
        return last


# What a record itself can cause (as opposed to a lost connection, which is retried).
_REFUSED = (psycopg.DataError, ValueError, TypeError)


async def _append_all(conn: psycopg.AsyncConnection[Any], entries: Sequence[Entry], prev: str | None) -> str:
    """`_append_on`, and when the database refuses something in the batch (not a lost connection,
    not a moved head): the records singly, and one it still refuses with its payload replaced, so
    no record is lost and one bad value can never stop the chain. Each statement retries a moved
    head on its own, so a record already written singly is never written again. Returns the new
    head."""
    try:
        return await _append_on(conn, entries, prev)
    except _REFUSED:
        if len(entries) == 1 and entries[0].payload is UNSTORABLE:
            raise
    for e in entries:
        try:
            prev = await _append_on(conn, [e], prev)
        except _REFUSED as exc:
            log.error("audit record refused; storing it without its payload",
                      extra={"error": str(exc)[:200], "action": e.action})
            prev = await _append_on(conn, [replace(e, payload=UNSTORABLE)], prev)
    assert prev is not None  # at least one statement ran and returned a head
    return prev


async def append(engine: AsyncEngine, entries: Sequence[Entry]) -> None:
    """Add `entries` to the chain at once, on a pooled connection (raises when the database does
    not take them)."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # an open pooled connection always has its psycopg connection
        await driver.set_autocommit(True)
        try:
            await _append_all(driver, entries, None)
        finally:
            await driver.set_autocommit(False)


class AuditLog:
    """The group-commit writer of one gateway (module docstring)."""

    def __init__(self, engine: AsyncEngine, *, batch: int = 1000, wait_s: float = 5.0) -> None:
        self.engine = engine
        self._dsn = libpq_url(engine.url.render_as_string(hide_password=False))
        self._pending: list[tuple[Entry, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._batch = batch
        self.wait_s = wait_s
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._head: str | None = None  # the hash this writer last appended (None: read it)
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="audit-writer")

    def submit(self, entry: Entry) -> asyncio.Future[None]:
        """Queue `entry`; the future resolves once it is committed."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry, fut))
        self._wake.set()
        if self._task is None or self._task.done():
            self.start()
        return fut

    async def record(self, entry: Entry) -> None:
        """Return once `entry` is committed; `AuditUnavailable` after `wait_s` without a commit
        (the record stays queued, in order, and is written when PostgreSQL answers again)."""
        fut = self.submit(entry)
        try:
            async with asyncio.timeout(self.wait_s):
                await asyncio.shield(fut)
        except TimeoutError:
            raise AuditUnavailable("the audit record could not be committed") from None

    async def write(self, entry: Entry) -> None:
        """Same as `record` (kept for callers that name the synchronous write)."""
        await self.record(entry)

    async def writable(self) -> bool:
        """Can a record be written right now? (the fail-closed check of CRITICAL actions)"""
        try:
            async with asyncio.timeout(2):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1 FROM audit.audit_log LIMIT 0"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "cannot audit"
            return False

    async def flush(self) -> None:
        """Wait until every record queued so far is committed."""
        waiting = [f for _, f in self._pending]
        if waiting:
            await asyncio.gather(*(asyncio.shield(f) for f in waiting))

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self._dsn, autocommit=True, connect_timeout=5, application_name="gateway-audit")
        return self._conn

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # it is broken already
                await conn.close()

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            # Everything queued while the previous transaction ran goes into this one.
            batch = self._pending[: self._batch]
            try:
                self._head = await _append_all(await self._connection(), [e for e, _ in batch], self._head)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - PostgreSQL away: keep the records, retry
                log.warning("audit write failed, will retry",
                            extra={"error": str(exc)[:200], "pending": len(self._pending)})
                await self._drop_connection()
                self._head = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            backoff = 0.05
            del self._pending[: len(batch)]
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    async def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued (for up to `timeout_s`), then stop the writer."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            try:
                async with asyncio.timeout(timeout_s):
                    await asyncio.shield(self._task)
            except TimeoutError:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        if self._pending:
            log.error("audit records lost at shutdown", extra={"count": len(self._pending)})
            for _, fut in self._pending:
                if not fut.done():
                    fut.set_exception(AuditUnavailable("the gateway stopped before the record was committed"))
                    fut.exception()  # retrieved: nobody may be waiting any more
            self._pending.clear()
        await self._drop_connection()


# --- reading ------------------------------------------------------------------------------

def row_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["ts"] = d["ts"].astimezone(UTC).isoformat()
    return d


async def search(
    engine: AsyncEngine, *, actor: str = "", action: str = "", outcome: str = "", trace_id: str = "",
    since: datetime | None = None, until: datetime | None = None, before_seq: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first; `before_seq` continues a page."""
    q = select(AT).order_by(AT.c.seq.desc()).limit(limit)
    for col, val in ((AT.c.actor, actor), (AT.c.action, action), (AT.c.outcome, outcome),
                     (AT.c.trace_id, trace_id)):
        if val:
            q = q.where(col == val)
    if since:
        q = q.where(AT.c.ts >= since)
    if until:
        q = q.where(AT.c.ts < until)
    if before_seq is not None:
        q = q.where(AT.c.seq < before_seq)
    async with engine.connect() as conn:
        return [row_dict(r) for r in await conn.execute(q)]


async def iter_chain(engine: AsyncEngine, chunk: int = 5000) -> AsyncIterator[Any]:
    last = 0
    while True:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                select(AT).where(AT.c.seq > last).order_by(AT.c.seq).limit(chunk))).all()
        if not rows:
            return
        for r in rows:
            yield r
        last = rows[-1].seq


async def verify(engine: AsyncEngine) -> tuple[bool, int, int]:
    """(ok, records checked, first broken seq or 0): a changed record breaks its own hash, a
    removed or inserted one breaks the next record's link."""
    prev = GENESIS
    checked = 0
    async for r in iter_chain(engine):
        checked += 1
        rec = dict(r._mapping)
        if rec["prev_hash"] != prev or record_hash(prev, rec) != rec["hash"]:
            return False, checked, rec["seq"]
        prev = rec["hash"]
    return True, checked, 0
