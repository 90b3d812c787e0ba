"""Scrubbing of secrets and personal data before a payload is stored (SPEC §4 "Audit log").

Pure functions, shared by the audit log (gateway/scrub.py re-exports them) and the config service:
the value of any key whose name contains a secret-like word is replaced by "[Filtered]" at any
depth; e-mail addresses and card-like numbers (13-19 digits passing the Luhn check) inside values
are masked.
"""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "auth",
                "cookie", "credential", "private_key", "session")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# 13-19 digits, optionally grouped by single spaces or dashes, not glued to other digits.
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def is_secret_key(key: str) -> bool:
    k = key.lower().replace("-", "_")
    return any(w in k for w in SECRET_WORDS)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    if not 13 <= len(digits) <= 19 or not _luhn(digits):
        return m.group(0)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    if sum(c.isdigit() for c in text) >= 13:
        text = _CARD.sub(_mask_card, text)
    return text


TRUNCATED = "[Truncated]"
MAX_DEPTH = 32


def scrub(value: Any, _depth: int = 0) -> Any:
    """A scrubbed copy of a JSON-like value (dicts, lists, strings, numbers). Containers nested
    deeper than MAX_DEPTH become "[Truncated]": a hostile payload must not break the audit log."""
    if isinstance(value, (dict, list)) and _depth >= MAX_DEPTH:
        return TRUNCATED
    if isinstance(value, dict):
        return {k: FILTERED if is_secret_key(str(k)) else scrub(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, _depth + 1) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and 10**12 <= abs(value) < 10**19:
        masked = mask_text(str(abs(value)))
        return masked if masked != str(abs(value)) else value
    return value
