"""Web push as a journeys channel: ``PushAdapter`` (``journeys.ports.ChannelAdapter`` for
``Channel.PUSH``) sends a message to every browser the customer subscribed, with pywebpush (RFC 8291
aes128gcm encryption, RFC 8292 VAPID signed with the store's key).

No database transaction is held while push services are called. The engine calls, in order
(``journeys.prepare_delivery`` / ``deliver`` / ``journeys.finish_delivery``):

1. ``prepare(session, message)`` on a read session: the customer's subscriptions and the store's key
   into ``message.channel_data`` (in memory only);
2. ``deliver(message)``, outside any transaction: one POST per subscription. ``SENT`` when at least one
   push service accepted it (``provider_id``: how many), ``GONE`` when every subscription answered 404 or
   410, ``RETRY`` when none accepted and one answered 429 or 5xx or could not be reached, else
   ``FAILED``; ``details`` lists the subscriptions that accepted, that are gone and that failed;
3. ``after_delivery(uow, message, result)`` in the transaction that records the send's outcome: gone
   subscriptions are deleted (and push consent withdrawn when none is left), the others' success time
   and failure count updated.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import requests
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from loyaldesk.channels.push.models import PushKeys, PushSubscription
from loyaldesk.journeys import (
    Channel,
    DeliveryResult,
    DeliveryStatus,
    OutgoingMessage,
    set_consent,
)
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.outbound import OutboundPolicy, OutboundRefused

log = logging.getLogger("loyaldesk.channels.push")

# How long a push service keeps a message for a browser that is offline (seconds).
DEFAULT_TTL = 24 * 3600
GONE_STATUSES = (404, 410)


class PushAdapter:
    channel = Channel.PUSH

    def __init__(
        self,
        *,
        policy: OutboundPolicy | None = None,
        ttl: int = DEFAULT_TTL,
        timeout: float = 10.0,
        session_factory: Any = requests.Session,
    ) -> None:
        """``policy``: where loyaldesk may connect (a subscription's endpoint comes from a browser, so
        addresses on private networks are refused unless the install allows them); ``session_factory``
        makes the HTTP session (tests give one that trusts their own certificate authority)."""
        self.policy = policy or OutboundPolicy()
        self.ttl = ttl
        self.timeout = timeout
        self.session_factory = session_factory

    # -- in the engine's session --------------------------------------------------------------------

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None:
        """The id of the customer's newest subscription (as text) while the store has push on; None when
        they have none (the send is suppressed: no address)."""
        keys = session.get(PushKeys, store_id)
        if keys is None or not keys.enabled:
            return None
        newest = session.scalar(
            select(func.max(PushSubscription.id)).where(
                PushSubscription.store_id == store_id, PushSubscription.customer_id == customer_id
            )
        )
        return None if newest is None else str(newest)

    def prepare(self, session: Session, message: OutgoingMessage, /) -> OutgoingMessage:
        keys = session.get(PushKeys, message.store_id)
        rows = session.scalars(
            select(PushSubscription)
            .where(
                PushSubscription.store_id == message.store_id,
                PushSubscription.customer_id == message.recipient.customer_id,
            )
            .order_by(PushSubscription.id)
        ).all()
        data: dict[str, Any] = {
            "subscriptions": [
                {"id": row.id, "endpoint": row.endpoint, "p256dh": row.p256dh, "auth": row.auth}
                for row in rows
            ],
            "private_key_pem": keys.private_key_pem if keys is not None and keys.enabled else None,
            "subject": keys.subject if keys is not None else None,
        }
        return replace(message, channel_data=data)

    # -- outside any transaction --------------------------------------------------------------------

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        data = message.channel_data
        subscriptions = data.get("subscriptions") or []
        if not data.get("private_key_pem"):
            return DeliveryResult(DeliveryStatus.FAILED, error="web push is switched off for this store")
        if not subscriptions:
            return DeliveryResult(DeliveryStatus.GONE, error="the customer has no push subscription left")
        vapid = Vapid.from_pem(data["private_key_pem"].encode())
        payload = json.dumps(
            {
                "title": message.subject,
                "body": message.text,
                "url": message.url,
                "tag": f"loyaldesk-{message.send_id}",
            }
        )
        accepted: list[int] = []
        gone: list[int] = []
        failed: list[int] = []
        passing = False
        errors: list[str] = []
        with self.session_factory() as http:
            for subscription in subscriptions:
                status, error = self._post(http, vapid, data["subject"], subscription, payload)
                if status is not None and status < 300:
                    accepted.append(subscription["id"])
                    continue
                if status in GONE_STATUSES:
                    gone.append(subscription["id"])
                else:
                    failed.append(subscription["id"])
                    passing = passing or status is None or status == 429 or status >= 500
                if error:
                    errors.append(error)
        details = {"accepted": accepted, "gone": gone, "failed": failed}
        error_text = "; ".join(errors)[:2000] or None
        if accepted:
            return DeliveryResult(DeliveryStatus.SENT, provider_id=f"push:{len(accepted)}", details=details)
        if gone and not failed:
            return DeliveryResult(DeliveryStatus.GONE, error=error_text, details=details)
        outcome = DeliveryStatus.RETRY if passing else DeliveryStatus.FAILED
        return DeliveryResult(outcome, error=error_text, details=details)

    def _post(
        self,
        http: requests.Session,
        vapid: Vapid,
        subject: str,
        subscription: dict[str, Any],
        payload: str,
    ) -> tuple[int | None, str | None]:
        """(HTTP status or None when unreachable, what went wrong)."""
        endpoint = subscription["endpoint"]
        parts = urlsplit(endpoint)
        try:
            self.policy.destination(parts.hostname or "", parts.port or 443)
        except OutboundRefused as refused:
            return 403, f"{parts.hostname}: {refused}"
        try:
            response = webpush(
                {
                    "endpoint": endpoint,
                    "keys": {"p256dh": subscription["p256dh"], "auth": subscription["auth"]},
                },
                data=payload,
                vapid_private_key=vapid,
                vapid_claims={"sub": subject},
                ttl=self.ttl,
                timeout=self.timeout,
                requests_session=http,
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            return status, f"{parts.hostname} answered {status}"
        except requests.RequestException as error:
            return None, f"{parts.hostname}: {type(error).__name__}"
        return int(getattr(response, "status_code", 201)), None

    # -- in the engine's transaction that records the outcome ---------------------------------------

    def after_delivery(self, uow: UnitOfWork, message: OutgoingMessage, result: DeliveryResult, /) -> None:
        details = result.details
        now = uow.now()
        if details.get("accepted"):
            uow.session.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(details["accepted"]))
                .values(last_success_at=now, failures=0)
            )
        if details.get("failed"):
            uow.session.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(details["failed"]))
                .values(failures=PushSubscription.failures + 1)
            )
        if details.get("gone"):
            uow.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(details["gone"])))
            left = uow.session.scalar(
                select(func.count(PushSubscription.id)).where(
                    PushSubscription.store_id == message.store_id,
                    PushSubscription.customer_id == message.recipient.customer_id,
                )
            )
            if not left:
                set_consent(
                    uow,
                    message.store_id,
                    message.recipient.customer_id,
                    Channel.PUSH,
                    granted=False,
                    source="push_expired",
                )
