"""Domain errors and request validation errors mapped to HTTP, in this one place.

API and webhook paths get JSON::

    {"error": {"code": "invalid", "message": "...",
               "fields": [{"field": "lines.0.quantity", "reason": "must be at least 1"}]}}

Console paths get an HTML page, or a redirect to the login page when nobody is logged in.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from loyaldesk.kernel.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from loyaldesk.kernel.validation import field_path

log = logging.getLogger("loyaldesk.web")

STATUS_OF: dict[type[DomainError], int] = {
    Invalid: 422,
    NotFound: 404,
    PermissionDenied: 403,
    NotAuthenticated: 401,
    Conflict: 409,
    RateLimited: 429,
}


def status_for(error: DomainError) -> int:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return status
    return 400


def error_body(error: DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, Invalid):
        body["fields"] = [{"field": p.field, "reason": p.reason} for p in error.problems]
    return {"error": body}


def wants_json(request: Request) -> bool:
    """API paths always; console routes when the page's script asked for JSON (``Accept``)."""
    path = request.url.path
    if path.startswith(
        ("/api/", "/webhooks/", "/channels/", "/healthz", "/widget-api/", "/member-api/", "/survey-api/")
    ):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_error(
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError) -> Response:
        status = status_for(error)
        headers: dict[str, str] = {}
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after_seconds)
        if isinstance(error, NotAuthenticated) and wants_json(request):
            headers["WWW-Authenticate"] = "Bearer"
        if wants_json(request):
            return JSONResponse(error_body(error), status_code=status, headers=headers)
        if isinstance(error, NotAuthenticated):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        from loyaldesk.web.console.rendering import render_error

        problems = getattr(error, "problems", None) or []
        details = "; ".join(f"{problem.field}: {problem.reason}" for problem in problems)
        page = render_error(request, status, f"{error.message} ({details})" if details else error.message)
        page.headers.update(headers)  # a page over a rate limit says when to come back, as JSON does
        return page

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> Response:
        fields = [
            {"field": _location(item.get("loc", ())), "reason": _reason(item)} for item in error.errors()
        ]
        if wants_json(request):
            return json_error(422, "invalid", "the request is not valid", fields)
        from loyaldesk.web.console.rendering import render_error

        details = "; ".join(f"{f['field']}: {f['reason']}" for f in fields)
        return render_error(request, 422, f"The form is not valid: {details}")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = str(error.detail) if error.detail else "error"
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        if wants_json(request) or request.url.path.startswith("/static"):
            return json_error(error.status_code, code, message, headers=getattr(error, "headers", None))
        from loyaldesk.web.console.rendering import render_error

        return render_error(request, error.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return json_error(500, "internal_error", "something went wrong on our side; it was logged")


def _location(location: tuple[Any, ...]) -> str:
    parts = tuple(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        kind, rest = parts[0], parts[1:]
        if kind == "body":
            return field_path(rest) if rest else "body"
        return field_path(rest) or kind
    return field_path(parts)


def _reason(item: dict[str, Any]) -> str:
    if item.get("type") == "json_invalid":
        return f"is not valid JSON ({item.get('ctx', {}).get('error', 'parse error')})"
    if item.get("type") == "missing":
        return "is required"
    message = str(item.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")
