"""Time on the wire: ISO 8601 in UTC with a `Z`, one formatter and one parser for every component."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.common.errors import InvalidArgument


def iso(ts: datetime | None, *, timespec: str = "auto") -> str:
    """`2026-12-02T18:30:00.123456Z`; "" for None (proto strings have no null)."""
    if ts is None:
        return ""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    return ts.isoformat(timespec=timespec).replace("+00:00", "Z")


def iso_any(value: Any) -> str:
    return iso(value) if isinstance(value, datetime) else str(value)


def now_iso(timespec: str = "milliseconds") -> str:
    return iso(datetime.now(UTC), timespec=timespec)


def parse_iso(value: str, field: str) -> datetime | None:
    """A caller's ISO 8601 time with a zone; "" is None; anything else is INVALID_ARGUMENT naming `field`."""
    if not value:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(f"{field} must be an ISO 8601 time", field=field) from None
    if ts.tzinfo is None:
        raise InvalidArgument(f"{field} must carry a time zone (e.g. Z)", field=field)
    return ts
