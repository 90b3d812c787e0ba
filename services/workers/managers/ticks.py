"""Schedule fields and tick arithmetic (payloads/workers.md "Schedules").

A cron schedule's ticks are the instants its five crontab fields name, read in its timezone
(croniter); an interval schedule's are `anchor + k × interval_s`, k ≥ 1, where the anchor is when it
was created, updated or resumed. `due(…)` gives the latest tick at or before now and the first
after it: missed ticks coalesce into that one run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from services.common.errors import InvalidArgument

NAME = re.compile(r"^[a-z0-9_.-]{1,128}$")
INTERVAL_MAX = 31_536_000
JOB_TASKS = ("echo", "fail", "report", "sleep")  # SPEC §7; the jobs service checks kwargs


def check_name(name: str) -> str:
    if not NAME.fullmatch(name or ""):
        raise InvalidArgument("name must match ^[a-z0-9_.-]{1,128}$", field="name")
    return name


def check_task(task: str) -> str:
    if task not in JOB_TASKS:
        raise InvalidArgument(f"task must be one of {', '.join(JOB_TASKS)}, got {task[:40]!r}", field="task")
    return task


def check_timezone(tz: str) -> ZoneInfo:
    try:
        if not tz or len(tz) > 64 or tz.startswith(("/", ".")):
            raise ValueError(tz)
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"timezone must be an IANA time zone name (e.g. Europe/Berlin), got {tz[:64]!r}",
                              field="timezone") from None


def check_cron(expr: str) -> str:
    fields = expr.split()
    if len(fields) != 5 or len(expr) > 200 or not croniter.is_valid(" ".join(fields)):
        raise InvalidArgument(
            f"cron must be five crontab fields (minute hour day-of-month month day-of-week), got {expr[:60]!r}",
            field="cron")
    return " ".join(fields)


def check_interval(interval_s: int) -> int:
    if not 1 <= interval_s <= INTERVAL_MAX:
        raise InvalidArgument(f"interval_s must be an integer from 1 to {INTERVAL_MAX} seconds, got {interval_s}",
                              field="interval_s")
    return interval_s


def check_timing(cron: str, interval_s: int) -> tuple[str, int]:
    """Exactly one of cron and interval_s (else 400 naming cron)."""
    if cron and interval_s:
        raise InvalidArgument("give either cron or interval_s, not both", field="cron")
    if not cron and not interval_s:
        raise InvalidArgument("give cron or interval_s", field="cron")
    return (check_cron(cron), 0) if cron else ("", check_interval(interval_s))


@dataclass(frozen=True, slots=True)
class Timing:
    cron: str
    interval_s: int
    timezone: str
    anchor: datetime

    def due(self, now: datetime) -> tuple[datetime | None, datetime]:
        """(the latest tick at or before `now`, or None; the first tick after `now`)."""
        if self.cron:
            local = now.astimezone(ZoneInfo(self.timezone))
            nxt = croniter(self.cron, local).get_next(datetime)
            prev = croniter(self.cron, local + timedelta(microseconds=1)).get_prev(datetime)
            return prev.astimezone(UTC), nxt.astimezone(UTC)
        step = timedelta(seconds=self.interval_s)
        k = int((now - self.anchor) // step)
        latest = self.anchor + k * step if k >= 1 else None
        return latest, self.anchor + (max(k, 0) + 1) * step

    def next_after(self, now: datetime) -> datetime:
        return self.due(now)[1]
