"""Structured logs (docs/logs.md): one JSON object a line on stdout, and the same record shipped to
the Redis Stream `switchboard:logs` without blocking (services/common/logship.py).

A record is `{ts, level, component, logger, message, trace_id, job_id, extra}`: the trace id of the
call being served (`services.common.context`, `""` outside any call), the job being run on a job
worker (`context.current_job_id()`), and every other structured member of the log call
(`log.info("...", extra={...})`) in `extra`. A message over 64 KiB is cut and ends in `…[truncated]`.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from services.common import context, logship

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "trace_id", "job_id", "color_message", "taskName",
}
LEVELS = ("debug", "info", "warning", "error", "critical")

_shipper: logship.LogShipper | None = None


def level_name(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def record_of(record: logging.LogRecord, component: str, formatter: logging.Formatter) -> dict[str, Any]:
    """The contract's record (without the stream id) of one logging record."""
    ctx = context._current.get()  # noqa: SLF001 - no fresh trace id for records outside a call
    trace_id = getattr(record, "trace_id", None) or (ctx.trace_id if ctx is not None else "")
    job_id = getattr(record, "job_id", None) or context.current_job_id()
    extra: dict[str, Any] = {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}
    if ctx is not None and ctx.actor != "system":
        extra.setdefault("actor", ctx.actor)
    if record.exc_info:
        extra["exc"] = formatter.formatException(record.exc_info)
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is the caller's bug, not a lost record
        message = f"{record.msg!r} % {record.args!r}"
    return {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "level": level_name(record.levelno),
        "component": component,
        "logger": record.name,
        "message": logship.cut(message),
        "trace_id": str(trace_id),
        "job_id": str(job_id),
        "extra": extra,
    }


def _extra_json(extra: dict[str, Any]) -> str:
    text = _dumps(extra)
    if len(text) > logship.EXTRA_MAX:
        text = _dumps({"truncated": True, "preview": logship.cut(text, logship.EXTRA_MAX // 2)})
    return text


class JsonFormatter(logging.Formatter):
    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        rec = record_of(record, self.component, self)
        record._sb_record = rec  # noqa: SLF001 - built once, shipped by ShipHandler as well
        return _dumps(rec)


class ShipHandler(logging.Handler):
    """Hands each record to the shipper; never raises, never prints (a failure is a drop)."""

    def __init__(self, shipper: logship.LogShipper, component: str) -> None:
        super().__init__()
        self.shipper = shipper
        self.component = component
        self._fmt = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            rec = getattr(record, "_sb_record", None) or record_of(record, self.component, self._fmt)
            fields = {k: (v if isinstance(v, str) else _extra_json(v)) for k, v in rec.items()}
            self.shipper.offer(fields)
        except Exception:  # noqa: BLE001
            with self.shipper._lock:  # noqa: SLF001
                self.shipper.dropped += 1


def setup(component: str, level: str = "INFO", redis_url: str | None = None) -> None:
    """Console JSON lines on stdout and, given `redis_url`, shipping to `switchboard:logs`."""
    global _shipper
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(JsonFormatter(component))
    handlers: list[logging.Handler] = [console]
    if redis_url:
        if _shipper is not None:
            _shipper.close(timeout=0.2)
        _shipper = logship.start(redis_url, component)
        handlers.append(ShipHandler(_shipper, component))
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    for noisy in ("sqlalchemy.engine", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def set_level(level: str) -> None:
    """Apply a component's level at runtime (`log.level.<component>`, services/common/live.py)."""
    logging.getLogger().setLevel(level.upper())


def shipper() -> logship.LogShipper | None:
    return _shipper
