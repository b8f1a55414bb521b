"""The calls gateway: ``/ws/calls/{store_slug}/{session_id}`` (co-browsing, and the signalling of video
and voice calls).

Protocol (JSON text frames; docs/realtime.md, "The calls socket"). The first frame, within 10 s, says who
connects:

* ``{"type": "hello", "as": "agent"}``: staff, by the console's session cookie, from a page loyaldesk
  served (the ``Origin`` names this server, as for the console socket); their role must answer
  conversations, or they are the session's own staff member (an expert's booked call).
* ``{"type": "hello", "as": "shopper", "ticket"}``: the chat widget, by the ticket of its socket's
  ``welcome``, from a page the store allows its chat on; the ticket's contact must be the session's.
* ``{"type": "hello", "as": "member", "customer_id", "signature", "expires"?}``: the member page (booked
  calls), by the store's signature of the customer id (the member page's own proof: it has no cookie);
  the customer must be the session's.

A refusal is an ``error`` frame naming it, then a close: 4400 (no hello), 4401 (not identified), 4403
(not this party or not from an allowed page), 4404 (no such session in this store), 4429 (too many
connections from one address). Then the server says ``joined`` and the two parties talk through
``realtime.calls_relay.CallConnection``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from loyaldesk import calls
from loyaldesk.customers import Customer
from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import DomainError, RateLimited
from loyaldesk.kernel.json_limits import JsonRefused, loads_limited
from loyaldesk.realtime.console_socket import same_origin
from loyaldesk.realtime.stream import receive_text_frame
from loyaldesk.runtime import Runtime
from loyaldesk.stores import Permission, StaffAccount, shopper_signature_matches, store_by_slug
from loyaldesk.stores import queries as store_queries
from loyaldesk.support import contact_of_ticket, origin_refusal
from loyaldesk.support import queries as support_queries

router = APIRouter()

HELLO_TIMEOUT_SECONDS = 10.0
MAX_HELLO_CHARS = 4 * 1024


class CallRefused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Participant:
    """Who is connected: ``role`` "agent" (staff) or "shopper" (the widget's contact, or the member
    page's customer: the customer's side of the call), with what the calls actions need to know them."""

    role: str
    store_id: int
    session_id: int
    actor: Actor | None = None
    contact_id: int | None = None
    customer_id: int | None = None
    # What the shopper's page shows: "Sharing this page with <store>", the agent's pointer labelled.
    store_name: str | None = None
    agent_name: str | None = None

    @property
    def party(self) -> calls.CallParty:
        return calls.CallParty.AGENT if self.role == "agent" else calls.CallParty.SHOPPER

    @property
    def action_identity(self) -> dict[str, Any]:
        """The keyword arguments naming this party to the calls actions."""
        if self.role == "agent":
            return {"actor": self.actor}
        return {"contact_id": self.contact_id, "customer_id": self.customer_id}


def _agent_first_name(session: Any, view: Any) -> str | None:
    if view.agent_user_id is None:
        return None
    account = session.get(StaffAccount, view.agent_user_id)
    return account.name.split()[0] if account is not None and account.name else None


def _session_of_store(session: Any, store_id: int, session_id: int) -> calls.CallSessionView:
    try:
        return calls.session_view(session, store_id, session_id)
    except DomainError as error:
        raise CallRefused(4404, "no such call in this store") from error


def _agent(
    runtime: Runtime, websocket: WebSocket, store_slug: str, session_id: int
) -> tuple[Participant, Any]:
    if not same_origin(websocket, runtime.settings.public_base_url):
        raise CallRefused(4403, "open the console from loyaldesk itself")
    token = websocket.session.get("sid") if "session" in websocket.scope else None
    if not isinstance(token, str) or not token:
        raise CallRefused(4401, "please log in")
    with runtime.database.read() as session:
        login = store_queries.console_session(session, token, runtime.clock.now())
        if login is None:
            raise CallRefused(4401, "please log in")
        try:
            access = store_queries.access_store(session, login.account.id, store_slug)
        except DomainError as error:
            raise CallRefused(4404, "no such call in this store") from error
        view = _session_of_store(session, access.store.id, session_id)
    own = view.agent_user_id is not None and view.agent_user_id == login.account.id
    if not (own or access.can(Permission.ANSWER_CONVERSATIONS)):
        raise CallRefused(4403, "your role may not take part in calls")
    ip = websocket.client.host if websocket.client else None
    actor = access.actor_for(login.account, ip)
    return Participant("agent", access.store.id, session_id, actor=actor), view


def _shopper(
    runtime: Runtime, websocket: WebSocket, store_slug: str, session_id: int, hello: dict[str, Any]
) -> tuple[Participant, Any]:
    with runtime.database.read() as session:
        try:
            store = store_by_slug(session, store_slug)
        except DomainError as error:
            raise CallRefused(4404, "no such store") from error
        allowed = support_queries.settings_of(session, store.id).widget_allowed_origins or []
        refusal = origin_refusal(websocket.headers.get("origin"), allowed, websocket.headers.get("host"))
        if refusal is not None:
            raise CallRefused(4403, refusal)
        ticket = hello.get("ticket")
        try:
            contact_id = contact_of_ticket(
                runtime.secret_key, store.id, ticket if isinstance(ticket, str) else None
            )
        except DomainError as error:
            raise CallRefused(4401, str(error)) from error
        view = _session_of_store(session, store.id, session_id)
        agent_name = _agent_first_name(session, view)
    if view.contact_id is None or view.contact_id != contact_id:
        raise CallRefused(4403, "this call is not yours")
    return Participant(
        "shopper",
        store.id,
        session_id,
        contact_id=contact_id,
        customer_id=view.customer_id,
        store_name=store.name,
        agent_name=agent_name,
    ), view


def _member(
    runtime: Runtime, store_slug: str, session_id: int, hello: dict[str, Any]
) -> tuple[Participant, Any]:
    external_id, signature, expires = hello.get("customer_id"), hello.get("signature"), hello.get("expires")
    if not isinstance(external_id, str) or not isinstance(signature, str) or len(external_id) > 255:
        raise CallRefused(4401, "send the customer id and the store's signature of it")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
        raise CallRefused(4401, "expires must be Unix seconds")
    with runtime.database.read() as session:
        try:
            store = store_by_slug(session, store_slug)
        except DomainError as error:
            raise CallRefused(4404, "no such store") from error
        if not shopper_signature_matches(store.identity_secret, external_id, signature[:128], expires):
            raise CallRefused(4401, "the signature does not match this customer id")
        if expires is not None and expires < runtime.clock.now().timestamp():
            raise CallRefused(4401, "the signature has expired; reload the page")
        customer_id = session.scalar(
            select(Customer.id).where(Customer.store_id == store.id, Customer.external_id == external_id)
        )
        view = _session_of_store(session, store.id, session_id)
        agent_name = _agent_first_name(session, view)
    if customer_id is None or view.customer_id != customer_id:
        raise CallRefused(4403, "this call is not yours")
    return Participant(
        "shopper",
        store.id,
        session_id,
        customer_id=customer_id,
        contact_id=view.contact_id,
        store_name=store.name,
        agent_name=agent_name,
    ), view


def identify(
    runtime: Runtime, websocket: WebSocket, store_slug: str, session_id: int, hello: dict[str, Any]
) -> tuple[Participant, Any]:
    """Who sent ``hello`` and the session they join, or ``CallRefused`` saying why not."""
    kind = hello.get("as")
    if kind == "agent":
        return _agent(runtime, websocket, store_slug, session_id)
    if kind == "shopper":
        return _shopper(runtime, websocket, store_slug, session_id, hello)
    if kind == "member":
        return _member(runtime, store_slug, session_id, hello)
    raise CallRefused(4400, 'say who you are: "as" is agent, shopper or member')


@router.websocket("/ws/calls/{store_slug}/{session_id}")
async def calls_socket(websocket: WebSocket, store_slug: str, session_id: str) -> None:
    from loyaldesk.realtime.calls_relay import CallConnection

    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        ip = websocket.client.host if websocket.client else "unknown"
        try:
            runtime.rate_limits.hit(rate_limits.ANONYMOUS_REQUESTS_PER_ADDRESS, ip)
        except RateLimited as refused:
            raise CallRefused(4429, refused.message) from None
        if not session_id.isdigit() or not 0 < int(session_id) < 2**62:
            raise CallRefused(4404, "no such call in this store")
        raw = await asyncio.wait_for(receive_text_frame(websocket), HELLO_TIMEOUT_SECONDS)
        try:
            hello = loads_limited(raw or "", max_bytes=MAX_HELLO_CHARS, max_depth=2)
        except JsonRefused as refused:
            raise CallRefused(4400, f"say hello first: {refused}") from None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            raise CallRefused(4400, "say hello first")
        participant, view = await anyio.to_thread.run_sync(
            identify, runtime, websocket, store_slug, int(session_id), hello
        )
    except TimeoutError:
        await websocket.close(4400, "say hello first")
        return
    except CallRefused as refused:
        await websocket.send_text(
            json.dumps({"type": "error", "code": f"refused_{refused.code}", "message": refused.reason})
        )
        await websocket.close(refused.code, refused.reason.encode()[:123].decode(errors="ignore"))
        return
    except WebSocketDisconnect:
        return
    await CallConnection(websocket, runtime, participant, view).run()
