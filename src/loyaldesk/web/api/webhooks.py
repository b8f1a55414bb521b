"""``/api/v1/webhooks``: a store backend manages its outgoing webhook endpoints and reads their
delivery logs (``webhooks:read``, ``webhooks:write``). The secret is in the answer to the creation only
(the console's owners and admins can reveal or rotate it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from loyaldesk.channels.webhooks import WebhookDelivery, WebhookEndpoint, actions, queries
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.pagination import Page
from loyaldesk.web.deps import PageDep, RuntimeDep, scope

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

Reader = Annotated[Actor, Depends(scope("webhooks:read"))]
Writer = Annotated[Actor, Depends(scope("webhooks:write"))]
EndpointId = Annotated[int, Path(ge=1, le=2**62)]
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]

EVENT_TYPES_HELP = (
    'The event types to receive (as in `GET /api/v1/events`, e.g. "order.paid"), or ["*"] for every '
    "event, including types added later."
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=2000,
        description="Where to POST events: https (http only to this machine, where the install allows "
        "private networks).",
        examples=["https://shop.example.com/hooks/loyaldesk"],
    )
    event_types: list[Annotated[str, Field(max_length=200)]] = Field(
        max_length=500, description=EVENT_TYPES_HELP, examples=[["*"]]
    )
    description: str = Field(default="", max_length=1000, description="For people: what this endpoint is.")


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    event_types: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=500, description=EVENT_TYPES_HELP
    )
    description: str | None = Field(default=None, max_length=1000)
    enabled: bool | None = Field(
        default=None,
        description="false stops deliveries (those waiting are given up); true starts again from the "
        "newest event and clears the failure record.",
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None = Field(description="When deliveries began failing; null while working.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret (whsec_...), shown this once: verify `webhook-signature` with it."
    )


class DeliveryOut(BaseModel):
    id: int
    event_id: int | None = Field(description="The event's id in `GET /api/v1/events`; null for a test.")
    event_type: str
    message_id: str = Field(description="The `webhook-id` header: the same for retries and replays.")
    replay_of_id: int | None
    status: str = Field(description="pending, failed (a retry is scheduled), delivered or given_up.")
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_response_excerpt: str | None
    last_duration_ms: int | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, row: WebhookDelivery) -> DeliveryOut:
        return cls(
            **{name: getattr(row, name) for name in cls.model_fields},
        )


@router.get("", response_model=list[WebhookOut], summary="The store's webhook endpoints")
def list_webhooks(actor: Reader, runtime: RuntimeDep) -> list[WebhookOut]:
    assert actor.store_id is not None
    with runtime.database.read() as session:
        return [WebhookOut.of(view.endpoint) for view in queries.endpoints(session, actor, actor.store_id)]


@router.post(
    "", status_code=201, response_model=WebhookCreated, summary="Add an endpoint (the answer has its secret)"
)
def create_webhook(body: WebhookCreate, actor: Writer, runtime: RuntimeDep) -> WebhookCreated:
    assert actor.store_id is not None
    created = runtime.database.write(
        actions.create_endpoint,
        actor,
        actor.store_id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        policy=runtime.outbound,
    )
    return WebhookCreated(**WebhookOut.of(created.endpoint).model_dump(), secret=created.secret)


@router.get("/{endpoint_id}", response_model=WebhookOut, summary="One endpoint")
def get_webhook(endpoint_id: EndpointId, actor: Reader, runtime: RuntimeDep) -> WebhookOut:
    assert actor.store_id is not None
    with runtime.database.read() as session:
        return WebhookOut.of(queries.endpoint(session, actor, actor.store_id, endpoint_id).endpoint)


@router.patch("/{endpoint_id}", response_model=WebhookOut, summary="Change, enable or disable an endpoint")
def update_webhook(
    endpoint_id: EndpointId, body: WebhookUpdate, actor: Writer, runtime: RuntimeDep
) -> WebhookOut:
    assert actor.store_id is not None
    endpoint = runtime.database.write(
        actions.update_endpoint,
        actor,
        actor.store_id,
        endpoint_id,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        enabled=body.enabled,
        policy=runtime.outbound,
    )
    return WebhookOut.of(endpoint)


@router.delete("/{endpoint_id}", status_code=204, summary="Delete an endpoint and its delivery log")
def delete_webhook(endpoint_id: EndpointId, actor: Writer, runtime: RuntimeDep) -> Response:
    assert actor.store_id is not None
    runtime.database.write(actions.delete_endpoint, actor, actor.store_id, endpoint_id)
    return Response(status_code=204)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="An endpoint's delivery log, newest first",
)
def list_deliveries(
    endpoint_id: EndpointId, actor: Reader, runtime: RuntimeDep, page: PageDep
) -> Page[DeliveryOut]:
    assert actor.store_id is not None
    with runtime.database.read() as session:
        rows, cursor = queries.deliveries(
            session, actor, actor.store_id, endpoint_id, before_id=page.before_id, limit=page.limit
        )
        return Page(data=[DeliveryOut.of(row) for row in rows], next_cursor=cursor)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a delivery again now, with the same webhook-id",
)
def replay_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, actor: Writer, runtime: RuntimeDep
) -> DeliveryOut:
    assert actor.store_id is not None
    replay = runtime.database.write(actions.replay_delivery, actor, actor.store_id, endpoint_id, delivery_id)
    return DeliveryOut.of(replay)
