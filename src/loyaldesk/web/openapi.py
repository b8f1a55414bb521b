"""The OpenAPI document, with the error answers every operation can give written down once.

Routes declare what they return when they succeed. What they answer when they do not is the same across
the API (see ``web/errors.py``): JSON ``{"error": {"code", "message", "fields"}}`` with one of the statuses
below. ``install_openapi`` adds those to every operation of the document, so that clients (and the
schemathesis run in the tests) know every status an operation can answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "A stable code such as `invalid` or `not_found`."},
                "message": {"type": "string", "description": "What went wrong, in words."},
                "fields": {
                    "type": "array",
                    "description": "For `invalid`: each field at fault and why.",
                    "items": {
                        "type": "object",
                        "required": ["field", "reason"],
                        "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
                    },
                },
            },
        }
    },
}

# Every status an operation may answer with besides its own success, and when.
ERROR_STATUSES: dict[str, str] = {
    "400": "The request could not be read.",
    "401": "No credential, or one that is not valid (API key, shopper signature, webhook signature).",
    "403": "The credential may not do this (an API key without the scope it needs).",
    "404": "Nothing by this id in the caller's store (another store's ids answer the same).",
    "405": "The path does not take this method.",
    "409": "A request with the same Idempotency-Key is still being processed, or the change conflicts.",
    "413": "The body is larger than the limit.",
    "415": "The body is not in a format this operation reads.",
    "422": "The request is not valid; `fields` names each field at fault and why.",
    "429": "Too many requests; the `Retry-After` header says how many seconds to wait.",
}


def add_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the error answers added to every operation that does not describe its own."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            # FastAPI's own 422 describes its default error body, which loyaldesk does not send.
            default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
            if default_422.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del responses["422"]
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": reference}}},
                )
            if "429" in responses:
                responses["429"].setdefault(
                    "headers",
                    {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
                )
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` build (once) the document with the error answers added."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_error_responses(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                    servers=app.servers,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
