"""Domain functions of the logs service: validation of the shared filter, the queries over
`logs.records`, ingestion of stream entries and purges. Keyword-only, taking the caller's
connection (queries: an autocommit read connection; changes: the caller's transaction)."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Select, Table, and_, delete, func, literal_column, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import context
from services.common.errors import InvalidArgument, NotFound
from services.common.outbox import Outbox
from services.common.times import iso, parse_iso
from services.logs.models import Record, outbox

# SPEC §10's component names (docs/logs.md).
COMPONENTS = ("gateway", "jobs", "queue", "workers", "system", "config", "logs", "job-worker")
LEVELS = ("debug", "info", "warning", "error", "critical")
SETTABLE_LEVELS = ("debug", "info", "warning", "error")
RETENTION_MIN, RETENTION_MAX = 1, 3650
EXPORT_MAX_BYTES = 12 * 1024 * 1024  # under the gateway's 16 MiB gRPC receive limit
_STREAM_ID = re.compile(r"^(\d{1,19})-(\d{1,19})$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")

events = Outbox(outbox, source="logs")
RECORDS = cast(Table, Record.__table__)
R = RECORDS.c


# --- validation -----------------------------------------------------------------------------


def check_component(component: str, *, required: bool = False) -> str:
    if not component:
        if required:
            raise InvalidArgument("component is required", field="component")
        return ""
    if component not in COMPONENTS:
        raise NotFound(
            f"unknown component {component[:64]!r}; one of {', '.join(COMPONENTS)}",
            reason="COMPONENT_NOT_FOUND",
            field="component",
        )
    return component


def check_level(level: str, *, allowed: tuple[str, ...] = LEVELS, required: bool = False) -> str:
    level = level.strip().lower()
    if not level and not required:
        return ""
    if level not in allowed:
        raise InvalidArgument(f"level must be one of {', '.join(allowed)}", field="level")
    return level


def check_trace_id(trace_id: str) -> str:
    if trace_id and not _HEX32.match(trace_id):
        raise InvalidArgument("trace_id must be 32 lowercase hex digits", field="trace_id")
    return trace_id


def check_job_id(job_id: str, *, required: bool = False) -> str:
    if required and not job_id:
        raise InvalidArgument("job_id is required", field="job_id")
    if len(job_id) > 64:
        raise InvalidArgument("job_id must be at most 64 characters", field="job_id")
    return job_id


def check_range(since: str, until: str) -> tuple[datetime | None, datetime | None]:
    s, u = parse_iso(since, "since"), parse_iso(until, "until")
    if s is not None and u is not None and u < s:
        raise InvalidArgument("until must not be before since", field="until")
    return s, u


def check_bounded(value: int, field: str, *, default: int, maximum: int) -> int:
    if value < 0 or value > maximum:
        raise InvalidArgument(f"{field} must be 1..{maximum} (0 = {default})", field=field)
    return value or default


def parse_stream_id(value: str, field: str = "since") -> tuple[int, int]:
    m = _STREAM_ID.match(value)
    if not m:
        raise InvalidArgument(f"{field} must be a stream id like 1700000000000-0", field=field)
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True, slots=True)
class Filter:
    level: str = ""
    component: str = ""
    trace_id: str = ""
    job_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""

    @classmethod
    def of(cls, req: Any, *, with_range: bool = True) -> Filter:
        since, until = check_range(req.since, req.until) if with_range else (None, None)
        return cls(
            level=check_level(req.level),
            component=check_component(req.component),
            trace_id=check_trace_id(req.trace_id),
            job_id=check_job_id(req.job_id),
            since=since,
            until=until,
            text=req.text.strip(),
        )

    def where(self) -> list[Any]:
        out: list[Any] = []
        if self.level:
            out.append(R.level.in_(LEVELS[LEVELS.index(self.level):]))
        if self.component:
            out.append(R.component == self.component)
        if self.trace_id:
            out.append(R.trace_id == self.trace_id)
        if self.job_id:
            out.append(R.job_id == self.job_id)
        if self.since is not None:
            out.append(R.ts >= self.since)
        if self.until is not None:
            out.append(R.ts < self.until)
        if self.text:
            out.append(R.tsv.op("@@")(func.plainto_tsquery(literal_column("'simple'"), self.text)))
        return out


# --- page tokens: a keyset cursor (ts, stream id) ----------------------------------------------


def encode_cursor(ts: datetime, id_ms: int, id_seq: int) -> str:
    us = int(ts.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"l1:{us}:{id_ms}:{id_seq}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, int, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        tag, us, ms, seq = raw.split(":")
        if tag != "l1":
            raise ValueError(raw)
        return datetime.fromtimestamp(int(us) / 1_000_000, UTC), int(ms), int(seq)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidArgument("page_token is malformed; pass next_page_token as returned", field="page_token") from None


# --- records as the contract shows them -------------------------------------------------------


def record_dict(row: Any) -> dict[str, Any]:
    return {
        "id": f"{row.id_ms}-{row.id_seq}",
        "ts": iso(row.ts, timespec="microseconds"),
        "level": row.level,
        "component": row.component,
        "logger": row.logger,
        "message": row.message,
        "trace_id": row.trace_id,
        "job_id": row.job_id,
        "extra": row.extra or {},
    }


_COLS = (R.id_ms, R.id_seq, R.ts, R.level, R.component, R.logger, R.message, R.trace_id, R.job_id, R.extra)


def _page(stmt: Select, rows: list[Any], size: int) -> tuple[list[dict[str, Any]], str]:
    more = len(rows) > size
    rows = rows[:size]
    token = encode_cursor(rows[-1].ts, rows[-1].id_ms, rows[-1].id_seq) if more and rows else ""
    return [record_dict(r) for r in rows], token


async def search(conn: AsyncConnection, *, flt: Filter, page_size: int, page_token: str) -> tuple[list[dict[str, Any]], str]:
    size = check_bounded(page_size, "page_size", default=50, maximum=1000)
    stmt = select(*_COLS).where(*flt.where())
    if page_token:
        ts, ms, seq = decode_cursor(page_token)
        stmt = stmt.where(tuple_(R.ts, R.id_ms, R.id_seq) < tuple_(ts, ms, seq))
    stmt = stmt.order_by(R.ts.desc(), R.id_ms.desc(), R.id_seq.desc()).limit(size + 1)
    rows = list((await conn.execute(stmt)).all())
    return _page(stmt, rows, size)


async def tail(conn: AsyncConnection, *, flt: Filter, since: str, limit: int) -> tuple[list[dict[str, Any]], str]:
    n = check_bounded(limit, "limit", default=100, maximum=1000)
    if since:
        ms, seq = parse_stream_id(since)
        stmt = (
            select(*_COLS)
            .where(tuple_(R.id_ms, R.id_seq) > tuple_(ms, seq), *flt.where())
            .order_by(R.id_ms, R.id_seq)
            .limit(n)
        )
        rows = list((await conn.execute(stmt)).all())
    else:
        stmt = select(*_COLS).where(*flt.where()).order_by(R.id_ms.desc(), R.id_seq.desc()).limit(n)
        rows = list(reversed((await conn.execute(stmt)).all()))
    records = [record_dict(r) for r in rows]
    return records, (records[-1]["id"] if records else since)


async def job(conn: AsyncConnection, *, job_id: str, page_size: int, page_token: str) -> tuple[list[dict[str, Any]], str]:
    check_job_id(job_id, required=True)
    size = check_bounded(page_size, "page_size", default=50, maximum=1000)
    traces = (
        select(R.trace_id).where(R.job_id == job_id, R.trace_id != "").distinct().scalar_subquery()
    )
    stmt = select(*_COLS).where(or_(R.job_id == job_id, R.trace_id.in_(traces)))
    if page_token:
        ts, ms, seq = decode_cursor(page_token)
        stmt = stmt.where(tuple_(R.ts, R.id_ms, R.id_seq) > tuple_(ts, ms, seq))
    stmt = stmt.order_by(R.ts, R.id_ms, R.id_seq).limit(size + 1)
    rows = list((await conn.execute(stmt)).all())
    return _page(stmt, rows, size)


@dataclass(frozen=True, slots=True)
class Stats:
    total: int
    by_level: dict[str, int]
    by_component: dict[str, int]
    per_minute: list[tuple[str, int]]


async def stats(conn: AsyncConnection, *, since: str, until: str, component: str) -> Stats:
    s, u = check_range(since, until)
    check_component(component)
    u = u or datetime.now(UTC)
    s = s or (u - timedelta(hours=1))
    if u < s:
        raise InvalidArgument("until must not be before since", field="until")
    minute = func.date_trunc(literal_column("'minute'"), R.ts).label("minute")
    conds = [R.ts >= s, R.ts < u] + ([R.component == component] if component else [])
    # One statement, hence one snapshot: the three breakdowns each sum to the total.
    stmt = (
        select(R.level, R.component, minute, func.count().label("n"),
               func.grouping(R.level, R.component, minute).label("g"))
        .where(*conds)
        .group_by(text("GROUPING SETS ((level), (component), (date_trunc('minute', ts)), ())"))
    )
    by_level = dict.fromkeys(LEVELS, 0)
    by_component: dict[str, int] = {}
    per_minute: list[tuple[datetime, int]] = []
    total = 0
    for row in (await conn.execute(stmt)).all():
        if row.g == 0b011:
            by_level[row.level] = by_level.get(row.level, 0) + row.n
        elif row.g == 0b101:
            by_component[row.component] = row.n
        elif row.g == 0b110:
            per_minute.append((row.minute, row.n))
        elif row.g == 0b111:
            total = row.n
    per_minute.sort()
    return Stats(total, by_level, by_component, [(iso(m), n) for m, n in per_minute])


def render_export(records: list[dict[str, Any]], fmt: str) -> tuple[str, int, bool]:
    """(content, rows, cut short by the size cap)."""
    if fmt == "json":
        parts: list[str] = []
        size = 2
        for r in records:
            b = orjson.dumps(r).decode()
            if size + len(b) + 1 > EXPORT_MAX_BYTES:
                return "[" + ",".join(parts) + "]", len(parts), True
            parts.append(b)
            size += len(b) + 1
        return "[" + ",".join(parts) + "]", len(parts), False
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["id", "ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra"])
    rows = 0
    for r in records:
        mark = buf.tell()
        w.writerow([r["id"], r["ts"], r["level"], r["component"], r["logger"], r["message"],
                    r["trace_id"], r["job_id"], orjson.dumps(r["extra"]).decode()])
        if buf.tell() > EXPORT_MAX_BYTES:
            buf.seek(mark)
            buf.truncate()
            return buf.getvalue(), rows, True
        rows += 1
    return buf.getvalue(), rows, False


async def export(conn: AsyncConnection, *, flt: Filter, fmt: str, limit: int) -> tuple[str, str, int, bool]:
    fmt = (fmt or "csv").lower()
    if fmt not in ("csv", "json"):
        raise InvalidArgument("format must be csv or json", field="format")
    n = check_bounded(limit, "limit", default=10000, maximum=100000)
    stmt = (
        select(*_COLS).where(*flt.where())
        .order_by(R.ts.desc(), R.id_ms.desc(), R.id_seq.desc()).limit(n + 1)
    )
    rows = list((await conn.execute(stmt)).all())
    more = len(rows) > n
    content, count, capped = render_export([record_dict(r) for r in rows[:n]], fmt)
    return fmt, content, count, more or capped


def purge_conditions(*, older_than_s: int, until: str, component: str, trace_id: str, job_id: str) -> list[Any]:
    if older_than_s < 0:
        raise InvalidArgument("older_than_s must be at least 1", field="older_than_s")
    u = parse_iso(until, "until")
    if not older_than_s and u is None:
        raise InvalidArgument("a bound is required: older_than_s (seconds) or until (a time)", field="older_than_s")
    conds: list[Any] = []
    if older_than_s:
        conds.append(R.ts < datetime.now(UTC) - timedelta(seconds=older_than_s))
    if u is not None:
        conds.append(R.ts < u)
    if check_component(component):
        conds.append(R.component == component)
    if check_trace_id(trace_id):
        conds.append(R.trace_id == trace_id)
    if check_job_id(job_id):
        conds.append(R.job_id == job_id)
    return conds


async def purge(conn: AsyncConnection, *, conds: list[Any], dry_run: bool) -> tuple[int, int]:
    """(matched, affected), in the caller's one transaction; `logs.purged` on a real run."""
    if dry_run:
        matched = int(await conn.scalar(select(func.count()).select_from(RECORDS).where(and_(*conds))) or 0)
        return matched, 0
    done = (await conn.execute(delete(RECORDS).where(and_(*conds)))).rowcount or 0
    await events.emit(conn, "logs.purged", {"matched": done, "affected": done})  # type: ignore[arg-type]
    return done, done


async def purge_expired(conn: AsyncConnection, *, days: int, batch: int = 50_000) -> int:
    """The retention rule: records older than `days` (no event: housekeeping, not an action)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    res = await conn.execute(delete(RECORDS).where(R.ts < cutoff))
    return res.rowcount or 0


# --- ingestion --------------------------------------------------------------------------------


def _s(fields: dict[bytes, bytes], name: bytes, limit: int | None = None) -> str:
    raw = fields.get(name, b"")
    v = raw.decode("utf-8", "replace")
    if b"\x00" in raw:  # rare: PostgreSQL text cannot hold it
        v = v.replace("\x00", "\ufffd")
    return v[:limit] if limit else v


def row_of(entry_id: bytes, fields: dict[bytes, bytes]) -> dict[str, Any] | None:
    """The `logs.records` row of one stream entry; None when the entry cannot be a record."""
    m = _STREAM_ID.match(entry_id.decode())
    if not m:
        return None
    try:
        ts = datetime.fromisoformat(_s(fields, b"ts").replace("Z", "+00:00"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
    except ValueError:
        ts = datetime.fromtimestamp(int(m.group(1)) / 1000, UTC)
    level = _s(fields, b"level").lower()
    raw_extra = fields.get(b"extra") or b"{}"
    try:
        extra = orjson.loads(raw_extra)
        if not isinstance(extra, dict):
            extra = {"value": extra}
        if b"\\u0000" in raw_extra:  # JSON can carry a NUL only escaped; rare, so looked for first
            extra = _scrub_nul(extra)
    except orjson.JSONDecodeError:
        extra = {"raw": _s(fields, b"extra", 4096)}
    trace_id = _s(fields, b"trace_id")
    return {
        "id_ms": int(m.group(1)),
        "id_seq": int(m.group(2)),
        "ts": ts,
        "level": level if level in LEVELS else "info",
        "component": _s(fields, b"component", 32),
        "logger": _s(fields, b"logger", 512),
        "message": _s(fields, b"message"),
        "trace_id": trace_id if _HEX32.match(trace_id) else "",
        "job_id": _s(fields, b"job_id", 64),
        "extra": extra,
    }


def _scrub_nul(value: Any) -> Any:
    """jsonb stores no NUL character (U+0000) in strings or keys."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_scrub_nul(k): _scrub_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_nul(v) for v in value]
    return value


_INGEST_COLUMNS = ("id_ms", "id_seq", "ts", "level", "component", "logger", "message", "trace_id", "job_id", "extra")
_INGEST_TYPES = ("bigint", "bigint", "timestamptz", "text", "text", "text", "text", "text", "text", "jsonb")
# One statement per batch, the batch as one JSON document (orjson, in C) that PostgreSQL turns back
# into rows. An executemany would run the INSERT once per row; one array per column spent half of
# the service's CPU in psycopg's pure-Python array dumper (docs/logs.md).
_INGEST = text(
    f"INSERT INTO logs.records ({', '.join(_INGEST_COLUMNS)}) "
    f"SELECT {', '.join(_INGEST_COLUMNS)} FROM json_to_recordset(CAST(:rows AS json)) "
    f"AS u({', '.join(f'{c} {t}' for c, t in zip(_INGEST_COLUMNS, _INGEST_TYPES, strict=True))}) "
    "ON CONFLICT (id_ms, id_seq) DO NOTHING"
)


async def ingest(conn: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """Insert a batch; an entry already ingested (re-delivery) is skipped."""
    if not rows:
        return 0
    res = await conn.execute(_INGEST, {"rows": orjson.dumps(rows).decode()})
    return res.rowcount or 0


async def recent_problems(conn: AsyncConnection, *, limit: int = 20) -> tuple[list[dict[str, Any]], int, int]:
    """SSOT `logs`: the newest warnings and errors, and the last hour's counts of each."""
    hour = datetime.now(UTC) - timedelta(hours=1)
    rows = (
        await conn.execute(
            select(*_COLS).where(R.level.in_(("warning", "error", "critical")))
            .order_by(R.ts.desc(), R.id_ms.desc(), R.id_seq.desc()).limit(limit)
        )
    ).all()
    counts = (
        await conn.execute(
            select(R.level, func.count()).where(R.ts >= hour, R.level.in_(("warning", "error", "critical")))
            .group_by(R.level)
        )
    ).all()
    by = {lvl: n for lvl, n in counts}
    return [record_dict(r) for r in rows], by.get("warning", 0), by.get("error", 0) + by.get("critical", 0)


def actor() -> str:
    return context.current().actor
