"""The registered runtime-tunable keys and their JSON Schemas (SPEC §2 "Settings",
payloads/config.md "Registered keys"), key rules, and the field paths of schema failures.

Which keys exist and how each process applies them is services/common/live.py (every component
needs that); what a value may be is decided here, by the config service only.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from services.common.errors import InvalidArgument
from services.common.live import COMPONENTS, LOG_LEVELS, REGISTERED_KEYS, env_default
from services.common.settings import Settings

KEY_PATTERN = r"[a-z0-9_.-]{1,128}"
_KEY = re.compile(KEY_PATTERN)


def _int(lo: int, hi: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": lo, "maximum": hi}


_ANNOUNCEMENT = {
    "oneOf": [
        {"type": "null"},
        {
            "type": "object",
            "properties": {
                "message": {"type": "string", "minLength": 1, "maxLength": 500},
                "level": {"enum": ["info", "warning", "critical"]},
                "until": {"anyOf": [{"const": ""}, {"type": "string", "format": "date-time"}]},
            },
            "required": ["message", "level"],
            "additionalProperties": False,
        },
    ]
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "ratelimit.per_min": _int(1, 100000),
    "ratelimit.high_risk_per_min": _int(1, 100000),
    "breaker.fail_max": _int(1, 1000),
    "breaker.reset_s": _int(1, 3600),
    "ssot.ttl_s": _int(1, 3600),
    "rpc.timeout_ms": _int(100, 600000),
    **{f"log.level.{c}": {"enum": list(LOG_LEVELS)} for c in COMPONENTS},
    "logs.retention_days": _int(1, 3650),
    "system.announcement": _ANNOUNCEMENT,
}
assert sorted(SCHEMAS) == list(REGISTERED_KEYS)

_FORMATS = FormatChecker([])


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 date-time with a zone (jsonschema's own checker needs an extra package)."""
    if not isinstance(value, str):
        return True
    if "T" not in value.upper():
        raise ValueError("not a date-time")
    ts = datetime.fromisoformat(value.upper())
    if ts.tzinfo is None:
        raise ValueError("a date-time needs a zone")
    return True

_VALIDATORS = {k: Draft202012Validator(s, format_checker=_FORMATS) for k, s in SCHEMAS.items()}


def registered(settings: Settings) -> list[dict[str, Any]]:
    """Every registered key with its schema and this process's environment default, by key."""
    return [{"key": k, "schema": SCHEMAS[k], "default": env_default(k, settings)} for k in REGISTERED_KEYS]


def check_key(key: str, field: str = "key") -> str:
    """The key itself, or INVALID_ARGUMENT naming `field`: the pattern, and `log.level.<component>`
    only for a known component."""
    if not _KEY.fullmatch(key):
        shown = key if len(key) <= 80 else key[:80] + "…"
        what = "is required" if not key else f"must match ^{KEY_PATTERN}$, got {shown!r}"
        raise InvalidArgument(f"{field} {what}", reason="INVALID_KEY", field=field)
    if key.startswith("log.level.") and key not in SCHEMAS:
        raise InvalidArgument(
            f"{field} {key!r}: log.level.<component> takes one of {', '.join(COMPONENTS)}",
            reason="UNKNOWN_COMPONENT", field=field,
        )
    return key


def path_of(parts: Any, base: str = "value") -> str:
    out = base
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _items(err: ValidationError) -> list[tuple[str, str]]:
    """(path, message) items of one jsonschema error: a missing required member and a member the
    schema does not allow are named at their own path."""
    here = list(err.absolute_path)
    inst = err.instance
    if err.validator == "required" and isinstance(inst, dict):
        return [(path_of([*here, m]), f"{m!r} is required") for m in err.validator_value if m not in inst]
    if err.validator == "additionalProperties" and isinstance(inst, dict):
        allowed = set(err.schema.get("properties", {}))
        return [(path_of([*here, m]), f"{m!r} is not allowed") for m in inst if m not in allowed]
    if err.validator in ("oneOf", "anyOf") and err.context:
        # The best-matching branch explains the failure better than "is not valid under any".
        branches: dict[int, list[ValidationError]] = {}
        for sub in err.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        shallow = ("type", "const", "enum")
        deep = [b for b in branches.values() if not all(e.validator in shallow for e in b)]
        if not deep:  # no branch fits the value's kind: say which would
            return [(path_of(here), " or ".join(e.message for b in branches.values() for e in b))]
        return [item for sub in min(deep, key=len) for item in _items(sub)]
    return [(path_of(here), err.message)]


def errors_of(key: str, value: Any) -> list[dict[str, str]]:
    """`[{field, message}]` of `value` against the key's schema, sorted by path; [] when valid or
    the key is not registered."""
    validator = _VALIDATORS.get(key)
    if validator is None:
        return []
    seen: dict[tuple[str, str], None] = {}
    for err in validator.iter_errors(value):
        for item in _items(err):
            seen[item] = None
    return [{"field": f, "message": m} for f, m in sorted(seen)]


def check_value(key: str, value: Any, prefix: str = "") -> None:
    """INVALID_ARGUMENT with one field error per failing JSON-Schema path."""
    errs = [{"field": prefix + e["field"], "message": e["message"]} for e in errors_of(key, value)]
    if errs:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errs)
        raise InvalidArgument(f"{key}: {detail}", reason="SCHEMA_VIOLATION", errors=errs)
