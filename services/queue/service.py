"""Domain functions of the queue service: keyword-only, taking the caller's session, so a
state change and its outbox event always commit in the caller's one transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.common.outbox import Outbox
from services.queue.models import QueueRow, outbox

QUEUE_NAME_PATTERN = r"[a-z0-9][a-z0-9_.-]{0,63}"
_QUEUE_NAME = re.compile(QUEUE_NAME_PATTERN)
DESCRIPTION_MAX = 1000

events = Outbox(outbox, source="queue")


def check_queue_name(queue_name: str) -> str:
    """The name itself, or INVALID_ARGUMENT naming the field. The name becomes a Redis key and a
    Celery queue, hence the narrow alphabet."""
    # fullmatch, not `$`: `$` would accept a trailing newline.
    if not _QUEUE_NAME.fullmatch(queue_name):
        shown = queue_name if len(queue_name) <= 80 else queue_name[:80] + "…"
        what = "is required" if not queue_name else f"must match ^{QUEUE_NAME_PATTERN}$, got {shown!r}"
        raise InvalidArgument(f"queue_name {what}", reason="INVALID_QUEUE_NAME", field="queue_name")
    return queue_name


def check_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise InvalidArgument(
            f"description must be at most {DESCRIPTION_MAX} characters, got {len(description)}",
            reason="DESCRIPTION_TOO_LONG",
            field="description",
        )
    return description


async def list_queues(session: AsyncSession) -> list[QueueRow]:
    return list((await session.scalars(select(QueueRow).order_by(QueueRow.queue_name))).all())


async def get_queue(session: AsyncSession, *, queue_name: str, for_update: bool = False) -> QueueRow:
    check_queue_name(queue_name)
    stmt = select(QueueRow).where(QueueRow.queue_name == queue_name)
    if for_update:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise NotFound(f"queue {queue_name!r} not found", reason="QUEUE_NOT_FOUND", field="queue_name")
    return row


async def create_queue(session: AsyncSession, *, queue_name: str, description: str) -> QueueRow:
    check_queue_name(queue_name)
    check_description(description)
    # ON CONFLICT instead of catching IntegrityError: two racing creates get one row and one
    # ALREADY_EXISTS, and the transaction stays usable.
    stmt = (
        insert(QueueRow)
        .values(queue_name=queue_name, description=description, paused=False)
        .on_conflict_do_nothing(index_elements=[QueueRow.queue_name])
        .returning(QueueRow)
    )
    row = await session.scalar(stmt)
    if row is None:
        raise AlreadyExists(
            f"queue {queue_name!r} already exists", reason="QUEUE_EXISTS", field="queue_name"
        )
    await events.emit(session, "queue.created", {"queue_name": queue_name, "description": description})
    return row


async def set_paused(session: AsyncSession, *, queue_name: str, paused: bool) -> tuple[QueueRow, bool]:
    """Pause or resume; returns (row, changed). Setting the state it already has is a successful
    no-op without an event. The row lock serialises racing calls so exactly one emits."""
    row = await get_queue(session, queue_name=queue_name, for_update=True)
    if row.paused == paused:
        return row, False
    row.paused = paused
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await events.emit(session, "queue.paused" if paused else "queue.resumed", {"queue_name": queue_name})
    return row, True


async def record_cleared(session: AsyncSession, *, queue_name: str, cleared: int, purged: int) -> None:
    await events.emit(
        session, "queue.cleared", {"queue_name": queue_name, "cleared": cleared, "purged": purged}
    )


MAX_RATE_PER_S = 10_000.0
DEFAULT_QUEUE = "default"


async def set_rate_limit(session: AsyncSession, *, queue_name: str, rate_limit_per_s: float) -> QueueRow:
    if not 0 <= rate_limit_per_s <= MAX_RATE_PER_S:  # NaN fails the comparison too
        raise InvalidArgument(f"rate_limit_per_s must be between 0 and {MAX_RATE_PER_S:g}",
                              field="rate_limit_per_s")
    row = await get_queue(session, queue_name=queue_name, for_update=True)
    row.rate_limit_per_s = rate_limit_per_s
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await events.emit(session, "queue.rate_limit_changed",
                      {"queue_name": queue_name, "rate_limit_per_s": rate_limit_per_s})
    return row


def check_deletable(queue_name: str) -> None:
    if queue_name == DEFAULT_QUEUE:
        raise FailedPrecondition("the default queue cannot be deleted", field="queue_name")


async def delete_queue(session: AsyncSession, *, queue_name: str, cancelled: int) -> QueueRow:
    check_deletable(queue_name)
    row = await get_queue(session, queue_name=queue_name, for_update=True)
    await session.execute(delete(QueueRow).where(QueueRow.queue_name == queue_name))
    await events.emit(session, "queue.deleted", {"queue_name": queue_name, "cancelled": cancelled})
    return row
