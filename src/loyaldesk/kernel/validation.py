"""Turning Pydantic validation errors into domain ``Invalid`` errors that name each field."""

from __future__ import annotations

from pydantic import ValidationError

from loyaldesk.kernel.errors import FieldProblem, Invalid


def field_path(location: tuple[int | str, ...], prefix: str = "") -> str:
    parts = [str(part) for part in location if part not in ("body",)]
    path = ".".join(parts)
    if prefix:
        return f"{prefix}.{path}" if path else prefix
    return path or "body"


def invalid_from(
    error: ValidationError, prefix: str = "", message: str = "the input is not valid"
) -> Invalid:
    problems = [
        FieldProblem(field_path(tuple(item["loc"]), prefix), _reason(item["msg"])) for item in error.errors()
    ]
    return Invalid(message, problems)


def _reason(message: str) -> str:
    # Pydantic prefixes custom errors with "Value error, "; the reason reads better without it.
    return message.removeprefix("Value error, ")
