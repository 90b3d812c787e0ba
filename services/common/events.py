"""The event envelope on the Redis Stream `switchboard:events` (SPEC §6).

In the stream each envelope member except `id` is one field and `data` is JSON; `decode` turns a
stream entry back into the envelope clients receive (with `id` = the stream id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from services.common.times import iso_any

STREAM = "switchboard:events"
STREAM_MAXLEN = 100_000
FIELDS = ("event_id", "type", "source", "ts", "trace_id", "actor", "data")


def encode(row: Mapping[str, Any]) -> dict[str, str]:
    return {
        "event_id": str(row["event_id"]),
        "type": row["type"],
        "source": row["source"],
        "ts": iso_any(row["ts"]),
        "trace_id": row["trace_id"],
        "actor": row["actor"],
        "data": orjson.dumps(row["data"]).decode(),
    }


def as_text(v: Any) -> str:
    """A stream id or field as str, whether the client decodes responses or not."""
    return v.decode() if isinstance(v, bytes) else str(v)


def xread_entries(reply: Any) -> list[tuple[Any, dict[Any, Any]]]:
    """(stream id, fields) of each entry of a one-stream XREAD reply, RESP2 (list) or RESP3 (dict) shaped."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return [e for wrapped in reply.values() for entries in wrapped for e in entries]
    return [e for _, entries in reply for e in entries]


def decode(stream_id: Any, fields: Mapping[Any, Any]) -> dict[str, Any]:
    f = {as_text(k): as_text(v) for k, v in fields.items()}
    return {
        "id": as_text(stream_id),
        "event_id": f.get("event_id", ""),
        "type": f.get("type", ""),
        "source": f.get("source", ""),
        "ts": f.get("ts", ""),
        "trace_id": f.get("trace_id", ""),
        "actor": f.get("actor", ""),
        "data": orjson.loads(f["data"]) if f.get("data") else {},
    }
