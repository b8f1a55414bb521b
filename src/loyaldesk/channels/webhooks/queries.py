"""Reads of outgoing webhooks: a store's endpoints with their latest delivery, and an endpoint's
delivery log, newest first. Owners and admins in the console, a store backend with ``webhooks:read``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookEndpoint
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import NotFound
from loyaldesk.kernel.pagination import page_of
from loyaldesk.stores import Permission, authorize

READ_SCOPE = "webhooks:read"


def may_read(actor: Actor, store_id: int) -> None:
    authorize(actor, store_id, scope=READ_SCOPE, permission=Permission.MANAGE_INTEGRATIONS)


@dataclass(frozen=True)
class LastDelivery:
    status: str
    event_type: str
    at: datetime
    status_code: int | None


@dataclass(frozen=True)
class EndpointView:
    endpoint: WebhookEndpoint
    last_delivery: LastDelivery | None
    waiting: int


def endpoints(session: Session, actor: Actor, store_id: int) -> list[EndpointView]:
    """The store's endpoints, oldest first, each with its latest delivery and how many wait."""
    may_read(actor, store_id)
    rows = list(
        session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.store_id == store_id).order_by(WebhookEndpoint.id)
        )
    )
    return [_view(session, endpoint) for endpoint in rows]


def endpoint(session: Session, actor: Actor, store_id: int, endpoint_id: int) -> EndpointView:
    may_read(actor, store_id)
    found = session.get(WebhookEndpoint, endpoint_id)
    if found is None or found.store_id != store_id:
        raise NotFound("no such webhook endpoint")
    return _view(session, found)


def _view(session: Session, found: WebhookEndpoint) -> EndpointView:
    latest = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == found.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    ).first()
    waiting = session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == found.id, WebhookDelivery.status.in_(("pending", "failed")))
    )
    last = None
    if latest is not None:
        last = LastDelivery(
            status=latest.status,
            event_type=latest.event_type,
            at=latest.last_attempt_at or latest.created_at,
            status_code=latest.last_status_code,
        )
    return EndpointView(found, last, int(waiting or 0))


def deliveries(
    session: Session,
    actor: Actor,
    store_id: int,
    endpoint_id: int,
    *,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[WebhookDelivery], str | None]:
    """One page of the endpoint's delivery log, newest first, and the cursor of the next page."""
    endpoint(session, actor, store_id, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    rows = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda row: row.id)
