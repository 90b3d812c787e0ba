"""Writing and reading the audit log (SPEC §4 "Audit log").

`AuditLog.submit` queues a record for a background writer that inserts batches (cheap hot path);
`AuditLog.write` inserts at once (CRITICAL actions). Both extend one SHA-256 chain under a
transaction-scoped advisory lock, so every gateway replica appends to the same chain in order.
Records queued when the process stops are flushed by `close()`; while PostgreSQL is down they
wait in memory and are retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from decimal import Decimal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.models import AuditRecord

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_CHAIN_LOCK = 0x5B0A0D1  # pg_advisory_xact_lock key of the audit chain
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
# The advisory lock serialises appends of every gateway replica. The head is read by a separate,
# later statement: under READ COMMITTED a statement's snapshot is taken when it starts, so one
# statement that both waited for the lock and read the head could miss a head committed meanwhile.
_LOCK = "SELECT pg_advisory_xact_lock(%s)"
_HEAD = "SELECT hash FROM audit.audit_log ORDER BY seq DESC LIMIT 1"
_COPY = f"COPY audit.audit_log ({', '.join(_COLUMNS)}) FROM STDIN"


UNSTORABLE = {"[Filtered]": "payload could not be stored"}


def _text(s: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; a caller must not be able to wedge the log with one.
    return s.replace("\x00", "\ufffd") if "\x00" in s else s


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


async def append(engine: AsyncEngine, entries: Sequence[Entry]) -> None:
    """Add `entries` to the chain in one transaction: lock the chain, read its head, COPY the batch. Plain psycopg on a pooled connection rather than SQLAlchemy
    statements: a flush is a few round trips and no SQL compilation, which keeps the audit
    writer's share of the gateway's CPU small (docs/performance.md)."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        async with driver.transaction():
            await driver.execute(_LOCK, (_CHAIN_LOCK,))
            row = await (await driver.execute(_HEAD)).fetchone()
            prev = (row[0] if row else None) or GENESIS
            async with driver.cursor() as cur, cur.copy(_COPY) as copy:
                for e in entries:
                    rec = _record(e)
                    rec["prev_hash"] = prev
                    rec["hash"] = prev = record_hash(prev, rec)
                    rec["payload"] = Jsonb(rec["payload"])
                    await copy.write_row(tuple(rec[c] for c in _COLUMNS))


class AuditLog:
    def __init__(self, engine: AsyncEngine, *, batch: int = 500, interval_s: float = 0.05) -> None:
        self.engine = engine
        self._pending: list[Entry] = []
        self._wake = asyncio.Event()
        self._batch = batch
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def submit(self, entry: Entry) -> None:
        self._pending.append(entry)
        if len(self._pending) >= self._batch:
            self._wake.set()

    async def write(self, entry: Entry) -> None:
        """Insert now (raises when the database does not take it)."""
        await append(self.engine, [entry])

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
        while self._pending:
            batch, self._pending = self._pending[: self._batch], self._pending[self._batch:]
            try:
                await append(self.engine, batch)
            except psycopg.DataError:
                await self._append_one_by_one(batch)
            except Exception:
                self._pending[:0] = batch  # keep order; retried on the next tick
                raise

    async def _append_one_by_one(self, batch: list[Entry]) -> None:
        """The database refused something in the batch (not a lost connection): write the records
        singly, and one it still refuses with its payload replaced, so no record is lost and one
        bad value can never stop the chain."""
        for e in batch:
            try:
                await append(self.engine, [e])
            except psycopg.DataError as exc:
                log.error("audit record refused; storing it without its payload",
                          extra={"error": str(exc)[:200], "action": e.action})
                await append(self.engine, [replace(e, payload=UNSTORABLE)])

    async def _run(self) -> None:
        backoff = self._interval_s
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), backoff)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.flush()
                backoff = self._interval_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - PostgreSQL away: keep the records, retry
                log.warning("audit write failed, will retry", extra={"error": str(exc)[:200],
                                                                     "pending": len(self._pending)})
                backoff = min(backoff * 2, 2.0)

    async def close(self, timeout_s: float = 10.0) -> None:
        self._closing = True
        self._wake.set()
        if self._task:
            await asyncio.gather(self._task, return_exceptions=True)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self._pending and asyncio.get_running_loop().time() < deadline:
            try:
                await self.flush()
            except Exception:  # noqa: BLE001
                await asyncio.sleep(0.2)
        if self._pending:
            log.error("audit records lost at shutdown", extra={"count": len(self._pending)})


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
