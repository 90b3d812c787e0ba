"""Domain functions of the system service: keyword-only, taking the caller's session, so a state
change and its outbox event always commit in the caller's one transaction.

The state kept here: maintenance mode (one row, the source of truth of the Redis key the gateway's
maintenance step reads), the pause-all record (what `system.pause_all` changed, so `resume_all`
restores exactly that) and, while no config service is deployed, the announcement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import context
from services.common.errors import InvalidArgument
from services.common.outbox import Outbox
from services.common.times import iso, parse_iso
from services.system.models import AnnouncementRow, MaintenanceRow, PauseAllRow, PausedItemRow, outbox

events = Outbox(outbox, source="system")

LEVELS = ("info", "warning", "critical")
MESSAGE_MAX = 500
REASON_MAX = 1000


# --- maintenance --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MaintenanceState:
    enabled: bool
    reason: str
    since: str
    actor: str
    version: int

    def redis_doc(self) -> dict[str, Any]:
        """What the gateway's maintenance step reads (gateway/pipeline/maintenance.py)."""
        return {"enabled": self.enabled, "reason": self.reason, "since": self.since,
                "actor": self.actor, "version": self.version}


def _state(row: MaintenanceRow) -> MaintenanceState:
    return MaintenanceState(row.enabled, row.reason, iso(row.since), row.actor, row.version)


async def get_maintenance(session: AsyncSession) -> MaintenanceState:
    row = await session.get(MaintenanceRow, 1)
    assert row is not None, "migration 0001 creates the maintenance row"
    return _state(row)


def check_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidArgument("reason is required (not blank)", reason="REASON_REQUIRED", field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidArgument(f"reason must be at most {REASON_MAX} characters", field="reason")
    return reason


async def set_maintenance(session: AsyncSession, *, enabled: bool, reason: str) -> tuple[MaintenanceState, bool]:
    """Enable (reason required; enabling again replaces it) or disable; returns (state, changed).
    An event on every change of state or reason; the row lock serialises racing calls."""
    if enabled:
        check_reason(reason)
    else:
        reason = ""
    row = await session.scalar(select(MaintenanceRow).where(MaintenanceRow.id == 1).with_for_update())
    assert row is not None
    if row.enabled == enabled and row.reason == reason:
        return _state(row), False
    if row.enabled != enabled or row.since is None:
        row.since = datetime.now(UTC)
    row.enabled = enabled
    row.reason = reason
    row.actor = context.current().actor
    row.version += 1
    await session.flush()
    await events.emit(session, "system.maintenance_changed", {"enabled": enabled, "reason": reason})
    return _state(row), True


# --- pause-all record ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PauseRecord:
    active: bool
    queues: list[str]
    workers: list[str]


async def get_pause_record(session: AsyncSession, *, for_update: bool = False) -> PauseRecord:
    stmt = select(PauseAllRow).where(PauseAllRow.id == 1)
    if for_update:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    assert row is not None, "migration 0001 creates the pause_all row"
    items = (await session.scalars(select(PausedItemRow).order_by(PausedItemRow.name))).all()
    return PauseRecord(
        active=row.active,
        queues=[i.name for i in items if i.kind == "queue"],
        workers=[i.name for i in items if i.kind == "worker"],
    )


async def record_paused(session: AsyncSession, *, queues: list[str], workers: list[str], reason: str) -> None:
    """Add what this pause-all changed to the record (a second call adds to it) and emit."""
    await session.execute(
        update(PauseAllRow).where(PauseAllRow.id == 1).values(active=True, reason=reason, since=datetime.now(UTC))
    )
    rows = [{"kind": "queue", "name": q} for q in queues] + [{"kind": "worker", "name": w} for w in workers]
    if rows:
        await session.execute(insert(PausedItemRow).values(rows).on_conflict_do_nothing())
    await events.emit(session, "system.paused_all", {"queues": queues, "workers": workers, "reason": reason})


async def forget_paused(session: AsyncSession, *, kind: str, names: list[str]) -> None:
    if names:
        await session.execute(delete(PausedItemRow).where(PausedItemRow.kind == kind, PausedItemRow.name.in_(names)))


async def clear_pause_record(session: AsyncSession, *, queues: list[str], workers: list[str]) -> None:
    await session.execute(update(PauseAllRow).where(PauseAllRow.id == 1).values(active=False, reason="", since=None))
    await session.execute(delete(PausedItemRow))
    await events.emit(session, "system.resumed_all", {"queues": queues, "workers": workers})


# --- announcement -------------------------------------------------------------------------------

def check_announcement(*, message: str, level: str, until: str, now: datetime) -> dict[str, Any] | None:
    """The value of `system.announcement` for an announce request (None clears the banner)."""
    if message == "":
        return None
    if len(message) > MESSAGE_MAX:
        raise InvalidArgument(f"message must be 1-{MESSAGE_MAX} characters, got {len(message)}", field="message")
    level = level or "info"
    if level not in LEVELS:
        raise InvalidArgument(f"level must be one of {', '.join(LEVELS)}, got {level!r}", field="level")
    ends = parse_iso(until, "until")
    if ends is not None and ends <= now:
        raise InvalidArgument("until must be in the future (or \"\" for no expiry)", field="until")
    return {"message": message, "level": level, "until": iso(ends) if ends else ""}


def shown(value: Any, *, now: datetime) -> dict[str, Any] | None:
    """The announcement as consoles show it: None once its `until` has passed."""
    if not isinstance(value, dict) or not value.get("message"):
        return None
    until = value.get("until") or ""
    if until:
        try:
            if datetime.fromisoformat(until) <= now:
                return None
        except ValueError:
            return None
    return value


async def get_announcement(session: AsyncSession) -> Any:
    row = await session.get(AnnouncementRow, 1)
    return row.value if row is not None else None


async def set_announcement(session: AsyncSession, *, value: dict[str, Any] | None) -> None:
    """Own-schema fallback of `config.set system.announcement` (no config service deployed)."""
    await session.execute(
        update(AnnouncementRow).where(AnnouncementRow.id == 1)
        .values(value=value, updated_at=datetime.now(UTC))
    )
    await events.emit(session, "system.announced", {"announcement": value})


async def announce_expired(session: AsyncSession, *, until: str) -> None:
    """`system.announcement_expired`: the event invalidates the SSOT snapshot, so a timed banner is
    gone within a second of its `until` (the flow makes sure one replica emits it, once)."""
    await events.emit(session, "system.announcement_expired", {"until": until})
