"""The API channel: another app (a social network bridge, an SMS gateway, a voice system's call notes)
posts customers' messages to a signed webhook and receives agents' replies at its callback URL.

Signatures, both ways: ``X-Loyaldesk-Timestamp: <unix seconds>`` and
``X-Loyaldesk-Signature: sha256=<hex HMAC-SHA256(channel secret, "<timestamp>.<raw body>")>``; a request
more than five minutes away from our clock is refused (a replayed capture). Inbound messages are
de-duplicated by the app's ``message_id``; replies are delivered at least once from an outbox (a
``delivery_id`` lets the app drop repeats), only to public addresses unless the install allows private
networks, and to the address that was checked (``kernel.outbound``: no DNS rebinding in between).

This adapter owns the channel's transport (signatures, webhook payloads, callbacks); messages are stored
by the desk's own action (``support.post_customer_message``). The composition root subscribes
``queue_callback`` to ``MessagePosted`` and runs ``send_due_callbacks`` with the install's outbound policy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.delivery import claim_due, settle
from loyaldesk.kernel.email_address import normalise_email
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotAuthenticated, NotFound
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.kernel.outbound import OutboundPolicy, OutboundRefused
from loyaldesk.stores import Permission, authorize, record_audit
from loyaldesk.support import (
    ApiChannel,
    Contact,
    Conversation,
    Message,
    MessagePosted,
    OutboundCallback,
    identify_contact,
    post_customer_message,
)

log = logging.getLogger("loyaldesk.support.api_channel")  # the name operators filter on

SIGNATURE_HEADER = "X-Loyaldesk-Signature"
TIMESTAMP_HEADER = "X-Loyaldesk-Timestamp"
MAX_CLOCK_SKEW_SECONDS = 300
CALLBACK_TIMEOUT_SECONDS = 10.0


# -- signatures (pure) --------------------------------------------------------------------------------
def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_signature(
    secret: str, timestamp: str | None, given: str | None, body: bytes, now: datetime
) -> None:
    """``NotAuthenticated`` naming the problem unless ``given`` signs ``body`` at a ``timestamp`` near now."""
    if not timestamp or not given:
        raise NotAuthenticated(f"sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise NotAuthenticated(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if abs(now.timestamp() - sent_at) > MAX_CLOCK_SKEW_SECONDS:
        raise NotAuthenticated(f"{TIMESTAMP_HEADER} is more than five minutes from our clock")
    if not hmac.compare_digest(signature(secret, timestamp, body), given.strip()):
        raise NotAuthenticated("the signature does not match this body and the channel's secret")


def address_is_public(host: str, policy: OutboundPolicy | None = None) -> bool:
    """Whether every address ``host`` resolves to is a public one (see ``kernel.outbound``). A name that
    does not resolve is not public."""
    try:
        (policy or OutboundPolicy()).destination(host, 443)
    except OutboundRefused:
        return False
    return True


# -- inbound -------------------------------------------------------------------------------------------
class InboundContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="The app's id of the person writing.")
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, description="Links them to the store's customer.")
    customer_id: str | None = Field(
        default=None, max_length=255, description="The store's own customer id, when the app knows it."
    )


class InboundMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(min_length=1, max_length=200, description="The app's id: a retry is stored once.")
    thread_id: str | None = Field(
        default=None, max_length=200, description="The app's conversation; absent: the person's open one."
    )
    contact: InboundContact
    text: str = Field(min_length=1, max_length=20_000)


def channel_for_webhook(session: Any, channel_id: int) -> ApiChannel:
    channel = session.get(ApiChannel, channel_id)
    if channel is None or not channel.active:
        raise NotFound("no such channel")
    return channel


def receive(uow: UnitOfWork, channel_id: int, inbound: InboundMessage) -> Message:
    """Store a message the app sent (its signature checked by the caller), as the customer's."""
    channel = channel_for_webhook(uow.session, channel_id)
    contact = _contact(uow, channel, inbound.contact)
    conversation_id = None
    thread_ref = f"{channel.id}:{inbound.thread_id}" if inbound.thread_id else None
    if thread_ref:
        found = uow.session.scalar(
            select(Conversation).where(
                Conversation.store_id == channel.store_id, Conversation.external_ref == thread_ref
            )
        )
        if found is not None and found.contact_id == contact.id:
            conversation_id = found.id
    key = "api:" + hashlib.sha256(f"{channel.id}:{inbound.message_id}".encode()).hexdigest()[:48]
    message = post_customer_message(
        uow,
        contact.id,
        body=inbound.text,
        conversation_id=conversation_id,
        channel="api",
        subject=f"{channel.name}: {' '.join(inbound.text.split())[:60]}",
        source_key=key,
        new_thread=thread_ref is not None,
    )
    conversation = uow.session.get(Conversation, message.conversation_id)
    assert conversation is not None
    if conversation.api_channel_id is None:
        conversation.api_channel_id = channel.id
    if thread_ref and conversation.external_ref is None:
        conversation.external_ref = thread_ref
    return message


def _contact(uow: UnitOfWork, channel: ApiChannel, given: InboundContact) -> Contact:
    """The store's customer when the app names them (their id or email), else the app's contact."""
    session = uow.session
    customer_id = None
    if given.customer_id:
        customer_id = session.scalar(
            select(Customer.id).where(
                Customer.store_id == channel.store_id, Customer.external_id == given.customer_id
            )
        )
    email = None
    if given.email:
        try:
            email = normalise_email(given.email)
        except ValueError as error:
            raise Invalid("not an email address", [FieldProblem("contact.email", str(error))]) from None
        if customer_id is None:
            customer_id = session.scalar(
                select(Customer.id)
                .where(Customer.store_id == channel.store_id, Customer.email == email)
                .limit(1)
            )
    if customer_id is not None:
        identified = identify_contact(uow, channel.store_id, customer_id=customer_id, visitor_token=None)
        contact = session.get(Contact, identified.contact_id)
        assert contact is not None
    else:
        ref = f"api:{channel.id}:{given.id}"
        contact = session.scalar(
            select(Contact).where(Contact.store_id == channel.store_id, Contact.external_ref == ref)
        )
        if contact is None:
            contact = Contact(store_id=channel.store_id, external_ref=ref, created_at=uow.now())
            session.add(contact)
    contact.name = contact.name or given.name
    contact.email = contact.email or email
    contact.last_seen_at = uow.now()
    session.flush()
    return contact


# -- outbound ------------------------------------------------------------------------------------------
def queue_callback(uow: UnitOfWork, stored: StoredEvent, event: MessagePosted) -> None:
    """Handler of ``MessagePosted``: an agent's (or the store's assistant's) public reply in an API channel's
    conversation goes to the channel's callback URL."""
    view = event.message
    if event.internal or view.get("author_kind") not in ("agent", "assistant"):
        return
    conversation = uow.session.get(Conversation, event.conversation_id)
    if conversation is None or conversation.api_channel_id is None:
        return
    channel = uow.session.get(ApiChannel, conversation.api_channel_id)
    message = uow.session.get(Message, view.get("id"))
    if channel is None or not channel.active or not channel.callback_url or message is None:
        return
    dedupe_key = f"event:{stored.id}"
    if uow.session.scalar(select(OutboundCallback.id).where(OutboundCallback.dedupe_key == dedupe_key)):
        return
    thread = conversation.external_ref.split(":", 1)[1] if conversation.external_ref else None
    contact = uow.session.get(Contact, conversation.contact_id)
    uow.session.add(
        OutboundCallback(
            store_id=conversation.store_id,
            channel_id=channel.id,
            conversation_id=conversation.id,
            dedupe_key=dedupe_key,
            payload={
                "type": "message",
                "delivery_id": f"{channel.id}-{stored.id}",
                "thread_id": thread,
                "conversation_id": conversation.id,
                "contact_id": contact.external_ref.split(":", 2)[2]
                if contact and contact.external_ref
                else None,
                "message": {
                    "id": message.id,
                    "text": message.body,
                    "author_name": message.author_name,
                    "created_at": message.created_at.isoformat(),
                },
            },
            status="pending",
            attempts=0,
            next_attempt_at=uow.now(),
            created_at=uow.now(),
        )
    )


def _claim(uow: UnitOfWork, limit: int) -> list[tuple[int, str | None, str, dict[str, Any]]]:
    claimed = []
    for row in claim_due(uow, OutboundCallback, limit):
        channel = uow.session.get(ApiChannel, row.channel_id)
        if channel is None:
            continue
        claimed.append((row.id, channel.callback_url, channel.secret, row.payload))
    return claimed


def send_due(
    database: Database, client: httpx.Client, *, policy: OutboundPolicy | None = None, limit: int = 50
) -> int:
    """Deliver due callbacks (no transaction open while waiting on the app) where ``policy`` allows
    (public addresses only by default); returns how many were delivered."""
    policy = policy or OutboundPolicy()
    delivered = 0
    for row_id, url, secret, payload in database.write(_claim, limit):
        error = _deliver(client, url, secret, payload, database.clock.now(), policy)
        database.write(settle, OutboundCallback, row_id, error)
        delivered += error is None
    return delivered


def _deliver(
    client: httpx.Client,
    url: str | None,
    secret: str,
    payload: dict[str, Any],
    now: datetime,
    policy: OutboundPolicy,
) -> str | None:
    """None when the app answered 2xx, else why not. The request goes to the address the policy
    checked (the URL's host travels in the Host header and, for HTTPS, as the TLS server name, so the
    certificate is still verified for it)."""
    if not url:
        return "the channel has no callback URL"
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"not a valid port in {url}"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"not an http(s) URL: {url}"
    try:
        destination = policy.destination(parts.hostname, port)
    except OutboundRefused as refused:
        return f"refused: {refused}"
    userinfo = parts.netloc.rpartition("@")[0]
    pinned = urlunsplit(
        (
            parts.scheme,
            (userinfo + "@" if userinfo else "") + f"{destination.address_for_url}:{port}",
            parts.path or "/",
            parts.query,
            "",
        )
    )
    host_header = parts.netloc.rpartition("@")[2]
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    try:
        response = client.post(
            pinned,
            content=body,
            headers={
                "Host": host_header,
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(secret, timestamp, body),
            },
            timeout=CALLBACK_TIMEOUT_SECONDS,
            follow_redirects=False,
            extensions={"sni_hostname": destination.host} if parts.scheme == "https" else None,
        )
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return None
    return f"the app answered HTTP {response.status_code}"


# Replaced in tests; one client per pass of the job.
client_factory: Callable[[], httpx.Client] = httpx.Client


def send_due_callbacks(database: Database, policy: OutboundPolicy) -> int:
    """The periodic job: deliver what is due where the install's ``policy`` allows."""
    with database.read() as session:
        if (
            session.scalar(select(OutboundCallback.id).where(OutboundCallback.status == "pending").limit(1))
            is None
        ):
            return 0  # nothing waiting: no HTTP client to open
    with client_factory() as client:
        return send_due(database, client, policy=policy)


# -- managing channels ----------------------------------------------------------------------------------
def save_channel(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    *,
    name: str,
    callback_url: str | None,
    channel_id: int | None = None,
    policy: OutboundPolicy | None = None,
) -> ApiChannel:
    """Create (with a new secret) or change an API channel. Admins only. A callback URL whose host is an
    address ``policy`` refuses (a private or loopback literal, say) is refused at once; names are
    checked on each delivery, against what they resolve to then."""
    authorize(actor, store_id, scope="conversations:write", permission=Permission.MANAGE_SUPPORT)
    cleaned = " ".join(name.split())
    problems = []
    if not 1 <= len(cleaned) <= 80:
        problems.append(FieldProblem("name", "1 to 80 characters"))
    url = (callback_url or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        try:
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500 or not port_ok:
            problems.append(FieldProblem("callback_url", "an http(s) URL of at most 500 characters"))
        elif (refusal := (policy or OutboundPolicy()).refusal_of_literal(parts.hostname)) is not None:
            problems.append(FieldProblem("callback_url", refusal))
    if problems:
        raise Invalid("the channel is not valid", problems)
    if channel_id is None:
        channel = ApiChannel(
            store_id=store_id, secret=secrets.token_hex(32), created_at=uow.now(), active=True
        )
        uow.session.add(channel)
    else:
        found = uow.session.get(ApiChannel, channel_id)
        if found is None or found.store_id != store_id:
            raise NotFound("no such channel")
        channel = found
    channel.name, channel.callback_url = cleaned, url
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "support.api_channel_saved",
        store_id=store_id,
        target_type="api_channel",
        target_id=channel.id,
        details={"callback_url": url},
    )
    return channel
