"""Connected apps (API channels), for admins: their webhook address and secret, and their callback."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from sqlalchemy import select

from loyaldesk.channels.api import adapter as api_channel
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import ApiChannel
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


class ChannelForm(ConsoleForm):
    """A connected app: its name and where agents' replies are delivered."""

    name: str = Field(
        title="Name",
        min_length=1,
        max_length=200,
        json_schema_extra={"attrs": {"maxlength": 80, "placeholder": "Instagram bridge"}},
    )
    callback_url: str = Field(
        default="",
        title="Callback URL for agents' replies (optional)",
        max_length=600,
        json_schema_extra={
            "widget": "url",
            "attrs": {"maxlength": 500, "placeholder": "https://bridge.example.com/loyaldesk"},
        },
    )
    channel_id: int | None = Field(default=None, ge=1, le=2**62, json_schema_extra={"widget": "hidden"})


@router.get("/console/{store_slug}/inbox-settings/channels", response_class=HTMLResponse)
def channels_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, notice: str | None = None
) -> Response:
    console.require(Permission.MANAGE_SUPPORT)
    return _page(request, runtime, console, blank_form(ChannelForm), notice)


def _page(
    request: Request, runtime: Any, console: Console, form: FormState, notice: str | None = None
) -> Response:
    with runtime.database.read() as session:
        channels = list(
            session.scalars(
                select(ApiChannel).where(ApiChannel.store_id == console.store.id).order_by(ApiChannel.id)
            )
        )
    if form.invalid:
        form.refuse_for_scripts(request)
    return render(
        request,
        "inbox/channels.html",
        {
            "console": console,
            "section": "inbox",
            "channels": channels,
            "public_base_url": runtime.settings.public_base_url.rstrip("/"),
            "notice": (notice or "")[:200],
            "signature_header": api_channel.SIGNATURE_HEADER,
            "timestamp_header": api_channel.TIMESTAMP_HEADER,
            "private_network_allowed": runtime.settings.allow_private_network,
            "form": form,
        },
        status_code=form.status if form.invalid else 200,
    )


@router.post("/console/{store_slug}/inbox-settings/channels")
async def save_channel(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Connect (or change) an app; a refused form comes back (422) with each problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    app, state = read_form(ChannelForm, await request.form())
    if app is not None:
        try:
            channel = await runtime.database.write_async(
                api_channel.save_channel,
                console.actor,
                console.store.id,
                name=app.name,
                callback_url=app.callback_url,
                channel_id=app.channel_id,
                policy=runtime.outbound,
            )
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="name")
        else:
            notice = quote(f"Channel {channel.name} saved.")
            return RedirectResponse(
                f"/console/{console.store.slug}/inbox-settings/channels?notice={notice}", status_code=303
            )
    return _page(request, runtime, console, state)
