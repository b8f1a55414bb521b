"""The desk's settings page (admins): routing, the widget, CSAT, teams and each agent's capacity and
teams, the mailbox, and the recent mail that was dropped or kept without a part. Every form posts to its
own route and comes back here with a notice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.kernel.errors import FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import CHANNELS, PRIORITIES, RoutingMethod, queries
from loyaldesk.support.actions import desk_settings, dropped_mail, routing, teams
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


def _back(console: Console, notice: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(
        f"/console/{console.store.slug}/inbox-settings/desk?notice={quote(notice)}", status_code=303
    )


@router.get("/console/{store_slug}/inbox-settings/desk", response_class=HTMLResponse)
def desk_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, notice: str | None = None
) -> Response:
    console.require(Permission.MANAGE_SUPPORT)
    with runtime.database.read() as session:
        context: dict[str, Any] = {
            "console": console,
            "section": "inbox",
            "settings": queries.settings_of(session, console.store.id),
            "roster": queries.desk_roster(session, console.store.id),
            "teams": queries.teams_of(session, console.store.id),
            "routing_methods": [method.value for method in RoutingMethod],
            "priorities": PRIORITIES,
            "channels": CHANNELS,
            "mail_domain": runtime.settings.mail_domain,
            "dropped_mail": dropped_mail.recent_dropped_emails(session, console.store.id),
            "dropped_mail_kept": (dropped_mail.KEEP_PER_STORE, dropped_mail.KEEP_DAYS),
            "notice": (notice or "")[:200],
        }
    return render(request, "inbox/desk.html", context)


@router.post("/console/{store_slug}/inbox-settings/desk/routing")
async def save_routing(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    routing_method: Annotated[str, Form(max_length=20)],
    default_capacity: Annotated[int, Form(ge=0, le=100)],
    widget_title: Annotated[str, Form(min_length=1, max_length=80)],
    widget_accent: Annotated[str, Form(pattern=r"^#[0-9a-fA-F]{6}$")],
    widget_greeting: Annotated[str, Form(max_length=300)] = "",
    widget_allowed_origins: Annotated[str, Form(max_length=2000)] = "",
    support_email: Annotated[str, Form(max_length=320)] = "",
    auto_assign: Annotated[bool, Form()] = False,
    csat_enabled: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    form = await request.form()
    channel_priorities = {
        channel: str(form.get(f"priority_{channel}"))
        for channel in CHANNELS
        if form.get(f"priority_{channel}") not in (None, "", "normal")
    }
    await runtime.database.write_async(
        desk_settings.update_settings,
        console.actor,
        console.store.id,
        {
            "routing_method": routing_method,
            "default_capacity": default_capacity,
            "auto_assign": auto_assign,
            "csat_enabled": csat_enabled,
            "widget_title": widget_title.strip(),
            "widget_greeting": widget_greeting.strip(),
            "widget_accent": widget_accent.lower(),
            "widget_allowed_origins": widget_allowed_origins.split(),
            "channel_priorities": channel_priorities,
            "support_email": support_email.strip() or None,
        },
    )
    return _back(console, "Desk settings saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/agents/{staff_id}")
async def save_agent(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    staff_id: int,
    capacity: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """One agent's capacity (blank: the store's default) and teams (``team`` checkboxes)."""
    console.check_csrf(csrf_token)
    form = await request.form()
    try:
        team_ids = [int(str(value)) for value in form.getlist("team")]
        own_capacity = int(capacity) if capacity.strip() else None
    except ValueError as error:
        raise Invalid(
            "not a number", [FieldProblem("capacity", "a whole number from 0 to 100, or blank")]
        ) from error

    def change(uow: Any) -> None:
        routing.set_capacity(uow, console.actor, console.store.id, staff_id, own_capacity)
        teams.set_agent_teams(uow, console.actor, console.store.id, staff_id, team_ids)

    await runtime.database.write_async(change)
    return _back(console, "Agent saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/teams")
async def save_team(
    runtime: RuntimeDep,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=200)],
    team_id: Annotated[int | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    team = await runtime.database.write_async(
        teams.save_team, console.actor, console.store.id, name=name, team_id=team_id
    )
    return _back(console, f"Team {team.name} saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/teams/{team_id}/delete")
async def delete_team(
    runtime: RuntimeDep, console: ConsoleDep, team_id: int, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(teams.delete_team, console.actor, console.store.id, team_id)
    return _back(console, "Team deleted.")


@router.post("/console/{store_slug}/inbox-settings/desk/goodwill")
async def save_goodwill(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    recovery_points: Annotated[int, Form(ge=0, le=100_000)] = 0,
    recovery_enabled: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Monthly goodwill budgets per role (empty: no limit) and automatic service recovery."""
    console.check_csrf(csrf_token)
    form = await request.form()
    budgets: dict[str, int | None] = {}
    for role in ("agent", "admin", "owner"):
        text = str(form.get(f"budget_{role}") or "").strip()
        try:
            budgets[role] = int(text) if text else None
        except ValueError:
            raise Invalid(
                "not a number", [FieldProblem(f"budget_{role}", "a whole number of points, or empty")]
            ) from None
    await runtime.database.write_async(
        desk_settings.update_settings,
        console.actor,
        console.store.id,
        {
            "goodwill_budgets": budgets,
            "recovery_enabled": recovery_enabled,
            "recovery_points": recovery_points,
        },
    )
    return _back(console, "Goodwill settings saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/mailbox")
async def save_mailbox(
    runtime: RuntimeDep,
    console: ConsoleDep,
    imap_host: Annotated[str, Form(max_length=255)] = "",
    imap_port: Annotated[int, Form(ge=1, le=65535)] = 993,
    imap_ssl: Annotated[bool, Form()] = False,
    imap_username: Annotated[str, Form(max_length=320)] = "",
    imap_password: Annotated[str, Form(max_length=500)] = "",
    imap_folder: Annotated[str, Form(max_length=200)] = "INBOX",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """The existing mailbox to poll over IMAP (an empty server stops polling)."""
    console.check_csrf(csrf_token)
    host = imap_host.strip() or None
    if host and (refusal := runtime.outbound.refusal_of_literal(host)) is not None:
        raise Invalid("the mailbox cannot be reached from here", [FieldProblem("imap_host", refusal)])
    if host and not imap_username.strip():
        raise Invalid(
            "the mailbox needs a user", [FieldProblem("imap_username", "is required with a server")]
        )
    changes: dict[str, object] = {
        "imap_host": host,
        "imap_port": imap_port,
        "imap_ssl": imap_ssl,
        "imap_username": imap_username.strip() or None,
        "imap_folder": imap_folder.strip() or "INBOX",
    }
    if imap_password:
        changes["imap_password"] = imap_password
    await runtime.database.write_async(
        desk_settings.update_settings, console.actor, console.store.id, changes
    )
    return _back(console, "Mailbox saved." if host else "Mailbox reading switched off.")
