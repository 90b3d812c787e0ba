"""The one page-token scheme (AIP-158): an opaque, versioned cursor over a monotonically increasing
key (`seq`). Lists answer `next_page_token` ("" on the last page); callers pass it back unchanged."""

from __future__ import annotations

import base64
import binascii

from services.common.errors import InvalidArgument

_VERSION = "v1"


def encode_cursor(last: str | int, kind: str = _VERSION) -> str:
    """An opaque token for "after `last`" in a listing of `kind` (the kind keeps one listing's token
    from being accepted by another)."""
    return base64.urlsafe_b64encode(f"{kind}:{last}".encode()).decode().rstrip("=")


def decode_cursor(token: str, kind: str = _VERSION, field: str = "page_token") -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        got, last = raw.split(":", 1)
        if got != kind or not last:
            raise ValueError(raw)
        return last
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidArgument(
            f"{field} is malformed; pass next_page_token as returned", field=field
        ) from None


def encode_page_token(seq: int) -> str:
    return encode_cursor(seq)


def decode_page_token(token: str, field: str = "page_token") -> int:
    seq = decode_cursor(token, field=field)
    if not seq.isdigit():
        raise InvalidArgument(f"{field} is malformed; pass next_page_token as returned", field=field)
    return int(seq)


def page_size(value: int, *, default: int = 50, maximum: int = 500, field: str = "page_size") -> int:
    if value < 0 or value > maximum:
        raise InvalidArgument(f"{field} must be 0..{maximum}", field=field)
    return value or default
