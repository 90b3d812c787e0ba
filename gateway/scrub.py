"""Scrubbing of audit payloads: the pure functions live in services/common/scrub.py, shared with the
config service (config.get / config.list / config.diff scrub values exactly as audit payloads)."""

from services.common.scrub import (  # noqa: F401 - re-exported
    FILTERED,
    MAX_DEPTH,
    SECRET_WORDS,
    TRUNCATED,
    is_secret_key,
    mask_text,
    scrub,
)
