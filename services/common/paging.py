"""The one page-token scheme (AIP-158): an opaque, versioned cursor over a monotonically increasing
key (`seq`). Lists answer `next_page_token` ("" on the last page); callers pass it back unchanged."""

from __future__ import annotations

import base64
import binascii

from services.common.errors import InvalidArgument

_VERSION = "v1"


def encode_page_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_VERSION}:{seq}".encode()).decode().rstrip("=")


def decode_page_token(token: str, field: str = "page_token") -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        version, seq = raw.split(":", 1)
        if version != _VERSION or not seq.isdigit():
            raise ValueError(raw)
        return int(seq)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidArgument(
            f"{field} is malformed; pass next_page_token as returned", field=field
        ) from None


def page_size(value: int, *, default: int = 50, maximum: int = 500, field: str = "page_size") -> int:
    if value < 0 or value > maximum:
        raise InvalidArgument(f"{field} must be 0..{maximum}", field=field)
    return value or default
