"""Domain errors: one exception type carrying a gRPC code, a machine-readable reason and,
optionally, the field at fault (AIP-193). `DomainErrorInterceptor` turns it into a status;
the gateway maps the status to HTTP with one table.
"""

from __future__ import annotations

import grpc

# Trailing-metadata keys through which a reason and a field travel to the gateway.
REASON_KEY = "x-error-reason"
FIELD_KEY = "x-error-field"


class DomainError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.field = field

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        md: tuple[tuple[str, str], ...] = ((REASON_KEY, self.reason),)
        if self.field:
            md += ((FIELD_KEY, self.field),)
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
