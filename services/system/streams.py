"""The event stream and the broker, as the system service sees them: `events.stats` (XINFO),
`events.replay` (stored events back onto the stream) and `broker.stats` (Redis INFO).

The store of past events is the services' outboxes: every event was committed there and is kept,
sent or not, until retention purges it. Replay reads them read-only from every project schema that
has one — the system service is the database's maintainer (like `db.stats` reading the catalogue);
it never writes another service's schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from psycopg import sql
from psycopg.rows import dict_row

from services.common.events import STREAM, STREAM_MAXLEN, encode
from services.system.dbadmin import SCHEMAS, connect, statement_timeout_ms

BATCH = 500


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else ("" if v is None else str(v))


def _k(d: dict) -> dict[str, Any]:
    return {_s(k): v for k, v in d.items()}


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    consumers: int
    pending: int
    last_delivered_id: str
    lag: int


@dataclass(frozen=True, slots=True)
class StreamStats:
    stream: str
    length: int
    first_id: str
    last_id: str
    groups: list[Group]


async def stream_stats(redis: aioredis.Redis) -> StreamStats:
    if not await redis.exists(STREAM):
        return StreamStats(STREAM, 0, "", "", [])
    info = _k(await redis.xinfo_stream(STREAM))
    first, last = info.get("first-entry"), info.get("last-entry")
    groups = []
    for g in await redis.xinfo_groups(STREAM):
        g = _k(g)
        lag = g.get("lag")
        groups.append(Group(
            name=_s(g.get("name")),
            consumers=int(g.get("consumers") or 0),
            pending=int(g.get("pending") or 0),
            last_delivered_id=_s(g.get("last-delivered-id")),
            lag=-1 if lag is None else int(lag),
        ))
    return StreamStats(
        STREAM,
        int(info.get("length") or 0),
        _s(first[0]) if first else "",
        _s(last[0]) if last else "",
        sorted(groups, key=lambda g: g.name),
    )


async def stored_events(database_url: str, *, since: datetime, until: datetime, types: list[str],
                        budget_s: float | None = None) -> list[dict[str, Any]]:
    """Every outbox row of every project schema with ts in [since, until] whose type starts with
    one of `types` ([] = any), in ts order."""
    conn = await connect(database_url, statement_timeout_ms(budget_s), row_factory=dict_row)
    try:
        cur = await conn.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' AND table_schema = ANY(%s)",
            (list(SCHEMAS),),
        )
        schemas = [r["table_schema"] for r in await cur.fetchall()]
        rows: list[dict[str, Any]] = []
        for schema in schemas:
            cur = await conn.execute(
                sql.SQL(
                    "SELECT id, event_id, type, source, ts, trace_id, actor, data FROM {} "
                    "WHERE ts >= %s AND ts <= %s "
                    "AND (cardinality(%s::text[]) = 0 OR EXISTS (SELECT 1 FROM unnest(%s::text[]) p WHERE starts_with(type, p))) "
                    "ORDER BY ts, id"
                ).format(sql.Identifier(schema, "outbox")),
                (since, until, types, types),
            )
            rows.extend(await cur.fetchall())
    finally:
        await conn.close()
    rows.sort(key=lambda r: (r["ts"], r["source"], r["id"]))
    return rows


async def republish(redis: aioredis.Redis, rows: list[dict[str, Any]]) -> int:
    """XADD each row as a new stream entry with its original envelope (event_id included)."""
    for i in range(0, len(rows), BATCH):
        pipe = redis.pipeline(transaction=False)
        for r in rows[i:i + BATCH]:
            pipe.xadd(STREAM, dict(encode(r)), maxlen=STREAM_MAXLEN, approximate=True)  # type: ignore[arg-type]
        await pipe.execute()
    return len(rows)


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    version: str
    used_memory_bytes: int
    connected_clients: int


async def broker_info(broker: aioredis.Redis) -> BrokerInfo:
    info = _k(await broker.info())
    return BrokerInfo(
        version=_s(info.get("redis_version")),
        used_memory_bytes=int(info.get("used_memory") or 0),
        connected_clients=int(info.get("connected_clients") or 0),
    )
