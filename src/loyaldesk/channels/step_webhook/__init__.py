"""A rule's "call a webhook" step: POST the step's JSON to the store's own system, signed in the Standard
Webhooks format (``webhook-id`` = the send's idempotency key, so a receiver can drop a repeat;
``webhook-timestamp``; ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`` keyed by the
store's identity secret, which the store's backend already holds). Journeys queues and retries it like
any message; this adapter only speaks HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
from sqlalchemy.orm import Session

from loyaldesk.journeys import DeliveryResult, DeliveryStatus, OutgoingMessage
from loyaldesk.kernel.outbound import OutboundPolicy
from loyaldesk.kernel.outbound_http import post_pinned


def sign(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class StepWebhookAdapter:
    channel = "webhook"

    def __init__(self, policy: OutboundPolicy, client_factory: type[httpx.Client] = httpx.Client) -> None:
        self.policy = policy
        self.client_factory = client_factory

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None:
        return None  # the step names its URL

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        body = json.dumps(message.payload, separators=(",", ":"), default=str).encode()
        timestamp = str(int(time.time()))
        secret = message.signing_secret
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "loyaldesk-journeys",
            "webhook-id": message.idempotency_key,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(secret, message.idempotency_key, timestamp, body),
        }
        with self.client_factory() as client:
            status, error = post_pinned(client, self.policy, message.url or "", body, headers)
        if status is not None and 200 <= status < 300:
            return DeliveryResult(DeliveryStatus.SENT, provider_id=message.idempotency_key)
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            return DeliveryResult(DeliveryStatus.FAILED, error=f"the endpoint answered HTTP {status}")
        return DeliveryResult(DeliveryStatus.RETRY, error=error or f"the endpoint answered HTTP {status}")
