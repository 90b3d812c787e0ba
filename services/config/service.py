"""Domain functions of the config service: keyword-only, taking the caller's session, so a change
and its `config.changed` outbox event always commit in the caller's one transaction.

Every write first locks the one `state` row (and bumps `config_version` by the changes it makes):
writes are serialised, so versions are handed out without races and `config_version` counts every
committed change exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import context
from services.common.errors import InvalidArgument, NotFound
from services.common.outbox import Outbox
from services.config.models import keys, outbox, state, versions
from services.config.registry import check_key, check_value

events = Outbox(outbox, source="config")
EVENT = "config.changed"
PAGE_MAX = 1000
PAGE_DEFAULT = 50


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    value: Any
    version: int
    updated_at: datetime | None
    updated_by: str
    comment: str


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change, for the live hash (services/common/live.py) after the commit."""

    key: str
    version: int
    value: Any
    deleted: bool = False


def _entry(row: Any) -> Entry:
    m = row._mapping
    return Entry(m["key"], m["value"], m["version"], m["updated_at"], m["updated_by"], m["comment"])


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def page_size(value: int) -> int:
    if value < 0 or value > PAGE_MAX:
        raise InvalidArgument(f"page_size must be 1..{PAGE_MAX} (0 = {PAGE_DEFAULT})", field="page_size")
    return value or PAGE_DEFAULT


def _current_stmt() -> Any:
    return (
        select(versions)
        .join(keys, and_(keys.c.key == versions.c.key, keys.c.current_version == versions.c.version))
    )


def _starts_with(prefix: str) -> Any:
    return func.left(versions.c.key, len(prefix)) == prefix


# --- queries ----------------------------------------------------------------------------------


async def current(session: AsyncSession, *, key: str) -> Entry | None:
    row = (await session.execute(_current_stmt().where(versions.c.key == key))).first()
    return _entry(row) if row else None


async def get(session: AsyncSession, *, key: str) -> Entry:
    check_key(key)
    entry = await current(session, key=key)
    if entry is None:
        raise NotFound(f"config key {key!r} has no current entry", reason="KEY_NOT_FOUND", field="key")
    return entry


async def list_current(session: AsyncSession, *, prefix: str, size: int, after: str = "") -> list[Entry]:
    stmt = _current_stmt().order_by(versions.c.key)
    if prefix:
        stmt = stmt.where(_starts_with(prefix))
    if after:
        stmt = stmt.where(versions.c.key > after)
    if size:
        stmt = stmt.limit(size)
    return [_entry(r) for r in (await session.execute(stmt)).all()]


async def version_of(session: AsyncSession, *, key: str, version: int, field: str = "version") -> Entry:
    if version < 1:
        raise InvalidArgument(f"{field} must be a version number (1 or more)", field=field)
    row = (await session.execute(
        select(versions).where(versions.c.key == key, versions.c.version == version))).first()
    if row is None:
        raise NotFound(f"config key {key!r} has no version {version}", reason="VERSION_NOT_FOUND", field=field)
    return _entry(row)


async def history(session: AsyncSession, *, key: str, size: int, before: int = 0) -> list[Entry]:
    check_key(key)
    if await session.scalar(select(keys.c.last_version).where(keys.c.key == key)) is None:
        raise NotFound(f"config key {key!r} never had a version", reason="KEY_NOT_FOUND", field="key")
    stmt = select(versions).where(versions.c.key == key).order_by(versions.c.version.desc()).limit(size)
    if before:
        stmt = stmt.where(versions.c.version < before)
    return [_entry(r) for r in (await session.execute(stmt)).all()]


async def config_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(state.c.config_version).where(state.c.id == 1)) or 0)


async def count_current(session: AsyncSession) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(keys).where(keys.c.current_version.is_not(None))) or 0)


async def live_state(session: AsyncSession) -> list[Change]:
    """What the live hash should hold: every key's current value, or its last version deleted."""
    out: list[Change] = []
    rows = (await session.execute(
        select(keys.c.key, keys.c.current_version, keys.c.last_version, versions.c.value)
        .select_from(keys.outerjoin(versions, and_(versions.c.key == keys.c.key,
                                                   versions.c.version == keys.c.current_version)))
    )).all()
    for key, cur, last, value in rows:
        out.append(Change(key, cur, value) if cur is not None else Change(key, last, None, deleted=True))
    return out


# --- changes ----------------------------------------------------------------------------------


async def _lock(session: AsyncSession) -> None:
    await session.execute(select(state.c.id).where(state.c.id == 1).with_for_update())


async def _bump(session: AsyncSession, n: int) -> None:
    if n:
        await session.execute(update(state).where(state.c.id == 1)
                              .values(config_version=state.c.config_version + n))


async def _write(session: AsyncSession, *, key: str, value: Any, comment: str, op: str) -> Entry:
    """A new version of `key` holding `value` and its event (the caller holds the lock)."""
    last = await session.scalar(select(keys.c.last_version).where(keys.c.key == key))
    version = (last or 0) + 1
    now = datetime.now(UTC)
    actor = context.current().actor
    await session.execute(versions.insert().values(
        key=key, version=version, value=JSON.NULL if value is None else value,
        updated_at=now, updated_by=actor, comment=comment))
    await session.execute(
        insert(keys).values(key=key, current_version=version, last_version=version, updated_at=now)
        .on_conflict_do_update(index_elements=[keys.c.key],
                               set_={"current_version": version, "last_version": version, "updated_at": now}))
    await events.emit(session, EVENT, {"key": key, "version": version, "op": op})
    return Entry(key, value, version, now, actor, comment)


async def set_value(session: AsyncSession, *, key: str, value: Any, comment: str) -> Entry:
    check_key(key)
    check_value(key, value)
    await _lock(session)
    entry = await _write(session, key=key, value=value, comment=comment, op="set")
    await _bump(session, 1)
    return entry


async def rollback(session: AsyncSession, *, key: str, version: int, comment: str) -> Entry:
    check_key(key)
    await _lock(session)
    old = await version_of(session, key=key, version=version)
    # The schema may have tightened since: a registered key's old value is checked again.
    check_value(key, old.value)
    entry = await _write(session, key=key, value=old.value, comment=comment or f"rollback to version {version}",
                         op="rollback")
    await _bump(session, 1)
    return entry


async def delete(session: AsyncSession, *, key: str) -> int:
    """Remove the key's current entry; returns the version that was current."""
    check_key(key)
    await _lock(session)
    cur = await session.scalar(select(keys.c.current_version).where(keys.c.key == key))
    if cur is None:
        raise NotFound(f"config key {key!r} has no current entry", reason="KEY_NOT_FOUND", field="key")
    await session.execute(update(keys).where(keys.c.key == key)
                          .values(current_version=None, updated_at=datetime.now(UTC)))
    await events.emit(session, EVENT, {"key": key, "version": cur, "op": "delete"})
    await _bump(session, 1)
    return int(cur)


@dataclass(frozen=True, slots=True)
class Incoming:
    key: str
    value: Any
    comment: str


@dataclass(frozen=True, slots=True)
class ImportChange:
    key: str
    op: str  # create | update | unchanged
    from_version: int
    to_version: int


def check_import(entries: list[Incoming]) -> None:
    """Every entry before anything is stored: key pattern, a key twice, the schema."""
    seen: set[str] = set()
    for i, e in enumerate(entries):
        check_key(e.key, field=f"entries[{i}].key")
        if e.key in seen:
            raise InvalidArgument(f"entries[{i}].key {e.key!r} appears twice", reason="DUPLICATE_KEY",
                                  field=f"entries[{i}].key")
        seen.add(e.key)
        check_value(e.key, e.value, prefix=f"entries[{i}].")


async def import_entries(session: AsyncSession, *, entries: list[Incoming], dry_run: bool) -> list[ImportChange]:
    check_import(entries)
    await _lock(session)
    out: list[ImportChange] = []
    for e in entries:
        cur = await current(session, key=e.key)
        if cur is not None and canonical(cur.value) == canonical(e.value):
            out.append(ImportChange(e.key, "unchanged", cur.version, 0))
            continue
        op, from_version = ("update", cur.version) if cur is not None else ("create", 0)
        to_version = 0
        if not dry_run:
            to_version = (await _write(session, key=e.key, value=e.value, comment=e.comment, op="import")).version
        out.append(ImportChange(e.key, op, from_version, to_version))
    if not dry_run:
        await _bump(session, sum(1 for c in out if c.op != "unchanged"))
    return out


# --- diff -------------------------------------------------------------------------------------


def diff(a: Any, b: Any, path: str = "value") -> list[dict[str, Any]]:
    """`[{path, op, from, to}]` sorted by path: objects member by member, anything else whole."""
    out: list[dict[str, Any]] = []

    def walk(x: Any, y: Any, p: str) -> None:
        if isinstance(x, dict) and isinstance(y, dict):
            for k in set(x) | set(y):
                q = f"{p}.{k}"
                if k not in x:
                    out.append({"path": q, "op": "add", "from": None, "to": y[k]})
                elif k not in y:
                    out.append({"path": q, "op": "remove", "from": x[k], "to": None})
                else:
                    walk(x[k], y[k], q)
        elif canonical(x) != canonical(y):
            out.append({"path": p, "op": "replace", "from": x, "to": y})

    walk(a, b, path)
    return sorted(out, key=lambda c: c["path"])
