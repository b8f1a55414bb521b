"""Answering a session and the shopper's second consent (control of their page while co-browsing)."""

from __future__ import annotations

from loyaldesk.calls.ports import CallSessionView
from loyaldesk.calls.vocab import CallParty
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def answer_session(
    uow: UnitOfWork,
    *,
    store_id: int,
    session_id: int,
    party: CallParty,
    accept: bool,
    actor: Actor | None = None,
    contact_id: int | None = None,
    customer_id: int | None = None,
    recording_allowed: bool = False,
    audio_only: bool = False,
) -> CallSessionView:
    """The party that was asked answers a ``requested`` session: ``accept`` makes it ``active``
    (``started_at`` now; ``recording_allowed`` and ``audio_only`` kept), otherwise it is ``declined``
    (ended now, duration 0). For ``COBROWSE`` this is the shopper's consent to be seen: only the shopper
    answers it. An agent answering (a shopper's ring) becomes the session's ``agent_user_id``; audit row
    ``calls.session_answered`` when staff answer. ``SessionAnswered`` on commit (and ``SessionEnded`` when
    declined). Identity: a shopper gives ``contact_id`` (conversation calls) or ``customer_id`` (booking
    calls); an agent gives ``actor``.

    Answering the same way again is a no-op returning the session. Two answers racing: the row is locked
    (PostgreSQL) or updated only while still ``requested``, so exactly one wins; the other gets
    ``SessionNotOpen`` unless it answered the same way.

    Refusals: ``NotFound`` (no such session in the store), ``NotTheAnsweringParty`` (the caller is the
    party who asked, an agent answering co-browsing, a shopper not the session's own, another store's
    staff), ``SessionNotOpen`` (not ``requested`` any more)."""
    raise NotImplementedError


def set_control(
    uow: UnitOfWork,
    *,
    store_id: int,
    session_id: int,
    allowed: bool,
    contact_id: int | None = None,
    customer_id: int | None = None,
) -> CallSessionView:
    """The shopper's second, explicit consent (or its withdrawal) to let the agent click and type on their
    page. Only for an ``active`` ``COBROWSE`` session, only by its shopper (``contact_id`` or
    ``customer_id`` matching the session). ``ControlChanged`` on commit when it changed; the same value
    again is a no-op.

    Refusals: ``NotFound`` (no such session in the store), ``NotTheAnsweringParty`` (not its shopper),
    ``ControlNotAllowed`` (not co-browsing, or not active)."""
    raise NotImplementedError
