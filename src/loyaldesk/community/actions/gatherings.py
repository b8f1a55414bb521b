"""Events (threads of the events space, announced by staff with ``Permission.MANAGE_SUPPORT``) and the
members' RSVPs. A place is taken by one atomic ``UPDATE ... SET going_count = going_count + 1 WHERE
going_count < capacity`` (as ``bookings.actions.occupy`` takes a seat), and the table's CHECK refuses an
overfull event whatever the application does; one RSVP per member and event is a unique constraint."""

from __future__ import annotations

from sqlalchemy import Table, delete, exc, or_, select, update

from loyaldesk.community.actions.common import (
    check_body,
    check_title,
    ensure_space,
    shopper,
    staff,
)
from loyaldesk.community.events import EventAnnounced, RsvpChanged
from loyaldesk.community.models import Rsvp, Space, Thread
from loyaldesk.community.queries.settings import load_settings
from loyaldesk.community.schemas import EventIn, utc
from loyaldesk.community.vocab import SpaceKind, ThreadStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound
from loyaldesk.stores import Permission, record_audit

_threads: Table = Thread.__table__  # type: ignore[assignment]
_rsvps: Table = Rsvp.__table__  # type: ignore[assignment]


class EventFull(Conflict):
    """Every place of the event is taken."""


def create_event(uow: UnitOfWork, *, store_id: int, actor: Actor, event_in: EventIn) -> int:
    """Announce an event in the events space; returns its thread id. Refused: ``Invalid`` on ``title``,
    ``body`` (banned words too), ``ends_at`` (not after ``starts_at``)."""
    staff(actor, store_id, Permission.MANAGE_SUPPORT)
    settings = load_settings(uow.session, store_id)
    title = check_title(event_in.title, settings.banned_words)
    body = check_body(event_in.body, settings.banned_words) if event_in.body.strip() else ""
    starts_at, ends_at = utc(event_in.starts_at), utc(event_in.ends_at)
    if ends_at <= starts_at:
        raise Invalid.field("ends_at", "must be after starts_at")
    now = uow.now()
    thread = Thread(
        store_id=store_id,
        space_id=ensure_space(uow, store_id, SpaceKind.EVENTS),
        title=title,
        body=body,
        author_staff_id=actor.id if actor.kind == "staff" else None,
        author_is_staff=True,
        status=ThreadStatus.OPEN.value,
        hidden=False,
        answers_count=0,
        starts_at=starts_at,
        ends_at=ends_at,
        location=" ".join(event_in.location.split()) or None,
        capacity=event_in.capacity,
        going_count=0,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    uow.session.add(thread)
    uow.session.flush()
    record_audit(
        uow,
        actor,
        "community.event_created",
        store_id=store_id,
        target_type="community_thread",
        target_id=thread.id,
    )
    uow.emit(EventAnnounced(store_id=store_id, thread_id=thread.id, capacity=thread.capacity))
    return int(thread.id)


def rsvp(uow: UnitOfWork, *, store_id: int, thread_id: int, customer_id: int, going: bool) -> None:
    """The member is going (``going``) or no longer going. Saying the same twice changes nothing.
    Refused: ``NotFound`` for an event not of the store (or hidden), ``Conflict`` for an event that has
    ended, ``EventFull`` (a ``Conflict``) when no place is left."""
    shopper(uow, store_id, customer_id)
    event = uow.session.execute(
        select(_threads.c.id, _threads.c.ends_at, _threads.c.hidden)
        .join(Space, Space.id == _threads.c.space_id)
        .where(
            _threads.c.id == thread_id,
            _threads.c.store_id == store_id,
            Space.kind == SpaceKind.EVENTS.value,
        )
    ).one_or_none()
    if event is None or event.hidden:
        raise NotFound("no such event")
    now = uow.now()
    if going:
        if event.ends_at is not None and event.ends_at <= now:
            raise Conflict("this event is over")
        existing = uow.session.scalar(
            select(_rsvps.c.id).where(_rsvps.c.thread_id == thread_id, _rsvps.c.customer_id == customer_id)
        )
        if existing is not None:
            return
        taken = uow.session.execute(
            update(_threads)
            .where(
                _threads.c.id == thread_id,
                or_(_threads.c.capacity.is_(None), _threads.c.going_count < _threads.c.capacity),
            )
            .values(going_count=_threads.c.going_count + 1)
            .returning(_threads.c.going_count)
        ).scalar_one_or_none()
        if taken is None:
            raise EventFull("every place of this event is taken")
        try:
            with uow.session.begin_nested():
                uow.session.execute(
                    _rsvps.insert().values(
                        store_id=store_id, thread_id=thread_id, customer_id=customer_id, created_at=now
                    )
                )
        except exc.IntegrityError:
            # The member's own concurrent RSVP won: give the place taken here back.
            uow.session.execute(
                update(_threads)
                .where(_threads.c.id == thread_id)
                .values(going_count=_threads.c.going_count - 1)
            )
            return
        count = int(taken)
    else:
        removed = uow.session.execute(
            delete(_rsvps)
            .where(_rsvps.c.thread_id == thread_id, _rsvps.c.customer_id == customer_id)
            .returning(_rsvps.c.id)
        ).scalar_one_or_none()
        if removed is None:  # was not going
            return
        count = int(
            uow.session.execute(
                update(_threads)
                .where(_threads.c.id == thread_id)
                .values(going_count=_threads.c.going_count - 1)
                .returning(_threads.c.going_count)
            ).scalar_one()
        )
    uow.emit(
        RsvpChanged(
            store_id=store_id, customer_id=customer_id, thread_id=thread_id, going=going, going_count=count
        )
    )
