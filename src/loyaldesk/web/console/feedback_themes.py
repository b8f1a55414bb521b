"""The feedback themes page (console, feedback section): every theme with how many answers it tagged in
the last 30 and 90 days (a bar chart, the numbers in the table too), its owning team (a detractor's
conversation about it goes to that team), its switch, the model's status and cross-validated F1 per
theme, "Retrain now", suggested themes from comments no theme fits, and a new theme of the store's own.
Also the correction of one answer's themes, posted from the feedback inbox's answer page.

Everyone who reads feedback (``view_feedback``) sees the page and corrects an answer's themes; owners
and admins (``manage_feedback``) change the themes."""

from __future__ import annotations

import re
from typing import Annotated

import pygal
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.feedback import themes
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.chart_style import console_chart_style
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

ThemeId = Annotated[int, Path(ge=1, le=2**62)]
ResponseId = Annotated[int, Path(ge=1, le=2**62)]
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
CHART_WIDTH = 640
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
DONE = {
    "created": "Theme created. Mark a few answers with it (5 or more) and it is suggested on new comments.",
    "saved": "Saved.",
    "retrain": "Retraining asked for: it starts within seconds.",
}


class ThemeForm(ConsoleForm):
    """A theme of the store's own."""

    name: str = Field(
        title="Name", min_length=1, max_length=100, description="What agents read, e.g. Gift wrap."
    )
    description: str = Field(
        default="",
        title="Description",
        max_length=500,
        description="What comments about it say, for the people who label them.",
        json_schema_extra={"widget": "textarea"},
    )


class ThemeSettingsForm(ConsoleForm):
    """One theme's team and switch (a row of the table)."""

    owner_team_id: str = Field(
        default="",
        title="Owning team",
        max_length=20,
        description="Complaints about it open a conversation for this team.",
        json_schema_extra={"widget": "select"},
    )
    enabled: bool = Field(default=False, title="On")


def _base(console: Console) -> str:
    return f"/console/{console.store.slug}/feedback/themes"


def _page(
    request: Request,
    runtime: RuntimeDep,
    console: Console,
    *,
    theme_form: FormState | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    now = runtime.clock.now()
    with runtime.database.read() as session:
        views = themes.themes_overview(session, console.store.id, now)
        state = themes.model_state(session, console.store.id)
        suggestions = themes.theme_suggestions(session, console.store.id, now)
        teams = themes.store_teams(session, console.store.id)
    team_choices = [("", "No team")] + [(str(team_id), name) for team_id, name in teams]
    rows = []
    for view in views:
        form = blank_form(
            ThemeSettingsForm,
            {"owner_team_id": str(view.owner_team_id or ""), "enabled": view.enabled},
            prefix=f"t{view.id}-",
        )
        rows.append(
            {
                "theme": view,
                "team": form.field("owner_team_id", choices=team_choices, help=""),
                "enabled": form.field("enabled", label=f"{view.name} on"),
            }
        )
    return render(
        request,
        "feedback_themes/themes.html",
        {
            "console": console,
            "section": "feedback",
            "themes_base": _base(console),
            "rows": rows,
            "views": views,
            "model": state,
            "suggestions": suggestions,
            "counted": [view for view in views if view.answers_90_days],
            "theme_form": theme_form or blank_form(ThemeForm),
            "can_manage": console.can(Permission.MANAGE_FEEDBACK),
            "flash": DONE.get(done or ""),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/feedback/themes", response_class=HTMLResponse)
def themes_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        has_themes = themes.store_has_themes(session, console.store.id)
    if not has_themes:  # a store made before themes existed gets the built-in ones on first use
        runtime.database.write(themes.ensure_default_themes, console.store.id)
    return _page(request, runtime, console, done=done)


def counts_svg(views: list[themes.ThemeView]) -> str:
    """Answers per theme in the last 30 and 90 days as grouped horizontal bars (SVG, no scripts)."""
    counted = [view for view in views if view.answers_90_days]
    style = console_chart_style(13)
    style.colors = ("#1f5fbf", "#8fb3e8")
    chart = pygal.HorizontalBar(
        style=style,
        js=[],
        width=CHART_WIDTH,
        height=max(140, 34 * len(counted) + 80),
        show_legend=True,
        legend_at_bottom=True,
        print_values=True,
        margin=10,
        show_y_guides=False,
        no_data_text="No answers tagged yet",
    )
    if counted:
        chart.x_labels = [view.name for view in counted]
        chart.add("Last 30 days", [view.answers_30_days for view in counted])
        chart.add("Last 90 days", [view.answers_90_days for view in counted])
    return _SCRIPT.sub("", chart.render(is_unicode=True))


@router.get("/console/{store_slug}/feedback/themes/counts.svg")
def counts_chart(runtime: RuntimeDep, console: ConsoleDep) -> Response:
    """The answers per theme as an image (the page's table has the same numbers)."""
    console.require(Permission.VIEW_FEEDBACK)
    with runtime.database.read() as session:
        views = themes.themes_overview(session, console.store.id, runtime.clock.now())
    return Response(
        counts_svg(views),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": CHART_CSP, "Cache-Control": "private, no-cache"},
    )


@router.post("/console/{store_slug}/feedback/themes")
async def create_theme(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A new theme; a refused one shows the page again (422, 409) with the problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_FEEDBACK)
    theme, state = read_form(ThemeForm, await request.form())
    if theme is not None:
        try:
            await runtime.database.write_async(
                themes.create_theme,
                console.actor,
                console.store.id,
                name=theme.name,
                description=theme.description,
            )
        except (Invalid, Conflict) as error:
            state.fail(error, field="name")
    if state.invalid:
        state.refuse_for_scripts(request)
        return _page(request, runtime, console, theme_form=state, status_code=state.status)
    return RedirectResponse(f"{_base(console)}?done=created", status_code=303)


@router.post("/console/{store_slug}/feedback/themes/retrain")
async def retrain(
    runtime: RuntimeDep, console: ConsoleDep, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_FEEDBACK)
    await runtime.database.write_async(themes.retrain_themes_now, console.actor, console.store.id)
    return RedirectResponse(f"{_base(console)}?done=retrain", status_code=303)


@router.post("/console/{store_slug}/feedback/themes/{theme_id}/edit")
async def edit_theme(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    theme_id: ThemeId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A theme's owning team and switch (the inputs of its row, named with the row's prefix)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_FEEDBACK)
    posted = await request.form()
    team = str(posted.get("owner_team_id") or "")
    if team and not team.isdigit():
        raise Invalid.field("owner_team_id", "one of this store's teams, or none")
    changes = {
        "owner_team_id": int(team) if team else None,
        "enabled": str(posted.get("enabled") or "").lower() in ("true", "yes", "on", "1"),
    }
    await runtime.database.write_async(
        themes.update_theme, console.actor, console.store.id, theme_id, changes
    )
    return RedirectResponse(f"{_base(console)}?done=saved#theme-{theme_id}", status_code=303)


@router.post("/console/{store_slug}/feedback/responses/{response_id}/themes")
async def correct_response_themes(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    response_id: ResponseId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Set an answer's themes to the ticked ``theme_id`` boxes (none ticked: no theme), then back to the
    answer's page. A value that is not a theme of the store is refused naming it, changing nothing."""
    console.check_csrf(csrf_token)
    console.require(Permission.VIEW_FEEDBACK)
    posted = (await request.form()).getlist("theme_id")
    wrong = [str(value) for value in posted if not str(value).isdigit() or len(str(value)) > 18]
    if wrong:
        raise Invalid.field("theme_id", f"not a theme: {', '.join(wrong[:5])}")
    await runtime.database.write_async(
        themes.correct_themes, console.actor, console.store.id, response_id, [int(str(v)) for v in posted]
    )
    return RedirectResponse(
        f"/console/{console.store.slug}/feedback/responses/{response_id}?done=themes", status_code=303
    )
