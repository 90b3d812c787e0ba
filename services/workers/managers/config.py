"""Manager configs (payloads/workers.md "Config"): the members each manager has, their defaults
and ranges, and the validation of `manager.configure` (an unknown member or a value out of range →
400 naming `config.<member>`). The database stores only what was configured; answers merge it over
the defaults, so a default changed in code applies to managers never configured."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from services.common.errors import InvalidArgument, NotFound

NAMES = ("scheduler", "autoscaler", "reaper", "retention")
POOL_MAX = 64


@dataclass(frozen=True)
class Int:
    default: int
    low: int
    high: int


INTERVAL_HIGH = 86400
MEMBERS: dict[str, dict[str, Any]] = {
    "scheduler": {"interval_s": Int(1, 1, INTERVAL_HIGH)},
    "autoscaler": {"interval_s": Int(10, 1, INTERVAL_HIGH), "cooldown_s": Int(30, 0, 3600), "rules": []},
    "reaper": {"interval_s": Int(5, 1, INTERVAL_HIGH), "job_timeout_s": Int(3600, 1, 604800),
               "missed_heartbeats": Int(3, 2, 100)},
    "retention": {"interval_s": Int(3600, 1, INTERVAL_HIGH), "jobs_days": Int(30, 1, 3650),
                  "outbox_days": Int(7, 1, 3650), "batch_size": Int(1000, 1, 100000)},
}


def check_name(name: str) -> str:
    if name not in MEMBERS:
        raise NotFound(f"no manager {name[:40]!r}: one of {', '.join(NAMES)}", reason="MANAGER_NOT_FOUND",
                       field="name")
    return name


def defaults(name: str) -> dict[str, Any]:
    return {k: (v.default if isinstance(v, Int) else list(v)) for k, v in MEMBERS[name].items()}


def effective(name: str, stored: dict[str, Any]) -> dict[str, Any]:
    return {**defaults(name), **{k: v for k, v in stored.items() if k in MEMBERS[name]}}


def _int(value: Any, field: str, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value):
        raise InvalidArgument(f"{field} must be an integer, got {str(value)[:40]!r}", field=field)
    n = int(value)
    if n < low or (high is not None and n > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise InvalidArgument(f"{field} must be an integer {span}, got {n}", field=field)
    return n


def _rules(value: Any) -> list[dict[str, Any]]:
    field = "config.rules"
    if not isinstance(value, list):
        raise InvalidArgument(f"{field} must be a list of {{queue_name, min, max, jobs_per_process}}", field=field)
    out = []
    seen: set[str] = set()
    for i, rule in enumerate(value):
        at = f"{field}[{i}]"
        if not isinstance(rule, dict):
            raise InvalidArgument(f"{at} must be an object", field=field)
        unknown = sorted(set(rule) - {"queue_name", "min", "max", "jobs_per_process"})
        if unknown:
            raise InvalidArgument(f"{at} has no member {unknown[0]!r}", field=field)
        queue = rule.get("queue_name")
        if not isinstance(queue, str) or not queue or len(queue) > 200:
            raise InvalidArgument(f"{at}.queue_name must be a queue name", field=field)
        if queue in seen:
            raise InvalidArgument(f"{at}.queue_name {queue!r} has a rule already", field=field)
        seen.add(queue)
        low = _int(rule.get("min", 1), f"{at}.min", 1, POOL_MAX)
        high = _int(rule.get("max", low), f"{at}.max", low, POOL_MAX)
        per = _int(rule.get("jobs_per_process", 1), f"{at}.jobs_per_process", 1, None)
        out.append({"queue_name": queue, "min": low, "max": high, "jobs_per_process": per})
    return out


def validate(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The members of `given`, checked and normalised (ints as ints); raises on the first bad one.
    Field names of errors are `config.<member>` (rules: `config.rules`)."""
    members = MEMBERS[name]
    out: dict[str, Any] = {}
    for key in sorted(given):
        if key not in members:
            raise InvalidArgument(f"manager {name} has no config member {key[:40]!r} "
                                  f"(it has {', '.join(sorted(members))})", field=f"config.{key}")
        spec = members[key]
        if isinstance(spec, Int):
            out[key] = _int(given[key], f"config.{key}", spec.low, spec.high)
        else:
            try:
                out[key] = _rules(given[key])
            except InvalidArgument as exc:
                raise InvalidArgument(str(exc), field="config.rules") from None
    return out
