"""The feedback settings page (``/console/{store}/feedback/settings``): the one survey throttle, how long
an invitation takes answers, detractor conversations (on/off, their SLA, the team when no theme's owner
applies), the recovery follow-up, the team page's and the staff pulse's minimum volumes. Reading needs
``view_feedback``, saving ``manage_feedback``; a refused value comes back beside its input."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy import select

from loyaldesk.feedback import feedback_settings, update_feedback_settings
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import Team
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


class FeedbackSettingsForm(ConsoleForm):
    """The store's feedback settings."""

    throttle_days: int = Field(
        ge=0,
        le=365,
        title="Ask a customer for feedback at most once in this many days",
        description="One window for every survey and channel (email, the widget, the member page, the API). "
        "0: no limit. A recovery follow-up after a detractor's conversation is not counted.",
    )
    invitation_days: int = Field(ge=1, le=180, title="An invitation takes answers for (days)")
    detractor_conversations: bool = Field(
        default=False,
        title="Open a conversation in the inbox for every detractor",
        description="NPS 0-6, CSAT 1-2, CES 1-3: routed to the team that owns the answer's theme.",
    )
    detractor_sla_hours: int = Field(ge=1, le=336, title="Answer a detractor within (hours)")
    detractor_team: str = Field(
        default="",
        title="Team for detractors whose theme has no owner",
        description="Empty: the inbox's usual routing.",
        json_schema_extra={"choices": {"": "The inbox's usual routing"}},
    )
    recovery_survey: bool = Field(
        default=False,
        title="Ask the same survey again when a detractor's conversation is resolved (measures recovery)",
    )
    team_min_answers: int = Field(
        ge=1, le=100, title="Show an agent's CSAT on the team page from this many answers on"
    )
    pulse_min_answers: int = Field(
        ge=3, le=100, title="Show a staff pulse's results from this many answers on (anonymity)"
    )


def _teams(console: Console, session: Any) -> tuple[tuple[str, str], ...]:
    teams = session.execute(
        select(Team.id, Team.name).where(Team.store_id == console.store.id).order_by(Team.name)
    ).all()
    return (("", "The inbox's usual routing"), *((str(team_id), name) for team_id, name in teams))


def _page(
    request: Request,
    console: Console,
    state: FormState,
    teams: tuple[tuple[str, str], ...],
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "feedback_settings/settings.html",
        {
            "console": console,
            "section": "feedback",
            "active": "settings",
            "form": state,
            "teams": teams,
            "can_manage": console.can(Permission.MANAGE_FEEDBACK),
            "flash": flash,
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/feedback/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        row = feedback_settings(session, console.store.id)
        values = {
            name: getattr(row, name) for name in FeedbackSettingsForm.model_fields if name != "detractor_team"
        }
        values["detractor_team"] = str(row.detractor_team_id or "")
        teams = _teams(console, session)
    state = blank_form(FeedbackSettingsForm, values)
    return _page(request, console, state, teams, flash="Settings saved." if done == "1" else None)


@router.post("/console/{store_slug}/feedback/settings")
def save_settings(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_FEEDBACK)
    settings, state = read_form(FeedbackSettingsForm, form)
    if settings is not None:
        changes: dict[str, Any] = settings.model_dump(exclude={"detractor_team"})
        team = settings.detractor_team.strip()
        changes["detractor_team_id"] = int(team) if team.isdigit() else None
        if team and not team.isdigit():
            state.fail(Invalid.field("detractor_team", "choose one of the store's teams"))
        else:
            try:
                runtime.database.write(update_feedback_settings, console.actor, console.store.id, changes)
            except Invalid as error:
                state.fail(error, renamed={"detractor_team_id": "detractor_team"})
            else:
                return RedirectResponse(
                    f"/console/{console.store.slug}/feedback/settings?done=1", status_code=303
                )
    state.refuse_for_scripts(request)
    with runtime.database.read() as session:
        teams = _teams(console, session)
    return _page(request, console, state, teams, status_code=state.status)
