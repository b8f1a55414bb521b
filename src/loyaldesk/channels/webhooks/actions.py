"""Managing a store's webhook endpoints: add, change, enable or disable, rotate the secret, reveal it,
delete; replay a delivery and send a test event. Owners and admins in the console
(``Permission.MANAGE_INTEGRATIONS``), a store backend with the ``webhooks:write`` scope. Each is one
transaction with its audit row."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from loyaldesk.channels.webhooks import signing
from loyaldesk.channels.webhooks.fan_out import newest_event_id
from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookEndpoint
from loyaldesk.channels.webhooks.rules import event_type_problems, url_problems
from loyaldesk.channels.webhooks.sender import give_up_waiting
from loyaldesk.channels.webhooks.vocab import TEST_EVENT_TYPE, DeliveryStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid, NotFound
from loyaldesk.kernel.events import DomainEvent
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.stores import Permission, authorize, record_audit

WRITE_SCOPE = "webhooks:write"
MAX_ENDPOINTS_PER_STORE = 20


def may_manage(actor: Actor, store_id: int) -> None:
    authorize(actor, store_id, scope=WRITE_SCOPE, permission=Permission.MANAGE_INTEGRATIONS)


def subscribable_types() -> list[str]:
    """Every event type an endpoint may subscribe to."""
    return DomainEvent.known_types()


def endpoint_of(uow: UnitOfWork, store_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = uow.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.store_id != store_id:
        raise NotFound("no such webhook endpoint")
    return endpoint


def _checked(
    url: str | None, description: str | None, event_types: Iterable[str] | None, policy: OutboundPolicy
) -> tuple[str | None, str | None, list[str] | None]:
    problems: list[FieldProblem] = []
    cleaned_url = url.strip() if url is not None else None
    if cleaned_url is not None:
        problems += url_problems(cleaned_url, policy)
    cleaned_description = None
    if description is not None:
        cleaned_description = "".join(c for c in " ".join(description.split()) if c.isprintable())
    if cleaned_description is not None and len(cleaned_description) > 200:
        problems.append(FieldProblem("description", "at most 200 characters"))
    types = None
    if event_types is not None:
        types, type_problems = event_type_problems(event_types, subscribable_types())
        problems += type_problems
    if problems:
        raise Invalid("the webhook endpoint is not valid", problems)
    return cleaned_url, cleaned_description, types


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, now


def create_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    policy: OutboundPolicy,
) -> NewEndpoint:
    """Add an endpoint, enabled, with a new secret; it receives the events committed from now on."""
    may_manage(actor, store_id)
    cleaned_url, cleaned_description, types = _checked(url, description, event_types, policy)
    assert cleaned_url is not None and types is not None
    count = uow.session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.store_id == store_id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_STORE:
        raise Conflict(f"a store has at most {MAX_ENDPOINTS_PER_STORE} webhook endpoints")
    now = uow.now()
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        store_id=store_id,
        url=cleaned_url,
        description=cleaned_description or "",
        event_types=types,
        secret=secret,
        enabled=True,
        start_after_event_id=newest_event_id(uow),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(endpoint)
    uow.session.flush()
    _audit(uow, actor, "webhooks.endpoint_created", endpoint, {"url": endpoint.url, "event_types": types})
    return NewEndpoint(endpoint, secret)


def update_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    endpoint_id: int,
    *,
    url: str | None = None,
    description: str | None = None,
    event_types: Iterable[str] | None = None,
    enabled: bool | None = None,
    policy: OutboundPolicy,
) -> WebhookEndpoint:
    """Change what is given (None: unchanged). Disabling gives up the deliveries still waiting (they
    stay replayable); enabling clears the failure record and starts from the newest event: events
    committed while the endpoint was disabled are not sent (``GET /api/v1/events`` has them)."""
    may_manage(actor, store_id)
    endpoint = endpoint_of(uow, store_id, endpoint_id)
    cleaned_url, cleaned_description, types = _checked(url, description, event_types, policy)
    changes: dict[str, object] = {}
    if cleaned_url is not None and cleaned_url != endpoint.url:
        endpoint.url = changes["url"] = cleaned_url
    if cleaned_description is not None and cleaned_description != endpoint.description:
        endpoint.description = changes["description"] = cleaned_description
    if types is not None and types != endpoint.event_types:
        endpoint.event_types = changes["event_types"] = types
    if enabled is not None and enabled != endpoint.enabled:
        changes["enabled"] = enabled
        endpoint.enabled = enabled
        if enabled:
            endpoint.disabled_reason = None
            endpoint.failing_since = None
            endpoint.start_after_event_id = newest_event_id(uow)
        else:
            endpoint.disabled_reason = f"Disabled by {actor.label}"[:500]
            give_up_waiting(uow, endpoint.id)
    if changes:
        endpoint.updated_at = uow.now()
        _audit(uow, actor, "webhooks.endpoint_changed", endpoint, changes)
    return endpoint


def delete_endpoint(uow: UnitOfWork, actor: Actor, store_id: int, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log."""
    may_manage(actor, store_id)
    endpoint = endpoint_of(uow, store_id, endpoint_id)
    uow.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    _audit(uow, actor, "webhooks.endpoint_deleted", endpoint, {"url": endpoint.url})
    uow.session.delete(endpoint)


def rotate_secret(uow: UnitOfWork, actor: Actor, store_id: int, endpoint_id: int) -> str:
    """A new secret for the endpoint, returned to show once; the old one stops signing at once."""
    may_manage(actor, store_id)
    endpoint = endpoint_of(uow, store_id, endpoint_id)
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = uow.now()
    _audit(uow, actor, "webhooks.secret_rotated", endpoint, None)
    return endpoint.secret


def reveal_secret(uow: UnitOfWork, actor: Actor, store_id: int, endpoint_id: int) -> str:
    """The endpoint's secret, for an owner or admin who asks (audited: who saw it, when)."""
    may_manage(actor, store_id)
    endpoint = endpoint_of(uow, store_id, endpoint_id)
    _audit(uow, actor, "webhooks.secret_revealed", endpoint, None)
    return endpoint.secret


def _ready(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled: enable it first")


def replay_delivery(
    uow: UnitOfWork, actor: Actor, store_id: int, endpoint_id: int, delivery_id: int
) -> WebhookDelivery:
    """Send a delivery's payload again, now, with the same ``webhook-id`` (a receiver that already
    has it drops it): a new row in the log, whatever became of the original."""
    may_manage(actor, store_id)
    endpoint = endpoint_of(uow, store_id, endpoint_id)
    original = uow.session.get(WebhookDelivery, delivery_id)
    if original is None or original.endpoint_id != endpoint.id:
        raise NotFound("no such delivery of this endpoint")
    _ready(endpoint)
    now = uow.now()
    replay = WebhookDelivery(
        store_id=store_id,
        endpoint_id=endpoint.id,
        event_id=original.event_id,
        event_type=original.event_type,
        message_id=original.message_id,
        replay_of_id=original.replay_of_id or original.id,
        payload=original.payload,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    uow.session.add(replay)
    uow.session.flush()
    _audit(uow, actor, "webhooks.delivery_replayed", endpoint, {"delivery_id": original.id})
    return replay


def send_test_event(uow: UnitOfWork, actor: Actor, store_id: int, endpoint_id: int) -> WebhookDelivery:
    """Queue a ``webhook.test`` message to the endpoint, to check that it receives and verifies."""
    may_manage(actor, store_id)
    endpoint = endpoint_of(uow, store_id, endpoint_id)
    _ready(endpoint)
    now = uow.now()
    message_id = f"msg_test_{secrets.token_hex(8)}"
    delivery = WebhookDelivery(
        store_id=store_id,
        endpoint_id=endpoint.id,
        event_id=None,
        event_type=TEST_EVENT_TYPE,
        message_id=message_id,
        payload={
            "id": None,
            "type": TEST_EVENT_TYPE,
            "store_id": store_id,
            "customer_id": None,
            "subject": {"type": "webhook_endpoint", "id": endpoint.id},
            "occurred_at": now.isoformat(),
            "data": {"message": "A test event from loyaldesk: your endpoint received it."},
        },
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    uow.session.add(delivery)
    uow.session.flush()
    _audit(uow, actor, "webhooks.test_sent", endpoint, None)
    return delivery


def _audit(
    uow: UnitOfWork, actor: Actor, action: str, endpoint: WebhookEndpoint, details: dict[str, object] | None
) -> None:
    record_audit(
        uow,
        actor,
        action,
        store_id=endpoint.store_id,
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        details=details,
    )
