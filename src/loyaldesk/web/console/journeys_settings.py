"""The messaging settings page: frequency caps (across channels and per channel), quiet hours, public
holidays, how long a held message may wait, the sender and the brand. Reading needs ``view_journeys``,
saving ``manage_journeys``; a refused value comes back beside its input."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.journeys.actions.messaging_settings import messaging_settings, update_messaging_settings
from loyaldesk.journeys.models import StoreMessaging
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import FormState, blank_form, read_form
from loyaldesk.web.console.journeys_forms import MessagingForm
from loyaldesk.web.console.journeys_words import page_context
from loyaldesk.web.console.loyalty_forms import FormDep
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

PLAIN = (
    "min_gap_hours",
    "per_week",
    "quiet_start_hour",
    "quiet_end_hour",
    "respect_holidays",
    "max_defer_hours",
    "sender_name",
    "sender_email",
    "brand_color",
    "logo_url",
    "postal_address",
)
# The domain's name for a problem, the input it belongs to.
INPUTS = {"per_channel_per_week": "per_week_email"}


def values_of(row: StoreMessaging) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(row, name) for name in PLAIN}
    for channel in Channel:
        values[f"per_week_{channel.value}"] = (row.per_channel_per_week or {}).get(channel.value)
    return values


def changes_of(form: MessagingForm) -> dict[str, Any]:
    changes: dict[str, Any] = {name: getattr(form, name) for name in PLAIN}
    changes["per_channel_per_week"] = {
        channel.value: value
        for channel in Channel
        if (value := getattr(form, f"per_week_{channel.value}")) is not None
    }
    return changes


def _page(
    request: Request, console: Console, state: FormState, flash: str | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "journeys/settings.html",
        page_context(
            console,
            "settings",
            form=state,
            channels=list(Channel),
            can_manage=console.can(Permission.MANAGE_JOURNEYS),
            flash=flash,
        ),
        status_code=status_code,
    )


@router.get("/console/{store_slug}/journeys/settings", response_class=HTMLResponse)
def settings_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    console.require(Permission.VIEW_JOURNEYS)
    with runtime.database.read() as session:
        state = blank_form(MessagingForm, values_of(messaging_settings(session, console.store.id)))
    return _page(request, console, state, flash="Settings saved." if done == "1" else None)


@router.post("/console/{store_slug}/journeys/settings")
def save_settings(request: Request, console: ConsoleDep, runtime: RuntimeDep, form: FormDep) -> Response:
    console.check_csrf(str(form.get("csrf_token") or ""))
    console.require(Permission.MANAGE_JOURNEYS)
    settings, state = read_form(MessagingForm, form)
    if settings is not None:
        try:
            runtime.database.write(
                update_messaging_settings, console.actor, console.store.id, changes_of(settings)
            )
        except Invalid as error:
            state.fail(error, renamed=INPUTS)
        else:
            target = f"/console/{console.store.slug}/journeys/settings?done=1"
            return RedirectResponse(target, status_code=303)
    state.refuse_for_scripts(request)
    return _page(request, console, state, status_code=state.status)
