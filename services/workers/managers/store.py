"""Domain functions of the managers and schedules: keyword-only, on the caller's session, so each
change and its outbox event commit in one transaction.

Leader writes are **fenced**: `fenced()` updates the manager's row only while the stored `fence`
is not newer than the caller's token, and takes that row's lock for the rest of the transaction —
so a replica that lost its lease (a newer leader has claimed the row with a larger token) has
every write refused (`StaleLeader`), and its transaction rolls back whole.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import AlreadyExists, FailedPrecondition, NotFound
from services.common.outbox import Outbox
from services.workers.managers import config as cfg
from services.workers.managers import ticks
from services.workers.managers.models import PAUSED, RUNNING, STOPPED, ManagerRow, ScheduleRow, TickRow
from services.workers.models import outbox

events = Outbox(outbox, source="workers")
M = cast(Table, ManagerRow.__table__)
S = cast(Table, ScheduleRow.__table__)
K = cast(Table, TickRow.__table__)


class StaleLeader(Exception):
    """A write carried a fencing token older than the one stored: this replica leads no more."""


# --- managers: actions -------------------------------------------------------------------------


async def get_manager(session: AsyncSession, *, name: str, lock: bool = False) -> ManagerRow:
    cfg.check_name(name)
    stmt = select(ManagerRow).where(ManagerRow.name == name)
    row = await session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:  # the migration creates the four; a missing one is recreated as running
        await session.execute(insert(M).values(name=name).on_conflict_do_nothing())
        row = await session.scalar(stmt.with_for_update() if lock else stmt)
    assert row is not None
    return row


async def list_managers(session: AsyncSession) -> list[ManagerRow]:
    return [await get_manager(session, name=n) for n in sorted(cfg.NAMES)]


_TRANSITIONS = {  # action -> (target state, states it refuses)
    "start": (RUNNING, ()),
    "stop": (STOPPED, ()),
    "pause": (PAUSED, (STOPPED,)),
    "resume": (RUNNING, (STOPPED,)),
}
_EVENT = {"start": "manager.started", "stop": "manager.stopped", "pause": "manager.paused",
          "resume": "manager.resumed"}


async def transition(session: AsyncSession, *, name: str, action: str) -> ManagerRow:
    target, refused = _TRANSITIONS[action]
    row = await get_manager(session, name=name, lock=True)
    if row.state in refused:
        raise FailedPrecondition(f"manager {name} is {row.state}: start it first", reason="MANAGER_STOPPED",
                                 field="name")
    if row.state != target:
        previous, row.state = row.state, target
        row.updated_at = datetime.now(UTC)
        if target == STOPPED:
            row.run_requested = False
        if target == RUNNING:
            row.next_run = None  # a pass soon after it runs again
        await events.emit(session, _EVENT[action], {"name": name, "state": target, "previous_state": previous})
    return row


async def request_run(session: AsyncSession, *, name: str) -> ManagerRow:
    row = await get_manager(session, name=name, lock=True)
    if row.state == STOPPED:
        raise FailedPrecondition(f"manager {name} is stopped: start it first", reason="MANAGER_STOPPED",
                                 field="name")
    row.run_requested = True
    await events.emit(session, "manager.run_requested", {"name": name})
    return row


async def configure(session: AsyncSession, *, name: str, given: dict[str, Any]) -> ManagerRow:
    cfg.check_name(name)
    changes = cfg.validate(name, given)
    row = await get_manager(session, name=name, lock=True)
    if changes:
        row.config = {**row.config, **changes}
        row.updated_at = datetime.now(UTC)
        if "interval_s" in changes and row.next_run is not None:  # the new interval counts from the last pass
            row.next_run = min(row.next_run, (row.last_run or row.updated_at) + timedelta(seconds=changes["interval_s"]))
        await events.emit(session, "manager.configured",
                          {"name": name, "changed": changes, "config": cfg.effective(name, row.config)})
    return row


# --- managers: the leader's fenced writes ------------------------------------------------------


async def claim(session: AsyncSession, *, name: str, token: int, leader: str) -> None:
    """A replica that took the lease stores its token (refused when a newer one is stored)."""
    won = await session.scalar(
        update(ManagerRow).where(ManagerRow.name == name, ManagerRow.fence < token)
        .values(fence=token).returning(ManagerRow.name))
    if won is None:
        raise StaleLeader(name)
    await events.emit(session, "manager.leader_changed", {"name": name, "leader": leader, "token": token})


async def fenced(session: AsyncSession, *, name: str, token: int, **values: Any) -> None:
    """Check the caller still leads `name` (and lock its row for this transaction); set `values`."""
    ok = await session.scalar(
        update(ManagerRow).where(ManagerRow.name == name, ManagerRow.fence <= token)
        .values(fence=token, **values).returning(ManagerRow.name))
    if ok is None:
        raise StaleLeader(name)


async def begin_pass(session: AsyncSession, *, name: str, token: int) -> None:
    """A pass starts: a run_now request it serves is taken (a later one asks for another pass)."""
    await fenced(session, name=name, token=token, run_requested=False)


async def end_pass(session: AsyncSession, *, name: str, token: int, error: str, interval_s: int) -> None:
    now = datetime.now(UTC)
    await fenced(session, name=name, token=token, last_run=now, last_error=error[:2000],
                 next_run=now + timedelta(seconds=interval_s), passes=ManagerRow.passes + 1)


# --- schedules: actions --------------------------------------------------------------------------


async def get_schedule(session: AsyncSession, *, name: str, lock: bool = False) -> ScheduleRow:
    ticks.check_name(name)
    stmt = select(ScheduleRow).where(ScheduleRow.name == name)
    row = await session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"no schedule {name!r}", reason="SCHEDULE_NOT_FOUND", field="name")
    return row


async def list_schedules(session: AsyncSession) -> list[ScheduleRow]:
    return list((await session.scalars(select(ScheduleRow).order_by(ScheduleRow.name))).all())


async def next_runs(session: AsyncSession, *, limit: int = 20) -> list[ScheduleRow]:
    return list((await session.scalars(
        select(ScheduleRow).where(ScheduleRow.paused.is_(False), ScheduleRow.next_run.is_not(None))
        .order_by(ScheduleRow.next_run, ScheduleRow.name).limit(limit))).all())


def timing(row: ScheduleRow) -> ticks.Timing:
    return ticks.Timing(row.cron, row.interval_s, row.timezone, row.anchor)


def schedule_data(row: ScheduleRow) -> dict[str, Any]:
    return {"name": row.name, "task": row.task, "queue": row.queue, "cron": row.cron,
            "interval_s": row.interval_s, "timezone": row.timezone, "paused": row.paused}


async def create_schedule(session: AsyncSession, *, name: str, task: str, kwargs: dict[str, Any], queue: str,
                          cron: str, interval_s: int, timezone: str, paused: bool) -> ScheduleRow:
    """Fields are checked by the caller (flows: the queue's existence needs the queue service)."""
    now = datetime.now(UTC)
    row = ScheduleRow(name=name, task=task, kwargs=kwargs, queue=queue, cron=cron, interval_s=interval_s,
                      timezone=timezone, paused=paused, anchor=now, created_at=now, updated_at=now)
    row.next_run = None if paused else timing(row).next_after(now)
    done = await session.execute(insert(S).values(
        name=name, task=task, kwargs=kwargs, queue=queue, cron=cron, interval_s=interval_s, timezone=timezone,
        paused=paused, anchor=now, next_run=row.next_run, created_at=now, updated_at=now,
    ).on_conflict_do_nothing().returning(S.c.name))
    if done.scalar() is None:
        raise AlreadyExists(f"a schedule named {name!r} exists", reason="SCHEDULE_EXISTS", field="name")
    await events.emit(session, "schedule.created", schedule_data(row))
    return await get_schedule(session, name=name)


async def update_schedule(session: AsyncSession, *, name: str, changes: dict[str, Any]) -> ScheduleRow:
    row = await get_schedule(session, name=name, lock=True)
    for key, value in changes.items():
        setattr(row, key, value)
    now = datetime.now(UTC)
    row.anchor = row.updated_at = now
    row.next_run = None if row.paused else timing(row).next_after(now)
    await events.emit(session, "schedule.updated", {**schedule_data(row), "changed": sorted(changes)})
    return row


async def delete_schedule(session: AsyncSession, *, name: str) -> ScheduleRow:
    row = await get_schedule(session, name=name, lock=True)
    await session.execute(delete(ScheduleRow).where(ScheduleRow.name == name))
    await events.emit(session, "schedule.deleted", schedule_data(row))
    return row


async def set_paused(session: AsyncSession, *, name: str, paused: bool) -> ScheduleRow:
    row = await get_schedule(session, name=name, lock=True)
    if row.paused != paused:
        now = datetime.now(UTC)
        row.paused, row.updated_at = paused, now
        if paused:
            row.next_run = None
        else:  # nothing runs for the paused time: ticks count from now
            row.anchor = now
            row.next_run = timing(row).next_after(now)
        await events.emit(session, "schedule.paused" if paused else "schedule.resumed", schedule_data(row))
    return row


async def triggered(session: AsyncSession, *, name: str, job_id: str) -> ScheduleRow:
    row = await get_schedule(session, name=name, lock=True)
    row.last_run = datetime.now(UTC)
    await events.emit(session, "schedule.triggered", {"name": name, "job_id": job_id})
    return row


# --- schedules: the scheduler's fenced writes --------------------------------------------------------


async def record_due_ticks(session: AsyncSession, *, token: int, now: datetime) -> int:
    """For each due schedule that is not paused: record its latest due tick (once: the primary
    key) with the token, move `next_run` past now. Returns how many ticks were recorded."""
    await fenced(session, name="scheduler", token=token)
    rows = (await session.scalars(
        select(ScheduleRow).where(ScheduleRow.paused.is_(False), ScheduleRow.next_run <= now)
        .order_by(ScheduleRow.name).with_for_update())).all()
    recorded = 0
    for row in rows:
        latest, nxt = timing(row).due(now)
        row.next_run = nxt
        if latest is None:
            continue
        new = await session.scalar(insert(K).values(schedule=row.name, tick=latest, fence=token)
                                   .on_conflict_do_nothing().returning(K.c.tick))
        if new is not None:
            row.last_run = now
            recorded += 1
    return recorded


async def unsubmitted_ticks(session: AsyncSession, *, limit: int = 100) -> list[tuple[TickRow, ScheduleRow]]:
    """Recorded ticks whose job the jobs service has not confirmed yet (oldest first): this
    leader's, or a former leader's that died between recording and submitting."""
    rows = (await session.execute(
        select(TickRow, ScheduleRow).join(ScheduleRow, ScheduleRow.name == TickRow.schedule)
        .where(TickRow.job_id.is_(None)).order_by(TickRow.recorded_at, TickRow.schedule).limit(limit))).all()
    return [(t, s) for t, s in rows]


async def tick_submitted(session: AsyncSession, *, token: int, schedule: str, tick: datetime, job_id: str,
                         error: str = "") -> bool:
    """Store the job of a tick (`""` when the jobs service refused it for good); `schedule.fired`
    once per tick. False when someone stored it first."""
    await fenced(session, name="scheduler", token=token)
    done = await session.scalar(
        update(TickRow).where(TickRow.schedule == schedule, TickRow.tick == tick, TickRow.job_id.is_(None))
        .values(job_id=job_id).returning(TickRow.schedule))
    if done is not None:
        data = {"name": schedule, "tick": tick.isoformat().replace("+00:00", "Z"), "job_id": job_id}
        await events.emit(session, "schedule.fired" if job_id else "schedule.fire_failed",
                          {**data, **({"error": error} if error else {})})
    return done is not None


async def purge_ticks(session: AsyncSession, *, token: int, older_than: datetime, limit: int) -> int:
    """Submitted ticks recorded before `older_than`, at most `limit` (retention)."""
    await fenced(session, name="retention", token=token)
    old = select(K.c.schedule, K.c.tick).where(K.c.recorded_at < older_than, K.c.job_id.is_not(None)).limit(limit)
    res = await session.execute(delete(K).where(tuple_(K.c.schedule, K.c.tick).in_(old)))
    return cast(CursorResult, res).rowcount or 0
