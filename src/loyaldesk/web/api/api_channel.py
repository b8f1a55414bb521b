"""The API channel's signed webhook: ``POST /channels/api/{channel_id}/messages`` (see ``api_channel``)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from loyaldesk.channels.api import adapter as api_channel
from loyaldesk.kernel.validation import invalid_from
from loyaldesk.web.deps import RuntimeDep

router = APIRouter()


@router.post(
    "/channels/api/{channel_id}/messages",
    tags=["channels"],
    summary="A customer's message from a connected app, signed with the channel's secret.",
    status_code=202,
)
async def inbound_message(
    request: Request,
    runtime: RuntimeDep,
    channel_id: Annotated[int, Path(ge=1, le=2**62)],
    x_loyaldesk_timestamp: Annotated[str | None, Header()] = None,
    x_loyaldesk_signature: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Body: ``{"message_id", "thread_id"?, "contact": {"id", "name"?, "email"?, "customer_id"?}, "text"}``.
    A retry with the same ``message_id`` returns the same ids and stores nothing new."""
    body = await request.body()

    def secret() -> str:
        with runtime.database.read() as session:
            return api_channel.channel_for_webhook(session, channel_id).secret

    key = await anyio.to_thread.run_sync(secret)
    api_channel.check_signature(key, x_loyaldesk_timestamp, x_loyaldesk_signature, body, runtime.clock.now())
    try:
        inbound = api_channel.InboundMessage.model_validate_json(body)
    except ValidationError as error:
        raise invalid_from(error, message="the message is not valid") from None
    message = await runtime.database.write_async(api_channel.receive, channel_id, inbound)
    return JSONResponse(
        {"message_id": message.id, "conversation_id": message.conversation_id}, status_code=202
    )
