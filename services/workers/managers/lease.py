"""A manager's leadership: a Redis lease with a fencing token (docs/managers.md).

- **acquire**: one Lua script — when the lease key is free, INCR the manager's fence counter and
  SET the lease to `<replica>|<token>` with PX `lease_ms`. The token only ever grows, so a newer
  leader always holds a larger one.
- **renew**: every `lease_ms / 3`, PEXPIRE the key if it still holds our value (Lua, compare first).
- **valid()**: the holder counts its lease from *before* it sent the acquire/renew, minus a safety
  margin for clock drift, so it stops acting before the key can expire in Redis and another replica
  can take it. A stalled process (GC, SIGSTOP) may still wake up believing it leads: the fencing
  token settles that — every leader write checks `fence <= token` in the database (store.fenced).
- **release**: DEL if the key still holds our value (a stopped manager, a drained replica).

Both keys of one manager share a hash tag (`{mgr:<name>}`), so the scripts work on Redis Cluster.
"""

from __future__ import annotations

import os
import socket
import time

import redis.asyncio as aioredis

# The lease stops counting as held at this fraction of its length (drift and latency margin).
SAFETY = 0.8

_ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then return false end
local token = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_FLOOR = """
if tonumber(redis.call('get', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end
return 1
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def replica_id() -> str:
    """This process as `manager.get` names a leader: `<hostname>:<pid>`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_key(manager: str) -> str:
    return f"switchboard:{{mgr:{manager}}}:lease"


def fence_key(manager: str) -> str:
    return f"switchboard:{{mgr:{manager}}}:fence"


async def leader_of(redis: aioredis.Redis, manager: str) -> str:
    """The replica holding the manager's lease now; "" when none."""
    raw = await redis.get(lease_key(manager))
    if not raw:
        return ""
    return (raw.decode() if isinstance(raw, bytes) else str(raw)).rsplit("|", 1)[0]


class Lease:
    def __init__(self, redis: aioredis.Redis, manager: str, *, lease_ms: int, replica: str | None = None) -> None:
        self.redis = redis
        self.manager = manager
        self.lease_ms = lease_ms
        self.replica = replica or replica_id()
        self.token = 0
        self._valid_until = 0.0

    @property
    def held(self) -> bool:
        return self.token > 0

    def valid(self) -> bool:
        """Whether this replica may still act as the leader (see the module docstring)."""
        return self.held and time.monotonic() < self._valid_until

    @property
    def _value(self) -> str:
        return f"{self.replica}|{self.token}"

    def _counted_from(self, sent: float) -> None:
        self._valid_until = sent + self.lease_ms / 1000 * SAFETY

    async def acquire(self) -> bool:
        sent = time.monotonic()
        token = await self.redis.eval(_ACQUIRE, 2, lease_key(self.manager), fence_key(self.manager),
                                      self.replica, self.lease_ms)
        if not token:
            return False
        self.token = int(token)
        self._counted_from(sent)
        return True

    async def renew(self) -> bool:
        """Extend the lease; False (and no longer held) when it was lost."""
        if not self.held:
            return False
        sent = time.monotonic()
        try:
            ok = await self.redis.eval(_RENEW, 1, lease_key(self.manager), self._value, self.lease_ms)
        except Exception:  # noqa: BLE001 - Redis away: keep the lease until it lapses, then stop
            return self.valid()
        if not ok:
            self.drop()
            return False
        self._counted_from(sent)
        return True

    async def release(self) -> None:
        if self.held:
            try:
                await self.redis.eval(_RELEASE, 1, lease_key(self.manager), self._value)
            finally:
                self.drop()

    async def refused(self, stored: int) -> None:
        """The database holds a newer token than ours (e.g. Redis lost its counter): give the lease
        back and move the counter past `stored`, so the next holder's token is accepted."""
        await self.redis.eval(_FLOOR, 1, fence_key(self.manager), stored)
        await self.release()

    def drop(self) -> None:
        self.token = 0
        self._valid_until = 0.0
