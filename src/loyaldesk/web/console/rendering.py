"""Jinja2 templates of the console and the filters they use (money, dates in the store's time zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from loyaldesk.kernel.money import format_money
from loyaldesk.web import i18n as shopper_i18n

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def money(minor: int | None, currency: str = "EUR", locale: str = "en") -> str:
    if minor is None:
        return "—"
    return format_money(int(minor), currency, locale.replace("-", "_"))


def when(moment: datetime | None, timezone: str | None = None, locale: str = "en") -> str:
    """``22 Nov 2026, 14:05`` in the store's time zone."""
    if moment is None:
        return "—"
    local = moment.astimezone(_zone(timezone))
    return format_datetime(local, "d MMM y, HH:mm", locale=locale.replace("-", "_"))


def short_when(
    moment: datetime | str | None,
    timezone: str | None = None,
    locale: str = "en",
    now: datetime | None = None,
) -> str:
    """When something happened, as the inbox shows it in its list and its threads (one format, rendered
    only here: the live inbox inserts what the server renders): ``14:05`` on the day of ``now``,
    ``3 Mar, 14:05`` earlier that year, ``3 Mar 2025, 14:05`` before; in the store's time zone."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    zone = _zone(timezone)
    local = moment.astimezone(zone)
    today = (now or datetime.now(UTC)).astimezone(zone)
    if local.date() == today.date():
        pattern = "HH:mm"
    elif local.year == today.year:
        pattern = "d MMM, HH:mm"
    else:
        pattern = "d MMM y, HH:mm"
    return format_datetime(local, pattern, locale=locale.replace("-", "_"))


def day(value: date | datetime | None, timezone: str | None = None, locale: str = "en") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(_zone(timezone)).date()
    return format_date(value, "d MMM y", locale=locale.replace("-", "_"))


def ago(moment: datetime | None, locale: str = "en") -> str:
    """``3 days ago``."""
    if moment is None:
        return "never"
    delta = moment - datetime.now(UTC)
    return format_timedelta(delta, add_direction=True, locale=locale.replace("-", "_"))


def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


templates.env.filters.update(money=money, when=when, short_when=short_when, day=day, ago=ago, iso=iso)
templates.env.globals["now"] = lambda: datetime.now(UTC)
shopper_i18n.install(templates.env)  # shopper pages translate; console pages stay English


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context or {}, status_code=status_code)


def render_fragment(template: str, context: dict[str, Any]) -> str:
    """A partial template (a list's rows, one message) as HTML text, for the live pages to insert."""
    return templates.get_template(template).render(context)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    titles = {
        400: "Bad request",
        401: "Who are you?",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        422: "Not valid",
        429: "Too many attempts",
    }
    return render(
        request,
        "error.html",
        {"status": status, "title": titles.get(status, "Error"), "message": message},
        status_code=status,
    )
