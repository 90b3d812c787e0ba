"""Domain errors: one exception type carrying a gRPC code, a machine-readable reason and,
optionally, the field at fault (AIP-193). `DomainErrorInterceptor` turns it into a status;
the gateway maps the status to HTTP with one table.
"""

from __future__ import annotations

import json

import grpc
import kombu.exceptions
import psycopg
import redis.exceptions
import sqlalchemy.exc

# Trailing-metadata keys through which a reason, a field and (several) field errors travel to the gateway.
REASON_KEY = "x-error-reason"
FIELD_KEY = "x-error-field"
ERRORS_KEY = "x-error-errors"  # JSON [{"field", "message"}], when more than one field is at fault


class DomainError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "INTERNAL"

    def __init__(
        self, message: str, *, reason: str | None = None, field: str = "", errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.field = field or (errors[0]["field"] if errors else "")
        self.errors = errors or []

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        md: tuple[tuple[str, str], ...] = ((REASON_KEY, self.reason),)
        if self.field:
            md += ((FIELD_KEY, self.field),)
        if len(self.errors) > 1:
            md += ((ERRORS_KEY, json.dumps(self.errors, ensure_ascii=True)),)
        return md


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND
    reason = "NOT_FOUND"


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "FAILED_PRECONDITION"


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS
    reason = "ALREADY_EXISTS"


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = "UNAVAILABLE"


class DeadlineExceeded(DomainError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED
    reason = "DEADLINE_EXCEEDED"


_BY_CODE: dict[grpc.StatusCode, type[DomainError]] = {
    cls.code: cls
    for cls in (InvalidArgument, NotFound, FailedPrecondition, AlreadyExists, Unavailable, DeadlineExceeded)
}
# A sibling that could not be reached (or did not answer in time) is this service's UNAVAILABLE:
# the caller may retry; anything else is the sibling's own verdict, relayed with its code.
_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}


def from_rpc_error(exc: grpc.RpcError, *, sibling: str) -> DomainError:
    """The DomainError that relays a sibling service's failed call (clients.call uses it)."""
    code = exc.code()  # type: ignore[attr-defined]
    details = exc.details() or code.name  # type: ignore[attr-defined]
    md = dict(exc.trailing_metadata() or ())  # type: ignore[attr-defined]
    if code in _UNREACHABLE:
        return Unavailable(f"{sibling} service unavailable: {details}", reason=f"{sibling.upper()}_UNAVAILABLE")
    cls = _BY_CODE.get(code)
    err = (cls or DomainError)(details, reason=md.get(REASON_KEY) or None, field=md.get(FIELD_KEY, ""))
    if cls is None:
        err.code = code  # relay the sibling's own verdict unchanged
    return err


def backend_unavailable(exc: BaseException) -> Unavailable | None:
    """The Unavailable a backend failure means (PostgreSQL or Redis out of reach: restarting,
    failing over, full), or None for any other exception. The caller may retry; never a 500."""
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError,
                        sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)):
        return Unavailable("the database is unavailable; retry shortly", reason="DATABASE_UNAVAILABLE")
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                        kombu.exceptions.OperationalError)):
        return Unavailable("redis is unavailable; retry shortly", reason="REDIS_UNAVAILABLE")
    return None
