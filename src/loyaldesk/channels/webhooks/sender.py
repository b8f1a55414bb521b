"""The sender: claims the deliveries that are due, POSTs them signed to their endpoints with no
transaction open, and settles each one: delivered, retried later with backoff, or given up.

* A delivery is leased while it is sent (``next_attempt_at`` moved ``LEASE`` ahead, ``SKIP LOCKED`` on
  PostgreSQL), so two workers never send it at the same time; a worker that dies mid-send leaves it to
  be sent again after the lease: delivery is at least once, and ``webhook-id`` lets receivers drop the
  repeat.
* Only to where the install's ``OutboundPolicy`` allows (public addresses unless private networks are
  allowed), to the very address that was checked; redirects are not followed.
* 2xx is delivered. Anything else (another status, a timeout, a refused connection) is retried after
  ``rules.retry_delay``. An endpoint whose deliveries have all failed for ``disable_after`` (since its
  last success) is disabled, its waiting deliveries given up, and the store's owners and admins mailed
  (through the staff account mail outbox). A delivery that has itself failed that long is given up.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import select, update

from loyaldesk.channels.webhooks import signing
from loyaldesk.channels.webhooks.models import WebhookDelivery, WebhookEndpoint
from loyaldesk.channels.webhooks.rules import retry_delay
from loyaldesk.channels.webhooks.vocab import DeliveryStatus
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.outbound import OutboundPolicy, OutboundRefused
from loyaldesk.stores import (
    AccountMailSettings,
    Role,
    StaffAccount,
    Store,
    StoreMembership,
    account_mail,
    record_audit,
)

log = logging.getLogger("loyaldesk.webhooks")

LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
CLAIM_LIMIT = 16
PARALLEL = 8
ROUNDS = 4
WAITING = (DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value)


@dataclass(frozen=True)
class SenderConfig:
    """What the sender needs from the install: where it may connect, when an endpoint is given up on,
    and how to mail the store about it."""

    policy: OutboundPolicy
    disable_after: timedelta
    mail: AccountMailSettings


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    url: str
    secret: str
    message_id: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """One attempt: the status code (None when no answer came), what went wrong, what was answered."""

    status_code: int | None
    error: str | None
    excerpt: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.error is None


def _claim(uow: UnitOfWork, limit: int) -> list[Claimed]:
    now = uow.now()
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status.in_(WAITING),
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if uow.is_postgresql:
        query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
    claimed = []
    for delivery, endpoint in uow.session.execute(query):
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        claimed.append(
            Claimed(delivery.id, endpoint.url, endpoint.secret, delivery.message_id, delivery.payload)
        )
    return claimed


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes sent (and signed) for a payload: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(client: httpx.Client, claimed: Claimed, now: datetime, policy: OutboundPolicy) -> Outcome:
    """One signed attempt. The request goes to the address the policy checked (the URL's host travels in
    the Host header and, for HTTPS, as the TLS server name, so the certificate is verified for it)."""
    parts = urlsplit(claimed.url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        destination = policy.destination(parts.hostname or "", port)
    except ValueError:
        return Outcome(None, f"not a valid URL: {claimed.url}", None, 0)
    except OutboundRefused as refused:
        return Outcome(None, f"refused: {refused}", None, 0)
    pinned = urlunsplit(
        (parts.scheme, f"{destination.address_for_url}:{port}", parts.path or "/", parts.query, "")
    )
    body = body_of(claimed.payload)
    headers = signing.headers(claimed.secret, claimed.message_id, int(now.timestamp()), body)
    headers["host"] = parts.netloc
    started = time.monotonic()
    try:
        with client.stream(
            "POST",
            pinned,
            content=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            extensions={"sni_hostname": destination.host} if parts.scheme == "https" else None,
        ) as response:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
    except httpx.TimeoutException:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(None, f"no answer within {TIMEOUT_SECONDS:g} seconds", None, elapsed)
    except httpx.HTTPError as error:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(None, f"{type(error).__name__}: {error}"[:500], None, elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    text = excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(code, None, text, elapsed)
    if 300 <= code < 400:
        return Outcome(code, f"the endpoint answered HTTP {code} (redirects are not followed)", text, elapsed)
    return Outcome(code, f"the endpoint answered HTTP {code}", text, elapsed)


def settle(uow: UnitOfWork, delivery_id: int, outcome: Outcome, config: SenderConfig) -> None:
    """Record one attempt's outcome and decide what follows (see the module's contract)."""
    delivery = uow.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status not in WAITING:
        return  # deleted or given up while it was being sent
    endpoint = uow.session.get(WebhookEndpoint, delivery.endpoint_id)
    now = uow.now()
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.last_response_excerpt = outcome.excerpt
    delivery.last_duration_ms = outcome.duration_ms
    if outcome.delivered:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED.value, now
        delivery.next_attempt_at = None
        if endpoint is not None and endpoint.failing_since is not None:
            endpoint.failing_since = None
        return
    delivery.status = DeliveryStatus.FAILED.value
    delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    if endpoint is None:
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    if endpoint.enabled and now - endpoint.failing_since >= config.disable_after:
        disable_for_failures(uow, endpoint, config, last_error=outcome.error or "")
    elif now - delivery.created_at >= config.disable_after:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.GIVEN_UP.value, None


def give_up_waiting(uow: UnitOfWork, endpoint_id: int) -> None:
    """Every delivery of the endpoint still waiting is given up (it can be replayed from the log)."""
    uow.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status.in_(WAITING))
        .values(status=DeliveryStatus.GIVEN_UP.value, next_attempt_at=None)
    )


def disable_for_failures(
    uow: UnitOfWork, endpoint: WebhookEndpoint, config: SenderConfig, *, last_error: str
) -> None:
    """Disable an endpoint that has failed for too long, give up what waits, tell the store's admins."""
    now = uow.now()
    days = config.disable_after / timedelta(days=1)
    endpoint.enabled = False
    endpoint.updated_at = now
    endpoint.disabled_reason = (
        f"Disabled on {now:%d %b %Y %H:%M} UTC: every delivery failed for {days:g} days "
        f"(the last: {last_error})"
    )[:500]
    give_up_waiting(uow, endpoint.id)
    record_audit(
        uow,
        system_for(endpoint.store_id),
        "webhooks.endpoint_disabled",
        store_id=endpoint.store_id,
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        details={"url": endpoint.url, "reason": endpoint.disabled_reason},
    )
    log.warning("disabled webhook endpoint %s (%s): %s", endpoint.id, endpoint.url, last_error)
    if not config.mail.can_send:
        return
    store = uow.session.get(Store, endpoint.store_id)
    if store is None:
        return
    recipients = uow.session.scalars(
        select(StaffAccount.email)
        .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
        .where(
            StoreMembership.store_id == store.id,
            StoreMembership.role.in_((Role.OWNER.value, Role.ADMIN.value)),
            StaffAccount.disabled_at.is_(None),
        )
        .order_by(StaffAccount.email)
    ).all()
    for recipient in recipients:
        account_mail.queue(
            uow,
            config.mail,
            kind="webhook_disabled",
            recipient=recipient,
            subject=f"{store.name}: a webhook endpoint was disabled",
            paragraphs=[
                f"loyaldesk stopped sending {store.name}'s events to {endpoint.url}: every delivery "
                f"to it has failed for {days:g} days.",
                f"The last attempt: {last_error or 'no answer'}.",
                "Fix the endpoint, then enable it again in the console; deliveries that were waiting "
                "can be replayed from its delivery log.",
            ],
            link=config.mail.link(f"/console/{store.slug}/webhooks/{endpoint.id}"),
            link_label="Open the endpoint",
        )


# Replaced in tests; one client per pass of the job.
client_factory: Callable[[], httpx.Client] = httpx.Client


def send_due(database: Database, config: SenderConfig, *, limit: int = CLAIM_LIMIT) -> int:
    """The periodic job: send what is due, ``PARALLEL`` requests at a time, with no transaction open
    while waiting on an endpoint; returns how many deliveries were delivered. A pass stops after
    ``ROUNDS`` claims, so that one slow endpoint cannot hold the background's other jobs for long."""
    with database.read() as session:
        waiting = session.scalar(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_(WAITING), WebhookDelivery.next_attempt_at <= database.clock.now()
            )
            .limit(1)
        )
    if waiting is None:
        return 0  # nothing due: no HTTP client to open
    delivered = 0
    with client_factory() as client, ThreadPoolExecutor(PARALLEL, "loyaldesk-webhooks") as pool:
        for _round in range(ROUNDS):
            claimed = database.write(_claim, limit)
            now = database.clock.now()
            outcomes = pool.map(
                post, [client] * len(claimed), claimed, [now] * len(claimed), [config.policy] * len(claimed)
            )
            for item, outcome in zip(claimed, outcomes, strict=True):
                database.write(settle, item.delivery_id, outcome, config)
                delivered += outcome.delivered
            if len(claimed) < limit:
                break
    return delivered
