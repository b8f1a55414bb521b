"""Events (threads of the events space) and RSVPs, with an atomic capacity."""

from __future__ import annotations

from loyaldesk.community.schemas import EventIn
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork


def create_event(uow: UnitOfWork, *, store_id: int, actor: Actor, event_in: EventIn) -> int:
    """Create an event; returns its thread id."""
    raise NotImplementedError


def rsvp(uow: UnitOfWork, *, store_id: int, thread_id: int, customer_id: int, going: bool) -> None:
    """Say going or not going."""
    raise NotImplementedError
