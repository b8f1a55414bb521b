"""The chat widget's WebSocket: ``/ws/widget/{store_slug}``.

Protocol (JSON text frames; see docs/realtime.md):

* client -> ``{"type": "hello", "visitor_token"?, "customer_id"?, "signature"?, "expires"?,
  "last_event_id"?}`` first, within 10 s. A verified customer (the store's HMAC signature of their id)
  gets their own conversations; anyone else is an anonymous visitor known by ``visitor_token`` (a new
  one is issued in ``welcome`` when missing or unknown).
* server -> ``{"type": "welcome", "visitor_token"?, "ticket", "identified", "name", "agents_online",
  "assistant" (the store's assistant answers when no agent is online),
  "settings", "conversation", "messages", "last_event_id"}``, then replays the events after
  ``last_event_id``, then streams ``{"type": "event", "id", "event", "conversation_id", "data"}`` and
  ephemeral ``{"type": "typing", ...}`` / ``{"type": "ping"}`` frames. A notice left for the contact
  arrives as the event ``widget.notice_posted`` {notice_id} (the widget fetches its text over HTTP).
* client -> ``message`` {client_message_id, body, conversation_id?} (answered by ``ack`` or ``error``
  naming the ``client_message_id``), ``typing`` {conversation_id, typing}, ``read`` {conversation_id,
  message_id}, ``csat`` {conversation_id, rating, comment?}, ``watch`` {conversation_id} (one started
  over HTTP by a file upload), ``pong``. The ``ticket`` authorises the widget's HTTP calls (files).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, TypeGuard

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnected

from loyaldesk.assistant.dialog.settings import assistant_config
from loyaldesk.customers import Customer, CustomerProfile, upsert_customer
from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.errors import Conflict, DomainError, NotFound, RateLimited
from loyaldesk.kernel.json_limits import JsonRefused, loads_limited
from loyaldesk.realtime.channels import (
    contact_channel,
    conversation_channel,
    is_call_event_for,
    is_for_contact,
    is_public,
)
from loyaldesk.realtime.stream import EventStream, backlog, latest_event_id, receive_text_frame
from loyaldesk.runtime import Runtime, store_events_channel
from loyaldesk.stores import shopper_signature_matches, store_by_slug
from loyaldesk.support import Contact, Conversation, actions, issue_ticket, origin_refusal, queries
from loyaldesk.support.actions import contacts, csat

router = APIRouter()

HELLO_TIMEOUT_SECONDS = 10.0
# Messages of one widget waiting to be stored; more at once is refused with an error naming the message.
MAX_PENDING_MESSAGES = 50
MAX_FRAME_BYTES = 64 * 1024
# No frame of the protocol nests deeper than 2; deeper ones are refused before anything walks them.
MAX_FRAME_DEPTH = 8
BINARY_FRAME_ERROR = {"type": "error", "code": "bad_frame", "message": "frames are JSON text"}


class WidgetRefused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _history(runtime: Runtime, store_id: int, contact_id: int) -> dict[str, Any]:
    """The current conversation and its messages, and the store's latest event id before them."""
    with runtime.database.read() as session:
        head = latest_event_id(session, store_id)
        conversations = queries.contact_conversations(session, contact_id)
        # The chat shows its own conversation; the customer's emails and other channels stay there.
        current = next((c for c in conversations if c.status != "closed" and c.channel == "webchat"), None)
        return {
            "head": head,
            "conversation": queries.conversation_view(session, current, for_staff=False) if current else None,
            "messages": queries.messages_of(session, current.id, include_internal=False, limit=200)
            if current
            else [],
        }


def _identify(
    runtime: Runtime,
    store_slug: str,
    hello: dict[str, Any],
    origin: str | None,
    own_host: str | None,
    ip: str | None,
) -> dict[str, Any]:
    """Check the page's origin and the hello frame, and find or create the contact; returns what the
    session needs. A new anonymous visitor counts against the new contacts allowed from ``ip``."""
    with runtime.database.read() as session:
        try:
            store = store_by_slug(session, store_slug)
        except DomainError as error:
            raise WidgetRefused(4404, "no such store") from error
        settings = queries.settings_of(session, store.id)
        refusal = origin_refusal(origin, settings.widget_allowed_origins or [], own_host)
        if refusal is not None:
            raise WidgetRefused(4403, refusal)
        external_id = hello.get("customer_id")
        signature = hello.get("signature")
        expires = hello.get("expires")
        customer_id: int | None = None
        if external_id is not None or signature is not None:
            if not isinstance(external_id, str) or not isinstance(signature, str) or len(external_id) > 255:
                raise WidgetRefused(4401, "send the customer id and the store's signature of it")
            if expires is not None and not isinstance(expires, int):
                raise WidgetRefused(4401, "expires must be Unix seconds")
            if not shopper_signature_matches(store.identity_secret, external_id, signature[:128], expires):
                raise WidgetRefused(4401, "the signature does not match this customer id")
            if expires is not None and expires < runtime.clock.now().timestamp():
                raise WidgetRefused(4401, "the signature has expired; reload the page")
            customer_id = session.scalar(
                select(Customer.id).where(Customer.store_id == store.id, Customer.external_id == external_id)
            )
        store_id = store.id
    if external_id is not None and customer_id is None:
        # The store vouches for this shopper but has not sent their profile yet: start one.
        result = runtime.database.write(
            upsert_customer,
            system_for(store_id, "chat widget"),
            store_id,
            external_id,
            CustomerProfile(),
            source="api",
        )
        customer_id = result.customer.id
    token = hello.get("visitor_token")
    visitor_token = token if isinstance(token, str) and 0 < len(token) <= 64 else None
    with runtime.database.read() as session:
        known = contacts.find_contact(session, store_id, customer_id=customer_id, visitor_token=visitor_token)
        seen_lately = (
            known is not None
            and known.last_seen_at is not None
            and (runtime.clock.now() - known.last_seen_at < contacts.SEEN_EVERY)
        )
    if known is None and customer_id is None:
        try:
            runtime.rate_limits.hit(rate_limits.NEW_CONTACTS_PER_ADDRESS, ip or "unknown")
        except RateLimited as refused:
            raise WidgetRefused(4429, refused.message) from None
    if known is not None and seen_lately:  # a page load of a returning visitor: nothing to write
        contact = contacts.WidgetContact(known.id, customer_id, None)
    else:
        contact = runtime.database.write(
            contacts.identify_contact, store_id, customer_id=customer_id, visitor_token=visitor_token
        )
    with runtime.database.read() as session:
        conversations = queries.contact_conversations(session, contact.contact_id)
        contact_row = session.get(Contact, contact.contact_id)
        customer = session.get(Customer, customer_id) if customer_id else None
        name = (customer.first_name if customer else None) or (contact_row.name if contact_row else None)
        return {
            "store_id": store_id,
            "contact_id": contact.contact_id,
            "customer_id": customer_id,
            "new_visitor_token": contact.new_visitor_token,
            "name": name,
            "conversation_ids": [c.id for c in conversations if c.channel == "webchat"],
            "agents_online": queries.agents_online(session, store_id),
            # The store's assistant answers when nobody is online, so the chat stays open for it.
            "assistant": assistant_config(session, store_id).enabled,
            "settings": {
                "title": settings.widget_title,
                "greeting": settings.widget_greeting,
                "accent": settings.widget_accent,
                "csat_enabled": settings.csat_enabled,
            },
        }


@router.websocket("/ws/widget/{store_slug}")
async def widget_socket(websocket: WebSocket, store_slug: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        raw = await asyncio.wait_for(receive_text_frame(websocket), HELLO_TIMEOUT_SECONDS)
        try:
            hello = loads_limited(raw or "", max_bytes=MAX_FRAME_BYTES, max_depth=MAX_FRAME_DEPTH)
        except JsonRefused as refused:
            raise WidgetRefused(4400, f"say hello first: {refused}") from None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            raise WidgetRefused(4400, "say hello first")
        session_info = await anyio.to_thread.run_sync(
            _identify,
            runtime,
            store_slug,
            hello,
            websocket.headers.get("origin"),
            websocket.headers.get("host"),
            _address(websocket),
        )
    except (TimeoutError, ValueError):
        await websocket.close(4400, "say hello first")
        return
    except WidgetRefused as refused:
        await websocket.send_text(
            json.dumps({"type": "error", "code": refused.code, "message": refused.reason})
        )
        await websocket.close(refused.code, _close_reason(refused.reason))
        return
    except WebSocketDisconnect:
        return
    await WidgetSession(websocket, runtime, session_info, hello).run()


def _close_reason(text: str) -> str:
    """A close frame's reason holds at most 123 bytes of UTF-8; the error frame before it says it all."""
    return text.encode()[:123].decode(errors="ignore")


def _row_id(value: Any) -> TypeGuard[int]:
    """Whether ``value`` can be a row id (a frame's number beyond the database's range is no id)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62


def _address(websocket: WebSocket) -> str | None:
    return websocket.client.host if websocket.client else None


def _error_frame(kind: Any, frame: dict[str, Any], error: DomainError) -> dict[str, Any]:
    answer = {
        "type": "error",
        "for": kind,
        "client_message_id": frame.get("client_message_id"),
        "message": str(error),
        "fields": [{"field": p.field, "reason": p.reason} for p in getattr(error, "problems", [])],
    }
    if isinstance(error, RateLimited):
        answer |= {"code": error.code, "retry_after": error.retry_after_seconds}
    return answer


class WidgetSession:
    def __init__(self, websocket: WebSocket, runtime: Runtime, info: dict[str, Any], hello: dict[str, Any]):
        self.websocket = websocket
        self.runtime = runtime
        self.store_id: int = info["store_id"]
        self.contact_id: int = info["contact_id"]
        self.info = info
        self.address = _address(websocket)
        self.conversation_ids: set[int] = set(info["conversation_ids"])
        self.stream = EventStream(websocket, runtime.broker, self._accept)
        last = hello.get("last_event_id")
        self.resume_from = last if isinstance(last, int) and last >= 0 else None
        # Messages are stored one after another by ``_store_messages`` while the receive loop goes on
        # reading frames, so a slow write never stops the socket from answering pings.
        self.pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=MAX_PENDING_MESSAGES)

    def _accept(self, message: dict[str, Any]) -> bool:
        subject = message.get("subject") or {}
        if is_for_contact(message.get("type", ""), subject.get("type")):
            return bool(subject.get("id") == self.contact_id)
        if is_call_event_for(message.get("type", ""), message.get("data") or {}, self.contact_id):
            return True  # an agent asks to see the page or rings (``static/widget/cobrowse.js``)
        return subject.get("id") in self.conversation_ids and is_public(
            message.get("type", ""), subject.get("type"), message.get("data") or {}
        )

    async def run(self) -> None:
        try:
            for conversation_id in self.conversation_ids:
                await self.stream.watch(conversation_channel(conversation_id))
            await self.stream.watch(contact_channel(self.contact_id))  # notices left for this shopper
            await self._welcome()
            self.stream.start_heartbeat()
            writer = asyncio.create_task(self._store_messages(), name="widget-messages")
            try:
                await self._receive_loop()
            finally:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await writer
        except (WebSocketDisconnect, WebSocketDisconnected):  # the client left, or the server closed it
            pass
        finally:
            await self.stream.close()

    async def _store_messages(self) -> None:
        """Store queued messages in the order they came, answering each with ``ack`` or ``error``."""
        while True:
            frame = await self.pending.get()
            try:
                await self._message(frame)
            except DomainError as error:
                await self.stream.send(_error_frame("message", frame, error))

    def _queue_message(self, frame: dict[str, Any]) -> bool:
        try:
            self.pending.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        return True

    async def _welcome(self) -> None:
        database = self.runtime.database
        history = await anyio.to_thread.run_sync(_history, self.runtime, self.store_id, self.contact_id)
        head = history["head"]
        missed: list[dict[str, Any]] | None = []
        if self.resume_from is not None:
            missed = await anyio.to_thread.run_sync(
                lambda: backlog(
                    database,
                    self.store_id,
                    self.resume_from or 0,
                    conversation_ids=sorted(self.conversation_ids),
                )
            )
        info = self.info
        welcome: dict[str, Any] = {
            "type": "welcome",
            "identified": info["customer_id"] is not None,
            "name": info["name"],
            "agents_online": info["agents_online"],
            "assistant": info["assistant"],
            "settings": info["settings"],
            "conversation": history["conversation"],
            # A fresh client, or one that missed too much, gets the history; a resuming one the events.
            "messages": history["messages"] if (self.resume_from is None or missed is None) else None,
            "last_event_id": head if (self.resume_from is None or missed is None) else self.resume_from,
        }
        if info["new_visitor_token"]:
            welcome["visitor_token"] = info["new_visitor_token"]
        welcome["ticket"] = issue_ticket(self.runtime.secret_key, self.store_id, self.contact_id)
        self.stream.floor = head if (self.resume_from is None or missed is None) else self.resume_from
        await self.stream.send(welcome)
        for message in missed or []:
            await self.stream.send_event(message)

    async def _receive_loop(self) -> None:
        while True:
            raw = await receive_text_frame(self.websocket)
            if raw is None:
                await self.stream.send(
                    {"type": "error", "code": "bad_frame", "message": "frames are JSON text"}
                )
                continue
            try:
                frame = loads_limited(raw, max_bytes=MAX_FRAME_BYTES, max_depth=MAX_FRAME_DEPTH)
            except JsonRefused as refused:
                # The frame is dropped and the socket stays: one bad frame is no reason to lose the chat.
                await self.stream.send({"type": "error", "code": "bad_frame", "message": str(refused)})
                continue
            if not isinstance(frame, dict):
                await self.stream.send(
                    {"type": "error", "code": "bad_frame", "message": "frames are JSON objects"}
                )
                continue
            kind = frame.get("type")
            try:
                if kind == "message":
                    # Counted before it is queued: a message over a limit is never stored.
                    self.runtime.rate_limits.hit_all(
                        (rate_limits.WIDGET_MESSAGES_PER_CONTACT, self.contact_id),
                        (rate_limits.WIDGET_MESSAGES_PER_ADDRESS, self.address),
                        (rate_limits.WIDGET_MESSAGES_PER_STORE, self.store_id),
                    )
                    if not self._queue_message(frame):
                        raise Conflict("too many messages at once; wait for the acks and send again")
                elif kind == "typing":
                    self._typing(frame)
                elif kind == "read":
                    await self._read(frame)
                elif kind == "csat":
                    await self._csat(frame)
                elif kind == "watch":
                    await self._watch(frame)
                elif kind in ("pong", "ping"):
                    if kind == "ping":
                        await self.stream.send({"type": "pong"})
                else:
                    await self.stream.send({"type": "error", "message": f"unknown frame type {kind!r}"})
            except DomainError as error:
                await self.stream.send(_error_frame(kind, frame, error))

    def _conversation_id(self, frame: dict[str, Any]) -> int | None:
        value = frame.get("conversation_id")
        if value is None:
            return None
        if not isinstance(value, int) or value not in self.conversation_ids:
            raise NotFound("no such conversation")
        return value

    async def _message(self, frame: dict[str, Any]) -> None:
        body = frame.get("body")
        client_id = frame.get("client_message_id")
        conversation_id = self._conversation_id(frame)
        # Coalesced: the messages of every socket waiting together are stored in one batch.
        message = await self.runtime.database.write_coalesced_async(
            actions.CUSTOMER_MESSAGES,
            actions.post_customer_messages,
            item=actions.CustomerMessage(
                self.contact_id,
                body if isinstance(body, str) else "",
                client_message_id=client_id if isinstance(client_id, str) else None,
                conversation_id=conversation_id,
            ),
        )
        if isinstance(message, DomainError):
            raise message
        await self.stream.send(
            {
                "type": "ack",
                "client_message_id": message.client_message_id,
                "message_id": message.id,
                "conversation_id": message.conversation_id,
            }
        )
        await self._watch_new(message.conversation_id)

    async def _watch_new(self, conversation_id: int) -> None:
        """Watch a conversation this contact just started, and replay what happened in it before the
        watch began (the stream drops what it already sent)."""
        if conversation_id in self.conversation_ids:
            return
        self.conversation_ids.add(conversation_id)
        await self.stream.watch(conversation_channel(conversation_id))
        missed = await anyio.to_thread.run_sync(
            lambda: backlog(self.runtime.database, self.store_id, 0, conversation_ids=[conversation_id])
        )
        for event in missed or []:
            await self.stream.send_event(event)

    async def _watch(self, frame: dict[str, Any]) -> None:
        """``watch`` {conversation_id}: a conversation started outside this socket (a file sent over
        HTTP); it must be this contact's."""
        conversation_id = frame.get("conversation_id")
        if not _row_id(conversation_id):
            raise NotFound("no such conversation")

        def owned() -> bool:
            with self.runtime.database.read() as session:
                conversation = session.get(Conversation, conversation_id)
                return conversation is not None and conversation.contact_id == self.contact_id

        if not await anyio.to_thread.run_sync(owned):
            raise NotFound("no such conversation")
        await self._watch_new(conversation_id)

    def _typing(self, frame: dict[str, Any]) -> None:
        conversation_id = self._conversation_id(frame)
        if conversation_id is None:
            return
        self.runtime.broker.publish(
            store_events_channel(self.store_id),
            json.dumps(
                {
                    "type": "typing",
                    "conversation_id": conversation_id,
                    "who": "customer",
                    "typing": bool(frame.get("typing")),
                }
            ),
        )

    async def _read(self, frame: dict[str, Any]) -> None:
        conversation_id = self._conversation_id(frame)
        message_id = frame.get("message_id")
        if conversation_id is None or not _row_id(message_id):
            return
        await self.runtime.database.write_async(
            actions.mark_read,
            conversation_id,
            reader="customer",
            message_id=message_id,
            contact_id=self.contact_id,
        )

    async def _csat(self, frame: dict[str, Any]) -> None:
        conversation_id = self._conversation_id(frame)
        if conversation_id is None:
            return
        rating = frame.get("rating")
        comment = frame.get("comment")
        await self.runtime.database.write_async(
            csat.submit_csat,
            conversation_id,
            rating=rating if isinstance(rating, int) else 0,
            comment=comment if isinstance(comment, str) else None,
            contact_id=self.contact_id,
        )
        await self.stream.send({"type": "csat_thanks", "conversation_id": conversation_id})
