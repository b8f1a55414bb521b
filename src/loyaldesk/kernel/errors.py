"""Domain errors. Raised anywhere below the transport; mapped to HTTP once, in ``web/errors.py``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input: where (a dotted path) and why, in words a developer can act on."""

    field: str
    reason: str


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or the asker may not know it exists (HTTP 404)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The asker is known but may not do this (HTTP 403)."""

    code = "permission_denied"


class NotAuthenticated(DomainError):
    """The asker could not be identified (HTTP 401)."""

    code = "not_authenticated"


class Conflict(DomainError):
    """The request contradicts the current state, e.g. a duplicate id (HTTP 409)."""

    code = "conflict"


class RateLimited(DomainError):
    """Too many attempts; try again later (HTTP 429)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Invalid(DomainError):
    """The input is wrong (HTTP 422). Names each field and the reason."""

    code = "invalid"

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    @classmethod
    def field(cls, field: str, reason: str) -> Invalid:
        """An error about one field: ``Invalid.field("email", "is not an email address")``."""
        return cls(f"{field}: {reason}", [FieldProblem(field, reason)])
