"""Domain functions of the workers service: keyword-only, taking the caller's session, so a
registry change and its outbox event always commit in the caller's one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.outbox import Outbox
from services.workers.models import OFFLINE, ONLINE, QUIET, STATUSES, WorkerRow, outbox

events = Outbox(outbox, source="workers")

MISSED_HEARTBEATS = 3
HOSTNAME_MAX = 255
T = cast(Table, WorkerRow.__table__)


@dataclass(frozen=True, slots=True)
class Beat:
    """A `worker-online` or `worker-heartbeat` event, reduced to what the registry keeps."""

    hostname: str
    active: int
    processed: int
    freq: float


@dataclass(frozen=True, slots=True)
class Live:
    """What a worker answered about itself (stats, active_queues)."""

    hostname: str
    pool_size: int
    concurrency: int
    queues: list[str]


def check_status(status: str) -> str:
    if status and status not in STATUSES:
        raise InvalidArgument(
            f"status must be \"\" or one of {', '.join(STATUSES)}, got {status[:40]!r}", field="status"
        )
    return status


def check_destination(destination: str) -> str:
    if len(destination) > HOSTNAME_MAX:
        raise InvalidArgument(
            f"destination must be a worker hostname of at most {HOSTNAME_MAX} characters", field="destination"
        )
    return destination


# What a listing shows: plain rows (attribute access like WorkerRow), no ORM identity map — a Core
# select of 200 workers costs a third of loading them as objects (bench/workers_scale.py).
LISTED = (T.c.hostname, T.c.status, T.c.queues, T.c.pool_size, T.c.concurrency, T.c.active, T.c.processed,
          T.c.last_heartbeat)


async def list_workers(session: AsyncSession, *, status: str = "", queue: str = "") -> list[Any]:
    check_status(status)
    stmt = select(*LISTED).order_by(T.c.hostname)
    if status:
        stmt = stmt.where(T.c.status == status)
    if queue:
        stmt = stmt.where(T.c.queues.any(queue))
    return list((await session.execute(stmt)).all())


async def addressed(session: AsyncSession, *, destination: str) -> list[str]:
    """The hostnames a `destination` names: that one (404 naming `destination` when the registry
    does not know it), or every worker that is not offline when ""."""
    check_destination(destination)
    if destination:
        found = await session.scalar(select(WorkerRow.hostname).where(WorkerRow.hostname == destination))
        if found is None:
            raise NotFound(f"no worker {destination!r} in the registry", reason="WORKER_NOT_FOUND", field="destination")
        return [destination]
    rows = await session.scalars(
        select(WorkerRow.hostname).where(WorkerRow.status != OFFLINE).order_by(WorkerRow.hostname)
    )
    return list(rows.all())


async def apply_beats(session: AsyncSession, beats: Sequence[Beat]) -> list[str]:
    """Upsert the workers of these events as alive (`quiet` while quiet); emit `worker.online` for
    each that was unknown or offline. Returns those hostnames (their live details are asked next)."""
    if not beats:
        return []
    latest = {b.hostname: b for b in beats}
    hosts = sorted(latest)
    before = dict((await session.execute(
        select(WorkerRow.hostname, WorkerRow.status).where(WorkerRow.hostname.in_(hosts))
        .order_by(WorkerRow.hostname).with_for_update()
    )).tuples().all())
    now = datetime.now(UTC)
    stmt = insert(T).values([
        {"hostname": h, "status": ONLINE, "quiet": False, "queues": [], "active": latest[h].active,
         "processed": latest[h].processed, "freq": latest[h].freq, "last_heartbeat": now, "first_seen": now}
        for h in hosts
    ])
    stmt = stmt.on_conflict_do_update(
        index_elements=[T.c.hostname],
        set_={
            "status": case((T.c.quiet, QUIET), else_=ONLINE),
            "active": stmt.excluded.active,
            "processed": stmt.excluded.processed,
            "freq": stmt.excluded.freq,
            "last_heartbeat": stmt.excluded.last_heartbeat,
        },
    )
    await session.execute(stmt)
    came = [h for h in hosts if before.get(h) in (None, OFFLINE)]
    for h in came:
        await events.emit(session, "worker.online", {"hostname": h, "status": ONLINE})
    return came


async def mark_offline(session: AsyncSession, *, hostnames: Sequence[str], reason: str) -> list[str]:
    """Alive workers among `hostnames` → offline, one `worker.offline` each. Returns them."""
    if not hostnames:
        return []
    gone = (await session.scalars(
        update(WorkerRow).where(WorkerRow.hostname.in_(list(hostnames)), WorkerRow.status != OFFLINE)
        .values(status=OFFLINE, active=0).returning(WorkerRow.hostname)
    )).all()
    for h in sorted(gone):
        await events.emit(session, "worker.offline", {"hostname": h, "reason": reason})
    return sorted(gone)


async def reap_silent(session: AsyncSession, *, missed: int = MISSED_HEARTBEATS) -> list[str]:
    """Workers silent for `missed` heartbeat intervals → offline (the registry's own reaper; the
    reaper manager may call it with its configured `missed_heartbeats`)."""
    silent = (await session.scalars(
        select(WorkerRow.hostname).where(
            WorkerRow.status != OFFLINE,
            WorkerRow.last_heartbeat < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, WorkerRow.freq * missed),
        ).with_for_update(skip_locked=True)
    )).all()
    return await mark_offline(session, hostnames=list(silent), reason=f"missed {missed} heartbeats")


async def apply_live(session: AsyncSession, lives: Sequence[Live]) -> None:
    for live in lives:
        await session.execute(
            update(WorkerRow).where(WorkerRow.hostname == live.hostname)
            .values(pool_size=live.pool_size, concurrency=live.concurrency, queues=sorted(live.queues))
        )


async def set_quiet(session: AsyncSession, *, hostnames: Sequence[str], quiet: bool) -> list[str]:
    """Quiet / unquiet these workers in the registry; an event for each that changed."""
    if not hostnames:
        return []
    changed = (await session.scalars(
        update(WorkerRow).where(WorkerRow.hostname.in_(list(hostnames)), WorkerRow.quiet.is_not(quiet))
        .values(quiet=quiet, status=case((WorkerRow.status == OFFLINE, OFFLINE), else_=QUIET if quiet else ONLINE))
        .returning(WorkerRow.hostname)
    )).all()
    for h in sorted(changed):
        await events.emit(session, "worker.quieted" if quiet else "worker.unquieted", {"hostname": h})
    return sorted(changed)


async def record(session: AsyncSession, type_: str, data: dict[str, Any]) -> None:
    await events.emit(session, type_, data)


async def forget_offline(session: AsyncSession, *, destination: str) -> list[str]:
    check_destination(destination)
    if destination:
        row = await session.scalar(select(WorkerRow).where(WorkerRow.hostname == destination).with_for_update())
        if row is None:
            raise NotFound(f"no worker {destination!r} in the registry", reason="WORKER_NOT_FOUND", field="destination")
        if row.status != OFFLINE:
            raise FailedPrecondition(
                f"worker {destination!r} is {row.status}: only an offline worker can be forgotten",
                reason="WORKER_NOT_OFFLINE", field="destination",
            )
    stmt = delete(WorkerRow).where(WorkerRow.status == OFFLINE).returning(WorkerRow.hostname)
    if destination:
        stmt = stmt.where(WorkerRow.hostname == destination)
    forgotten = sorted((await session.scalars(stmt)).all())
    for h in forgotten:
        await events.emit(session, "worker.forgotten", {"hostname": h})
    return forgotten
