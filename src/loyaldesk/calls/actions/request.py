"""Starting a session: an agent asks to see the shopper's page or rings them from a conversation, a shopper
rings from the chat, an expert or the seat's customer opens the video call of a booked session. Each is
one transaction; asking again while a session of that kind is open returns the open one (the database's
partial unique index settles two askers racing: the loser reads the winner's session)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk import bookings
from loyaldesk.calls.actions.common import audit, event_fields, require_agent, view_of
from loyaldesk.calls.actions.end import finish
from loyaldesk.calls.actions.expire import is_unanswered_too_long
from loyaldesk.calls.errors import ConversationClosed, KindNotAllowed, SessionNotOpen
from loyaldesk.calls.events import SessionRequested
from loyaldesk.calls.models import CallSession
from loyaldesk.calls.ports import CallSessionView
from loyaldesk.calls.vocab import OPEN_CALL_STATES, CallKind, CallParty, CallState
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import FieldProblem, Invalid, NotFound
from loyaldesk.stores import StaffAccount
from loyaldesk.support import Conversation

OPEN_STATE_VALUES = [state.value for state in OPEN_CALL_STATES]


def _call_kind(kind: CallKind | str) -> CallKind:
    try:
        return CallKind(kind)
    except ValueError:
        raise Invalid.field("kind", f"must be one of {', '.join(CallKind)}") from None


def _open_conversation(uow: UnitOfWork, store_id: int, conversation_id: int) -> Conversation:
    conversation = uow.session.get(Conversation, conversation_id)
    if conversation is None or conversation.store_id != store_id:
        # another store's conversation reads as a missing one: its id tells nothing
        raise NotFound("no such conversation")
    if conversation.status == "closed":
        raise ConversationClosed("this conversation is closed: no call can start from it")
    return conversation


def _open_session(uow: UnitOfWork, *conditions: object) -> CallSession | None:
    """The open session matching ``conditions``; a request unanswered too long is marked missed first
    (it does not stand in for a new one)."""
    query = select(CallSession).where(CallSession.state.in_(OPEN_STATE_VALUES), *conditions)  # type: ignore[arg-type]
    if uow.is_postgresql:
        query = query.with_for_update()
    row = uow.session.scalar(query.execution_options(populate_existing=True))
    if row is not None and is_unanswered_too_long(row, uow):
        finish(uow, row, CallState.MISSED, CallParty.SYSTEM)
        return None
    return row


def _insert(uow: UnitOfWork, row: CallSession, *same_open: object) -> tuple[CallSession, bool]:
    """Insert ``row``, or return the open session a concurrent asker inserted first (``False``)."""
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
            uow.session.flush()
    except IntegrityError:
        winner = _open_session(uow, *same_open)
        if winner is None:
            raise
        return winner, False
    return row, True


def _new_row(uow: UnitOfWork, store_id: int, kind: CallKind, requested_by: CallParty) -> CallSession:
    now = uow.now()
    return CallSession(
        store_id=store_id,
        kind=kind.value,
        state=CallState.REQUESTED.value,
        requested_by=requested_by.value,
        requested_at=now,
        control_allowed=False,
        recording_allowed=False,
        audio_only=False,
        bytes_relayed=0,
        frames_relayed=0,
        updated_at=now,
    )


def _agent_first_name(uow: UnitOfWork, agent_user_id: int | None) -> str | None:
    if agent_user_id is None:
        return None
    name = uow.session.scalar(select(StaffAccount.name).where(StaffAccount.id == agent_user_id))
    return name.split()[0] if name else None


def _emit_requested(uow: UnitOfWork, row: CallSession) -> None:
    uow.emit(
        SessionRequested(
            **event_fields(row),
            requested_by=row.requested_by,
            agent_name=_agent_first_name(uow, row.agent_user_id),
        )
    )


def _request_in_conversation(
    uow: UnitOfWork, conversation: Conversation, kind: CallKind, by: CallParty, agent: Actor | None
) -> CallSessionView:
    same_open = (CallSession.conversation_id == conversation.id, CallSession.kind == kind.value)
    existing = _open_session(uow, *same_open)
    if existing is not None:
        return view_of(existing)
    row = _new_row(uow, conversation.store_id, kind, by)
    row.conversation_id = conversation.id
    row.contact_id = conversation.contact_id
    row.customer_id = conversation.customer_id
    row.agent_user_id = agent.id if agent is not None and agent.kind == "staff" else None
    row, created = _insert(uow, row, *same_open)
    if created:
        audit(uow, agent, "calls.session_requested", row, {"conversation_id": conversation.id})
        _emit_requested(uow, row)
    return view_of(row)


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
    ``ConversationClosed`` (closed; a resolved conversation may still be called back)."""
    call_kind = _call_kind(kind)
    if actor.store_id is None:
        raise NotFound("no such conversation")
    conversation = _open_conversation(uow, actor.store_id, conversation_id)
    require_agent(actor, conversation.store_id)
    return _request_in_conversation(uow, conversation, call_kind, CallParty.AGENT, actor)


def request_session_as_shopper(
    uow: UnitOfWork, *, store_id: int, contact_id: int, conversation_id: int, kind: CallKind
) -> CallSessionView:
    """The shopper (widget contact ``contact_id``) rings the desk (``VIDEO``/``VOICE``) from their
    conversation: a ``requested`` session requested by the shopper, ``SessionRequested`` on commit (no audit
    row: not staff). Asking again returns the open one.

    Refusals: ``NotFound`` (not the contact's conversation in that store), ``KindNotAllowed``
    (``COBROWSE``: only staff ask to see a page), ``ConversationClosed``."""
    call_kind = _call_kind(kind)
    if call_kind == CallKind.COBROWSE:
        raise KindNotAllowed(
            "only the desk asks to see a page",
            [FieldProblem("kind", "a shopper starts a video or voice call, not co-browsing")],
        )
    conversation = _open_conversation(uow, store_id, conversation_id)
    if conversation.contact_id != contact_id:
        raise NotFound("no such conversation")
    return _request_in_conversation(uow, conversation, call_kind, CallParty.SHOPPER, None)


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
    if party == CallParty.SYSTEM:
        raise Invalid.field("party", "the expert or the seat's customer opens the call")
    if party == CallParty.SHOPPER and customer_id is None:
        raise Invalid.field("customer_id", "is required when the customer opens the call")
    facts = bookings.seat_call_facts(uow.session, store_id, seat_id)
    if facts is None or (party == CallParty.SHOPPER and facts.customer_id != customer_id):
        raise NotFound("no such booking")
    if party == CallParty.AGENT:
        require_agent(actor, store_id)
    if facts.mode != bookings.SessionMode.VIDEO:
        raise KindNotAllowed(
            "this session takes place in the store", [FieldProblem("seat_id", "is not a video session")]
        )
    if facts.status not in (bookings.BookingStatus.CONFIRMED, bookings.BookingStatus.COMPLETED):
        raise SessionNotOpen(f"this booking is {facts.status.label.lower()}: there is no call to join")
    same_open = (CallSession.booking_seat_id == seat_id,)
    existing = _open_session(uow, CallSession.store_id == store_id, *same_open)
    if existing is not None:
        return view_of(existing)
    row = _new_row(uow, store_id, CallKind.VIDEO, party)
    row.booking_seat_id = seat_id
    row.customer_id = facts.customer_id
    opener_is_staff = party == CallParty.AGENT and actor is not None and actor.kind == "staff"
    row.agent_user_id = actor.id if opener_is_staff and actor is not None else facts.expert_user_id
    row, created = _insert(uow, row, *same_open)
    if created:
        audit(
            uow,
            actor if party == CallParty.AGENT else None,
            "calls.session_requested",
            row,
            {"seat_id": seat_id},
        )
        _emit_requested(uow, row)
    return view_of(row)
