"""Live configuration (SPEC §2 "Settings", payloads/config.md "Live application").

The registered runtime-tunable keys override the environment's defaults while the config service
holds a current entry for them. Every replica of every component keeps a `Live`:

- the config service maintains the Redis hash `LIVE_HASH` (field = key, value =
  `<version>|S|<json>` for a current entry or `<version>|D|` once that version was deleted), written
  right after each commit through `store()` — a Lua compare-and-set by version, so two writers that
  race never leave an older value behind — and rebuilt from its database at start-up;
- `Live.run()` (one background task per process) notes the tail of `switchboard:events`, loads the
  hash, then XREADs every later event (every replica reads every event, no consumer group; after
  a batch it waits `LINGER_S` so a busy stream wakes it a few times a second, not per event); on
  `config.changed` for a registered key it re-reads that key's field. The event can overtake the
  hash write (the outbox relay publishes right after the commit too), so a field older than the
  event is read again for up to `CATCH_UP_S` before the newest value seen is applied;
- `Live.settings` is the process's `Settings` with the current overrides applied, and `Live.view`
  a stand-in for `Settings` whose every attribute reads `Live.settings` at the moment of access —
  components that were handed the view (the gateway's rate limiter, breakers, SSOT cache,
  dispatcher) apply a change on their next request without being told;
- a key without a current entry (never set, or deleted) falls back to the process's environment
  value (`env_default`); a stored value always wins over the environment.

`log.level.<component>` is applied to the process's root logger by the `Live` of that component.
Other components read further keys with `live.value(key)` (the logs service
`logs.retention_days`, the SSOT `system.announcement`) and may `on_change(callback)`.

After applying a change announced by an event, a process acknowledges it in the Redis hash
`ACK_HASH` (field `<component>|<host>:<pid>`, value `<version> <unix time> <key>`; the hash expires
a day after the last change), so what each replica applied, and when, is observable from outside
(`python -m bench.config_propagation`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from services.common.events import STREAM, as_text, xread_entries
from services.common.heartbeat import instance
from services.common.settings import Settings

log = logging.getLogger(__name__)

LIVE_HASH = "switchboard:config:live"
ACK_HASH = "switchboard:live:applied"
ACK_TTL_S = 86400
EVENT = "config.changed"
CATCH_UP_S = 1.0  # how long an event may wait for the hash write it overtook
# Below redis-py's 5 s socket timeout: a longer block on a quiet stream ends in "Timeout reading"
# and a reconnect instead of an empty reply.
BLOCK_MS = 1000
BATCH = 500
# After a batch that was not full, wait this long before reading on: every process follows the
# whole stream for the rare `config.changed`, and reading each event as it lands woke every
# process once per event (at one command every few ms, a fair share of each one's CPU). Changes
# still apply well within payloads/config.md's 1 s.
LINGER_S = 0.1

# The components that have a `log.level.<component>` key (payloads/config.md).
COMPONENTS = ("gateway", "jobs", "queue", "workers", "system", "config", "logs", "job-worker")
LOG_LEVELS = ("debug", "info", "warning", "error")

# Registered keys that override a field of Settings.
SETTING_FIELDS: dict[str, str] = {
    "ratelimit.per_min": "rate_limit_per_min",
    "ratelimit.high_risk_per_min": "rate_limit_high_risk_per_min",
    "breaker.fail_max": "breaker_fail_max",
    "breaker.reset_s": "breaker_reset_s",
    "ssot.ttl_s": "ssot_ttl_s",
    "rpc.timeout_ms": "rpc_timeout_ms",
}
REGISTERED_KEYS: tuple[str, ...] = tuple(sorted(
    [*SETTING_FIELDS, *(f"log.level.{c}" for c in COMPONENTS), "logs.retention_days", "system.announcement"]
))
_REGISTERED = frozenset(REGISTERED_KEYS)


def is_registered(key: str) -> bool:
    return key in _REGISTERED


def env_default(key: str, settings: Settings) -> Any:
    """The environment's value of a registered key as this process read it at start-up."""
    if key in SETTING_FIELDS:
        return getattr(settings, SETTING_FIELDS[key])
    if key.startswith("log.level."):
        return str(settings.log_level).lower()
    if key == "logs.retention_days":
        days = getattr(settings, "log_retention_days", None)
        if days is None:
            raw = os.environ.get("SWITCHBOARD_LOG_RETENTION_DAYS", "")
            days = int(raw) if raw.strip().isdigit() else 7
        return days
    if key == "system.announcement":
        return None
    raise KeyError(key)


# --- the hash the config service maintains ----------------------------------------------------

# Rank of a field: version * 2, + 1 for a delete of that version (a delete outranks the set of the
# same version, a later version outranks both). Write only when the new rank is higher.
_STORE = """
local function rank(v)
  if not v then return -1 end
  local n = tonumber(string.match(v, '^(%d+)'))
  if not n then return -1 end
  if string.find(v, '^%d+|D|') then return n * 2 + 1 end
  return n * 2
end
if rank(ARGV[2]) > rank(redis.call('HGET', KEYS[1], ARGV[1])) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


def encode_field(version: int, value: Any, *, deleted: bool = False) -> str:
    return f"{version}|D|" if deleted else f"{version}|S|{orjson.dumps(value).decode()}"


@dataclass(frozen=True, slots=True)
class Stored:
    version: int
    deleted: bool
    value: Any = None


def decode_field(raw: bytes | str | None) -> Stored | None:
    if raw is None:
        return None
    s = raw.decode() if isinstance(raw, bytes) else raw
    version, kind, body = s.split("|", 2)
    if kind == "D":
        return Stored(int(version), True)
    return Stored(int(version), False, orjson.loads(body))


async def store(redis: Any, key: str, version: int, value: Any = None, *, deleted: bool = False) -> bool:
    """Record a committed change in the live hash (the config service, after its commit)."""
    return bool(await redis.eval(_STORE, 1, LIVE_HASH, key, encode_field(version, value, deleted=deleted)))


# --- what every process runs ------------------------------------------------------------------


class LiveSettings:
    """A stand-in for `Settings` that reads the live values at each attribute access."""

    __slots__ = ("_live",)

    def __init__(self, live: Live) -> None:
        object.__setattr__(self, "_live", live)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live.settings, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only")

    def __repr__(self) -> str:
        return f"LiveSettings({self._live.settings!r})"


def _valid(key: str, value: Any) -> bool:
    """A defensive check of a stored value (the config service validated it against its schema)."""
    if key in SETTING_FIELDS or key == "logs.retention_days":
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if key.startswith("log.level."):
        return value in LOG_LEVELS
    return True


class Live:
    def __init__(self, settings: Settings, redis: Any, *, component: str) -> None:
        self.base = settings
        self.redis = redis
        self.component = component
        self.stored: dict[str, Stored] = {}  # registered keys with a current entry
        self.settings: Settings = settings
        self.view = LiveSettings(self)
        self.loaded = asyncio.Event()
        # key -> (version, monotonic time) of the last change applied (make bench, tests)
        self.applied: dict[str, tuple[int, float]] = {}
        self._listeners: list[Callable[[str, Any], Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._last_id = "0-0"

    # --- reading ----------------------------------------------------------------------------
    def value(self, key: str) -> Any:
        """The current value of a registered key: the stored one, else the environment's."""
        s = self.stored.get(key)
        return s.value if s is not None and not s.deleted else env_default(key, self.base)

    def on_change(self, callback: Callable[[str, Any], Any]) -> None:
        """`callback(key, value)` after a registered key changed in this process."""
        self._listeners.append(callback)

    # --- applying ---------------------------------------------------------------------------
    def _apply(self, key: str, entry: Stored | None) -> None:
        if entry is not None and not entry.deleted and not _valid(key, entry.value):
            log.warning("ignoring invalid live value", extra={"key": key, "version": entry.version})
            entry = None
        before = self.value(key)
        if entry is None or entry.deleted:
            self.stored.pop(key, None)
        else:
            self.stored[key] = entry
        after = self.value(key)
        self.applied[key] = (entry.version if entry else 0, time.monotonic())
        if key in SETTING_FIELDS:
            self.settings = self.base.with_(**{
                field: self.value(k) for k, field in SETTING_FIELDS.items() if k in self.stored
            })
        if key == f"log.level.{self.component}" and after != before:
            from services.common import jsonlog

            jsonlog.set_level(str(after))
        if after != before:
            log.info("config applied", extra={"key": key, "version": self.applied[key][0]})
            for cb in self._listeners:
                try:
                    cb(key, after)
                except Exception:
                    log.exception("live config listener failed", extra={"key": key})

    async def load(self) -> None:
        """Apply every registered key from the hash (start-up, and after a lost connection)."""
        raw = await self.redis.hgetall(LIVE_HASH)
        found: dict[str, Stored | None] = {}
        for k, v in raw.items():
            key = k.decode() if isinstance(k, bytes) else k
            if is_registered(key):
                try:
                    found[key] = decode_field(v)
                except (ValueError, orjson.JSONDecodeError):
                    log.warning("malformed live config field", extra={"key": key})
        for key in set(self.stored) | set(found):
            self._apply(key, found.get(key))

    async def refresh(self, key: str, version: int, op: str) -> None:
        """Apply `key` once the hash shows the change an event announced (or after CATCH_UP_S)."""
        deadline = time.monotonic() + CATCH_UP_S
        while True:
            entry = decode_field(await self.redis.hget(LIVE_HASH, key))
            if entry is not None and (
                entry.version > version or (entry.version == version and (entry.deleted or op != "delete"))
            ):
                break
            if time.monotonic() >= deadline:
                log.warning("live config hash behind its event", extra={"key": key, "version": version})
                break
            await asyncio.sleep(0.01)
        self._apply(key, entry)
        await self._ack(key)

    async def _ack(self, key: str) -> None:
        """Record in `ACK_HASH` the version of `key` this process just applied (best effort)."""
        version, now = self.applied[key][0], time.time()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(ACK_HASH, f"{self.component}|{instance()}", f"{version} {now:.6f} {key}")
                pipe.expire(ACK_HASH, ACK_TTL_S)
                await pipe.execute()
        except Exception as exc:  # noqa: BLE001 - an ack lost to Redis must not undo the change
            log.debug("live config ack failed: %s", exc)

    async def _handle(self, fields: dict[Any, Any]) -> None:
        type_ = fields.get(b"type", fields.get("type"))
        if type_ not in (EVENT, EVENT.encode()):
            return
        raw = fields.get(b"data", fields.get("data")) or b"{}"
        data = orjson.loads(raw)
        key = data.get("key")
        if isinstance(key, str) and is_registered(key):
            await self.refresh(key, int(data.get("version") or 0), str(data.get("op") or ""))

    async def _follow(self) -> None:
        newest = await self.redis.xrevrange(STREAM, count=1)
        self._last_id = as_text(newest[0][0]) if newest else "0-0"
        await self.load()  # after noting the tail: a change committed meanwhile is read again
        self.loaded.set()
        while True:
            reply = await self.redis.xread({STREAM: self._last_id}, count=BATCH, block=BLOCK_MS)
            entries = xread_entries(reply)
            for raw_id, fields in entries:
                self._last_id = as_text(raw_id)
                await self._handle(fields)
            if 0 < len(entries) < BATCH:
                await asyncio.sleep(LINGER_S)

    async def run(self) -> None:
        """Follow the event stream until cancelled (or stopped); Redis failures are retried."""
        while not self._closed:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: keep the last values, retry
                log.warning("live config follower failed, retrying: %s", exc)
                await asyncio.sleep(0.5)

    async def start(self, wait_s: float = 2.0) -> None:
        """Start `run()` as a task and wait (bounded) for the first load, so a stored value
        applies from the first request on."""
        self._closed = False
        self._task = asyncio.create_task(self.run(), name=f"live-config-{self.component}")
        try:
            await asyncio.wait_for(self.loaded.wait(), wait_s)
        except TimeoutError:
            log.warning("live config not loaded at start-up; environment defaults apply meanwhile")

    async def stop(self) -> None:
        """Bounded: redis-py can turn a cancellation that lands in its read into a timeout, which
        `run` retries; `_closed` then ends it within one block time."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=BLOCK_MS / 1000 + 2)
            self._task = None


def start_thread(settings: Settings, component: str) -> threading.Thread:
    """`Live.run()` on a daemon thread with its own event loop and Redis client, for a process
    without an asyncio loop (a Celery job worker: call it in each pool child, e.g. from
    `worker_process_init`, since threads do not survive a fork)."""

    def main() -> None:
        import redis.asyncio as aioredis

        async def follow() -> None:
            await Live(settings, aioredis.Redis.from_url(settings.redis_url), component=component).run()

        asyncio.run(follow())

    thread = threading.Thread(target=main, name=f"live-config-{component}", daemon=True)
    thread.start()
    return thread
