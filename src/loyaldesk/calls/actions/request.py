"""Starting a session: an agent asks to see the shopper's page or rings them from a conversation, a shopper
rings from the chat, an expert or the seat's customer opens the video call of a booked session. Each is
one transaction; asking again while a session of that kind is open returns the open one (the database's
partial unique index settles two askers racing)."""

from __future__ import annotations

from loyaldesk.calls.ports import CallSessionView
from loyaldesk.calls.vocab import CallKind, CallParty
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def request_session(
    uow: UnitOfWork, actor: Actor, *, conversation_id: int, kind: CallKind
) -> CallSessionView:
    """Staff ``actor`` asks to see the page (``COBROWSE``) or rings the shopper (``VIDEO``/``VOICE``) of
    conversation ``conversation_id`` of ``actor.store_id``: a ``requested`` session with the agent as
    ``agent_user_id``, the conversation's contact and customer, an audit row ``calls.session_requested``
    and ``SessionRequested`` on commit. One open session per (conversation, kind): asking again returns the
    open one unchanged (no new audit row, no event).

    Refusals: ``NotFound`` (no such conversation in the actor's store; another store's conversation),
    ``PermissionDenied`` (not staff of the store, or a role that does not answer conversations),
    ``ConversationClosed`` (resolved or closed)."""
    raise NotImplementedError


def request_session_as_shopper(
    uow: UnitOfWork, *, store_id: int, contact_id: int, conversation_id: int, kind: CallKind
) -> CallSessionView:
    """The shopper (widget contact ``contact_id``) rings the desk (``VIDEO``/``VOICE``) from their
    conversation: a ``requested`` session requested by the shopper, ``SessionRequested`` on commit (no audit
    row: not staff). Asking again returns the open one.

    Refusals: ``NotFound`` (not the contact's conversation in that store), ``KindNotAllowed``
    (``COBROWSE``: only staff ask to see a page), ``ConversationClosed``."""
    raise NotImplementedError


def open_booking_call(
    uow: UnitOfWork,
    *,
    store_id: int,
    seat_id: int,
    party: CallParty,
    actor: Actor | None = None,
    customer_id: int | None = None,
) -> CallSessionView:
    """The video call of booked seat ``seat_id`` (expert sessions): opened by its expert (``party`` AGENT,
    staff ``actor``; audit row) or by the seat's customer (``party`` SHOPPER, ``customer_id``). The
    session is ``requested`` by that party; the other answers. Idempotent per seat: while one is open it is
    returned (whoever asks).

    Refusals: ``NotFound`` (no such seat in the store, or another customer's seat), ``KindNotAllowed``
    (an in-store session type), ``SessionNotOpen`` (the booking is cancelled), ``PermissionDenied``
    (staff of another store), ``Invalid`` (party SYSTEM, or the party's identity missing)."""
    raise NotImplementedError
