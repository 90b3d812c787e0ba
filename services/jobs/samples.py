"""The sample job types (sleep, echo, fail, report — SPEC §7) and the validation of their kwargs.

`validate_kwargs` is what the jobs service checks at submit time, so a bad job is refused with
INVALID_ARGUMENT instead of failing later on a worker; the task wrapper (services/jobs/tasks.py)
runs the same functions on the worker. Nothing here imports Celery.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from services.common.errors import InvalidArgument

# --- sample job types ------------------------------------------------------------------------


class JobFailed(Exception):
    """What the `fail` sample raises: the message is the job's error."""


def sleep(*, seconds: float) -> dict[str, Any]:
    time.sleep(seconds)
    return {"slept": seconds}


def echo(*, message: str) -> dict[str, Any]:
    logging.getLogger("services.jobs.samples").info(message)  # the task's own output (docs/logs.md)
    return {"message": message}


def fail(*, message: str) -> None:
    raise JobFailed(message)


def report(*, rows: int) -> dict[str, Any]:
    """CPU-bound: statistics over a deterministic pseudo-random series of `rows` values."""
    x, total, sq, lo, hi = 12345, 0.0, 0.0, math.inf, -math.inf
    digest = hashlib.sha256()
    for _ in range(rows):
        x = (1103515245 * x + 12345) % 2**31  # an LCG, so the report is reproducible
        v = x / 2**31 * 100
        total += v
        sq += v * v
        lo, hi = min(lo, v), max(hi, v)
        digest.update(x.to_bytes(4, "little"))
    mean = total / rows
    return {
        "rows": rows,
        "mean": round(mean, 6),
        "stddev": round(math.sqrt(max(sq / rows - mean * mean, 0.0)), 6),
        "min": round(lo, 6),
        "max": round(hi, 6),
        "digest": digest.hexdigest()[:16],
    }


# --- kwargs validation -----------------------------------------------------------------------


def _number(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidArgument(f"kwargs.{name} must be a number", field=f"kwargs.{name}")
    if not lo <= value <= hi:
        raise InvalidArgument(f"kwargs.{name} must be between {lo:g} and {hi:g}", field=f"kwargs.{name}")
    return value


def _integer(name: str, value: Any, lo: int, hi: int) -> int:
    # Struct carries every number as a double: 5.0 is the integer 5, 5.5 is not.
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise InvalidArgument(f"kwargs.{name} must be an integer", field=f"kwargs.{name}")
    if not lo <= value <= hi:
        raise InvalidArgument(f"kwargs.{name} must be between {lo} and {hi}", field=f"kwargs.{name}")
    return int(value)


def _string(name: str, value: Any, max_len: int = 10_000) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"kwargs.{name} must be a string", field=f"kwargs.{name}")
    if len(value) > max_len:
        raise InvalidArgument(f"kwargs.{name} must be at most {max_len} characters", field=f"kwargs.{name}")
    return value


# task name -> (function, {kwarg: validator})
SAMPLES: dict[str, tuple[Callable[..., Any], dict[str, Callable[[str, Any], Any]]]] = {
    "sleep": (sleep, {"seconds": lambda n, v: _number(n, v, 0, 3600)}),
    "echo": (echo, {"message": _string}),
    "fail": (fail, {"message": _string}),
    "report": (report, {"rows": lambda n, v: _integer(n, v, 1, 1_000_000)}),
}


def validate_kwargs(task: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The kwargs normalised for `task`, or InvalidArgument naming the field at fault."""
    if task not in SAMPLES:
        known = ", ".join(sorted(SAMPLES))
        raise InvalidArgument(f"unknown task {task!r}; known tasks: {known}", field="task")
    _, spec = SAMPLES[task]
    for name in kwargs:
        if name not in spec:
            raise InvalidArgument(
                f"kwargs.{name} is not an argument of task {task!r}", field=f"kwargs.{name}"
            )
    out = {}
    for name, check in spec.items():
        if name not in kwargs:
            raise InvalidArgument(f"kwargs.{name} is required for task {task!r}", field=f"kwargs.{name}")
        out[name] = check(name, kwargs[name])
    return out
