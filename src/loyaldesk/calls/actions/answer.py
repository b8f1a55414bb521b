"""Answering a session and the shopper's second consent (control of their page while co-browsing)."""

from __future__ import annotations

from loyaldesk.calls.actions.common import audit, event_fields, locked_session, require_party, view_of
from loyaldesk.calls.actions.end import finish
from loyaldesk.calls.errors import ControlNotAllowed, NotTheAnsweringParty, SessionNotOpen
from loyaldesk.calls.events import ControlChanged, SessionAnswered
from loyaldesk.calls.ports import CallSessionView
from loyaldesk.calls.vocab import CallKind, CallParty, CallState
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
    row = locked_session(uow, store_id, session_id)
    asker = CallParty(row.requested_by)
    if party == CallParty.SYSTEM or party == asker:
        raise NotTheAnsweringParty("the party who asked does not answer its own request")
    if row.kind == CallKind.COBROWSE and party != CallParty.SHOPPER:
        raise NotTheAnsweringParty("only the shopper lets the desk see their page")
    require_party(row, party, actor=actor, contact_id=contact_id, customer_id=customer_id)
    state = CallState(row.state)
    if state != CallState.REQUESTED:
        if (state == CallState.ACTIVE and accept) or (state == CallState.DECLINED and not accept):
            return view_of(row)  # the same answer again (a retry, or the other racer of the same answer)
        raise SessionNotOpen(f"this call is {state.label.lower()} already")
    now = uow.now()
    row.answered_at = now
    if party == CallParty.AGENT and actor is not None and actor.kind == "staff":
        row.agent_user_id = actor.id
    if accept:
        row.state = CallState.ACTIVE.value
        row.started_at = now
        # only the shopper's own answer can allow keeping a recording of them
        row.recording_allowed = bool(recording_allowed) and party == CallParty.SHOPPER
        row.audio_only = bool(audio_only) or row.kind == CallKind.VOICE
        row.updated_at = now
    uow.session.flush()
    audit(
        uow, actor if party == CallParty.AGENT else None, "calls.session_answered", row, {"accepted": accept}
    )
    uow.emit(
        SessionAnswered(
            **event_fields(row),
            accepted=accept,
            answered_by=party.value,
            audio_only=row.audio_only,
            recording_allowed=row.recording_allowed,
        )
    )
    if not accept:
        finish(uow, row, CallState.DECLINED, party)
    return view_of(row)


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
    row = locked_session(uow, store_id, session_id)
    require_party(row, CallParty.SHOPPER, actor=None, contact_id=contact_id, customer_id=customer_id)
    if row.kind != CallKind.COBROWSE:
        raise ControlNotAllowed("control is for co-browsing only")
    if row.state != CallState.ACTIVE:
        raise ControlNotAllowed(f"this co-browsing session is {CallState(row.state).label.lower()}")
    if bool(row.control_allowed) == allowed:
        return view_of(row)
    row.control_allowed = allowed
    row.updated_at = uow.now()
    uow.session.flush()
    uow.emit(
        ControlChanged(
            **event_fields(row),
            control_allowed=allowed,
        )
    )
    return view_of(row)
