"""Connected apps (API channels), for admins: their webhook address and secret, and their callback."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from loyaldesk.channels.api import adapter as api_channel
from loyaldesk.stores import Permission
from loyaldesk.support import ApiChannel
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/console/{store_slug}/inbox-settings/channels", response_class=HTMLResponse)
def channels_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, notice: str | None = None
) -> Response:
    console.require(Permission.MANAGE_SUPPORT)
    with runtime.database.read() as session:
        channels = list(
            session.scalars(
                select(ApiChannel).where(ApiChannel.store_id == console.store.id).order_by(ApiChannel.id)
            )
        )
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
        },
    )


@router.post("/console/{store_slug}/inbox-settings/channels")
async def save_channel(
    runtime: RuntimeDep,
    console: ConsoleDep,
    name: Annotated[str, Form(max_length=200)],
    callback_url: Annotated[str, Form(max_length=600)] = "",
    channel_id: Annotated[int | None, Form()] = None,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    channel = await runtime.database.write_async(
        api_channel.save_channel,
        console.actor,
        console.store.id,
        name=name,
        callback_url=callback_url,
        channel_id=channel_id,
        policy=runtime.outbound,
    )
    notice = quote(f"Channel {channel.name} saved.")
    return RedirectResponse(
        f"/console/{console.store.slug}/inbox-settings/channels?notice={notice}", status_code=303
    )
