"""Orchestration of the config actions, in the order side effects must happen: the new version and
its `config.changed` outbox event commit together, then the live hash every component reads is
written (services/common/live.py). The hash is rebuilt from the database at start-up and every
`RESYNC_S`, so a write lost to a Redis outage heals by itself."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from services.common import live
from services.common.errors import NotFound
from services.common.kit import Runtime
from services.common.paging import decode_cursor, encode_cursor
from services.config import service
from services.config.registry import check_key
from services.config.service import Change, Entry, ImportChange, Incoming

log = logging.getLogger(__name__)
RESYNC_S = 30.0


class ConfigFlows:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.sessions = rt.sessions
        self.reads = rt.reads  # queries only (db.read_sessionmaker)
        self.redis = rt.redis

    # --- queries ----------------------------------------------------------------------------
    async def get(self, *, key: str) -> Entry:
        async with self.reads() as s:
            return await service.get(s, key=key)

    async def list_entries(self, *, prefix: str, page_size: int, page_token: str) -> tuple[list[Entry], str]:
        size = service.page_size(page_size)
        after = decode_cursor(page_token, "k") if page_token else ""
        async with self.reads() as s:
            rows = await service.list_current(s, prefix=prefix, size=size + 1, after=after)
        more = len(rows) > size
        rows = rows[:size]
        return rows, encode_cursor(rows[-1].key, "k") if more else ""

    async def export(self, *, prefix: str) -> list[Entry]:
        async with self.reads() as s:
            return await service.list_current(s, prefix=prefix, size=0)

    async def history(self, *, key: str, page_size: int, page_token: str) -> tuple[list[Entry], str]:
        size = service.page_size(page_size)
        before = decode_cursor(page_token, "v") if page_token else ""
        if before and not before.isdigit():
            before = decode_cursor("", "v")  # malformed: the same 400
        async with self.reads() as s:
            rows = await service.history(s, key=key, size=size + 1, before=int(before or 0))
        more = len(rows) > size
        rows = rows[:size]
        return rows, encode_cursor(rows[-1].version, "v") if more else ""

    async def diff(self, *, key: str, from_version: int, to_version: int) -> tuple[Entry, Entry]:
        check_key(key)
        async with self.reads() as s:
            a = await service.version_of(s, key=key, version=from_version, field="from_version")
            if to_version:
                b = await service.version_of(s, key=key, version=to_version, field="to_version")
            else:
                cur = await service.current(s, key=key)
                if cur is None:
                    raise NotFound(f"config key {key!r} has no current entry (to_version 0 = current)",
                                   reason="KEY_NOT_FOUND", field="to_version")
                b = cur
        return a, b

    async def summary(self) -> tuple[int, int]:
        async with self.reads() as s:
            return await service.config_version(s), await service.count_current(s)

    async def section(self) -> tuple[int, list[Entry]]:
        async with self.reads() as s:
            return await service.config_version(s), await service.list_current(s, prefix="", size=0)

    # --- changes ----------------------------------------------------------------------------
    async def set(self, *, key: str, value: Any, comment: str) -> Entry:
        async with self.sessions.begin() as s:
            entry = await service.set_value(s, key=key, value=value, comment=comment)
        await self._publish([Change(key, entry.version, value)])
        return entry

    async def rollback(self, *, key: str, version: int, comment: str) -> Entry:
        async with self.sessions.begin() as s:
            entry = await service.rollback(s, key=key, version=version, comment=comment)
        await self._publish([Change(key, entry.version, entry.value)])
        return entry

    async def delete(self, *, key: str) -> int:
        async with self.sessions.begin() as s:
            deleted = await service.delete(s, key=key)
        await self._publish([Change(key, deleted, None, deleted=True)])
        return deleted

    async def import_(self, *, entries: list[Incoming], dry_run: bool) -> list[ImportChange]:
        if dry_run:
            async with self.reads() as s:
                return await service.import_entries(s, entries=entries, dry_run=True)
        async with self.sessions.begin() as s:
            changes = await service.import_entries(s, entries=entries, dry_run=False)
        values = {e.key: e.value for e in entries}
        await self._publish([Change(c.key, c.to_version, values[c.key]) for c in changes if c.to_version])
        return changes

    # --- the live hash ----------------------------------------------------------------------
    async def _publish(self, changes: list[Change]) -> None:
        for c in changes:
            try:
                await live.store(self.redis, c.key, c.version, c.value, deleted=c.deleted)
            except Exception as exc:  # noqa: BLE001 - committed already; the resync repairs the hash
                log.warning("live config hash not written: %s", exc, extra={"key": c.key})

    async def resync(self) -> int:
        async with self.reads() as s:
            changes = await service.live_state(s)
        written = 0
        for c in changes:
            written += await live.store(self.redis, c.key, c.version, c.value, deleted=c.deleted)
        return written

    async def resync_forever(self) -> None:
        """Background task: the hash follows the database, whatever was lost on the way."""
        while True:
            try:
                await self.resync()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried at the next period
                log.warning("live config resync failed: %s", exc)
            await asyncio.sleep(RESYNC_S)
